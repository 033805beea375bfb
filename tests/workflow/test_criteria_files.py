"""The pre-registered criteria files: valid, sourced, and never our own number as a reference."""

import pytest
import yaml

from conftest import REPO
from nnbayes.workflow.criteria import judged, load, load_all

FOLDER = REPO / "workflow" / "criteria"


def entries():
    return [(k, c) for k, c in load_all(FOLDER).items()]


def test_every_criteria_file_is_valid():
    assert load_all(FOLDER)


@pytest.mark.parametrize("key, criterion", entries())
def test_no_reference_is_our_own_earlier_measurement(key, criterion):
    sources = [criterion["source"], *(i.get("source", {}) for i in criterion.get("instances", {}).values())]
    for s in sources:
        assert "[M]" not in s.get("ref", "") and "ours" not in s.get("ref", "").lower(), (key, s)


def test_a_bad_criterion_is_refused_naming_the_key(tmp_path):
    (tmp_path / "criteria.schema.yaml").write_text((FOLDER / "criteria.schema.yaml").read_text())
    bad = {"fig1_x/y": {"statistic": "a thing", "rule": {"op": "roughly"}, "rationale": "because of it",
                        "source": {"kind": "authors", "ref": "paper"}}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ValueError, match="fig1_x/y"):
        load(tmp_path / "s.yaml")


def test_rows_are_judged_by_their_key_and_instance_overrides():
    criteria = {"f/x": {"statistic": "a mean", "rule": {"op": "reported"}, "rationale": "r",
                        "source": {"kind": "sanity", "ref": "none"},
                        "instances": {"a=1": {"rule": {"op": "within", "value": 1.0, "z": 4},
                                              "source": {"kind": "authors", "ref": "p", "value": 1.0, "error": 0.1}}}}}
    rows = [dict(key="f/x", instance="a=1", value=1.5, se=0.0, n=None, note=""),
            dict(key="f/x", instance="a=2", value=9.0, se=0.0, n=None, note="")]
    df = judged("f", rows, criteria, "smoke").set_index("id")
    assert df.loc["f/x[a=1]", "passed"] is False or not df.loc["f/x[a=1]", "passed"]  # 0.5 > 4 * 0.1
    assert df.loc["f/x[a=2]", "passed"] is None and not df.loc["f/x[a=2]", "counted"]
    with pytest.raises(ValueError, match="no criterion"):
        judged("f", [dict(key="f/unknown", instance="", value=1, se=None, n=None, note="")], criteria, "smoke")


def test_each_preregistered_criterion_was_in_the_commit_that_fixed_it():
    """'Fixed before the data' is checkable: the named commit already holds the criterion's key."""
    import subprocess

    git = lambda *a: subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True)  # noqa: E731
    if git("rev-parse", "--is-shallow-repository").stdout.strip() != "false":
        pytest.skip("a shallow clone has no history to check against")
    for path in sorted(FOLDER.glob("*.yaml")):
        if path.name in ("criteria.schema.yaml", "known_findings.yaml"):
            continue
        for key, c in load(path).items():
            sources = [c["source"], *(i.get("source", {}) for i in c.get("instances", {}).values())]
            for commit in {s["commit"] for s in sources if s.get("kind") == "preregistered"}:
                shown = git("show", f"{commit}:{path.relative_to(REPO)}")
                assert shown.returncode == 0 and f"{key}:" in shown.stdout, (key, commit)
