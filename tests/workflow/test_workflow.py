"""The workflow as a user meets it: lint, dry runs per preset/target/profile, a smoke run."""

import hashlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import REPO, copy_repo, planned, snakemake
from nnbayes.core.io import read_table
from nnbayes.workflow.criteria import load_all


def test_lint_is_clean():
    code, out = snakemake("--lint")
    assert code == 0, out


def test_snakefmt_is_clean():
    files = ["Snakefile", *map(str, (REPO / "workflow" / "rules").rglob("*.smk"))]
    r = subprocess.run(["snakefmt", "--check", *files], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("scale, shards", [("smoke", 6 * 1 + 8 * 1 + 1 * 2 + 2 * 1 + 1 * 1), ("default", None), ("paper", None)])
def test_dry_run_plans_every_stage(scale, shards):
    code, out = snakemake("-n", "--forceall", "--config", f"scale={scale}")
    assert code == 0, out
    jobs = planned(out)
    for rule in ("boolean_data", "images", "sample_prior_shard", "merge_prior", "report",
                 "fig1_perceptron_t", "fig5_order_chaos", "checks_fig3_rank", "train_shard",
                 "merge_train", "posterior", "fig6_sgd_vs_bayes", "fig8_generalisation", "abi_shard",
                 "merge_abi", "fig12_abi"):
        assert jobs.get(rule, 0) >= 1, (rule, jobs)
    if shards is not None:
        assert jobs["sample_prior_shard"] == shards
    assert f"results/{scale}/" in out
    for fig in ("fig13_images_sgd_vs_bayes", "fig14_optimisers", "fig15_overtraining"):
        assert jobs[fig] == 1
    if scale == "paper":  # the image half plans MNIST and Fashion-MNIST (offline: conftest's stand-in cache)
        assert "images_mnist.npz" in out and "images_fashion_mnist.npz" in out


def test_one_figure_is_its_own_target():
    code, out = snakemake("-n", "--forceall", "fig3_rank", "--config", "scale=smoke")
    assert code == 0, out
    jobs = planned(out)
    assert jobs["sample_prior_shard"] == 2 and jobs["merge_prior"] == 1 and "report" not in jobs


def test_slurm_profile_plans_with_site_resources():
    env = {"NNB_SLURM_ACCOUNT": "acct42", "NNB_SLURM_PARTITION": "part7"}
    code, out = snakemake("-n", "--forceall", "--workflow-profile", "workflow/profiles/slurm", "--config", "scale=paper", env=env)
    assert code == 0, out
    assert "slurm_partition=part7" in out and "slurm_account=acct42" in out
    # paper shards sized to minutes per Slurm job: perceptron 1, depth 10, fcn 10, chaos 20, random 10
    assert planned(out)["sample_prior_shard"] == 6 * 1 + 15 * 10 + 2 * 10 + 5 * 20 + 1 * 10


# Paper claims this reconstruction does not reproduce (research note, issue 5): reported as FAIL
# in the checks tables on purpose. Any other failing check fails this test.
KNOWN = yaml.safe_load((REPO / "workflow" / "criteria" / "known_findings.yaml").read_text())


@pytest.mark.slow
def test_smoke_run_builds_every_figure_and_passes_its_checks(smoke):
    """Every figure renders; every judged row passes unless it is a listed known finding; the
    list stays true (no listed row gone or passing); nothing judged at default goes unjudged at
    smoke without a reason."""
    res = smoke / "results" / "smoke"
    figures = [p.stem for p in (REPO / "notebooks").rglob("*.py")]
    assert len(figures) >= 12
    for fig in figures:
        png = (res / "figures" / f"{fig}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
        assert (res / "figures" / f"{fig}.pdf").read_bytes()[:4] == b"%PDF"
        assert "<html" in (res / "notebooks" / f"{fig}.html").read_text()
    checks = pd.concat([pd.read_csv(res / "reports" / f"{fig}.csv", keep_default_na=False) for fig in figures])
    assert (checks["id"] != "").all(), "every checks row names its criterion"
    failed = set(checks.loc[checks["passed"].astype(str) == "False", "id"])
    listed = set(KNOWN["smoke"])
    assert failed <= listed, f"FAIL not in known_findings.yaml: {sorted(failed - listed)}"
    assert listed <= failed, f"known findings that no longer fail (or are gone): {sorted(listed - failed)}"
    criteria = load_all(REPO / "workflow" / "criteria")
    unjudged = checks[checks["criterion"].str.startswith("reported")]
    for rid, key in zip(unjudged["id"], unjudged["id"].str.split("[").str[0]):
        rule = criteria[key]["rule"]
        if rule.get("default", rule)["op"] != "reported":
            assert rid in KNOWN["unjudged_at_smoke"] or key in KNOWN["unjudged_at_smoke"], rid
    assert "failed" in (res / "reports" / "summary.md").read_text()


@pytest.mark.slow
def test_same_config_and_seed_give_the_same_bytes(smoke, tmp_path):
    shard = smoke / "results/smoke/samples/prior/fcn/relu-d2-w40-sw1-sb0-binary/shard-0000.parquet"
    log = (smoke / "results/smoke/logs/sample_prior/fcn/relu-d2-w40-sw1-sb0-binary/shard-0000.log")
    assert log.exists()
    from nnbayes.core.io import read_meta

    meta = read_meta(shard)
    cmd = ["nnbayes", "sample-prior", "--cube", str(smoke / "results/smoke/data/cube.parquet"),
           "--spec", __import__("json").dumps(meta["spec"]), "--record", meta["record"],
           "--samples", str(meta["samples"]), "--name", meta["name"], "--shard", "0",
           "--seed", str(meta["seed"]), "--batch", "256", "--device", "cpu", "--dtype", "float32",
           "--threads", "2", "--out", str(tmp_path / "again.parquet")]
    subprocess.run(cmd, check=True, capture_output=True)
    assert (tmp_path / "again.parquet").read_bytes() == shard.read_bytes()


def outputs(root) -> dict[str, str]:
    """sha256 of every file the smoke DAG wrote under results/smoke, logs and timings aside."""
    res = root / "results" / "smoke"
    return {str(p.relative_to(res)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(res.rglob("*"))
            if p.is_file() and p.relative_to(res).parts[0] not in ("logs", "benchmarks")}


@pytest.mark.slow
def test_a_rerun_gives_every_output_byte_for_byte(smoke, tmp_path):
    """Delete one output of every kind the smoke DAG writes (a merged table, a checks table, a
    figure's PNG and PDF, its rendered notebook, the summary and index) and rebuild them: every
    file under results/smoke is then the same bytes as before (the shards' own determinism is
    tested above; a whole second DAG would double the suite's time)."""
    before = outputs(smoke)
    res = smoke / "results" / "smoke"
    redo = ["samples/prior/perceptron/perceptron-sw1-sb0-binary.parquet", "reports/fig1_perceptron_t.csv",
            "figures/fig1_perceptron_t.png", "figures/fig1_perceptron_t.pdf", "notebooks/fig1_perceptron_t.html",
            "reports/summary.md", "index.html"]
    for f in redo:
        (res / f).unlink()
    code, out = snakemake("--cores", "2", "--config", "scale=smoke", cwd=smoke, timeout=900)
    assert code == 0, out[-5000:]
    after = outputs(smoke)
    assert {Path(p).suffix for p in redo} >= {".parquet", ".csv", ".png", ".pdf", ".html", ".md"}
    assert before.keys() == after.keys()
    assert [p for p in before if before[p] != after[p]] == []


@pytest.mark.slow
def test_kill_mid_run_then_rerun_recomputes_only_unfinished_shards(tmp_path):
    root = copy_repo(tmp_path)
    (root / "slow.yaml").write_text(
        "presets:\n  smoke:\n    prior:\n      experiments:\n        fcn: {samples: 240000, shards: 6}\n")
    target = "results/smoke/samples/prior/fcn/relu-d2-w40-sw1-sb0-binary.parquet"
    shard_dir = root / target.removesuffix(".parquet")
    args = ["snakemake", target, "--cores", "1", "--configfile", "config.yaml", "slow.yaml", "--config", "scale=smoke"]
    proc = subprocess.Popen(args, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    while len(list(shard_dir.glob("shard-*.parquet"))) < 2 and time.time() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done = {p.name: p.stat().st_mtime_ns for p in shard_dir.glob("shard-*.parquet")}
    assert 2 <= len(done) < 6
    code, out = snakemake(*args[1:], "--unlock", cwd=root)  # a hard kill leaves the lock
    assert code == 0, out[-3000:]
    code, out = snakemake(*args[1:], "--rerun-incomplete", cwd=root, timeout=600)
    assert code == 0, out[-3000:]
    after = {p.name: p.stat().st_mtime_ns for p in shard_dir.glob("shard-*.parquet")}
    assert len(after) == 6
    # the job in flight may have written its file before Snakemake recorded it finished:
    # that one shard may rerun, every earlier one is kept
    recomputed = [k for k, v in done.items() if after[k] != v]
    assert len(recomputed) <= 1, recomputed
    assert read_table(root / target)["count"].sum() == 240000


@pytest.mark.slow
def test_report_holds_every_figure_and_notebook_with_its_caption(smoke):
    import zipfile

    code, out = snakemake("--report", "report.zip", "--config", "scale=smoke", cwd=smoke)
    assert code == 0, out[-3000:]
    with zipfile.ZipFile(smoke / "report.zip") as z:
        names = z.namelist()
        text = "".join(z.read(n).decode(errors="ignore") for n in names if n.endswith((".html", ".js")))
    for nb in (REPO / "notebooks").rglob("*.py"):
        assert any(n.endswith(f"/{nb.stem}.png") for n in names), nb.stem
        assert any(n.endswith(f"/{nb.stem}.html") for n in names), nb.stem
    assert "Bayes without a Gaussian process" in text  # fig12's caption, from its notebook
