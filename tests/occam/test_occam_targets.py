"""Occam stage, no training: the authors' targets, per-run training sets, job planning, config."""

import numpy as np
import pytest
import yaml
from conftest import REPO

from nnbayes.core.boolean import bits_to_str
from nnbayes.core.complexity import lz_complexity
from nnbayes.occam.plan import training_jobs
from nnbayes.occam.targets import graded_targets, run_masks, seeded_ones_target, shard_range, target_names
from nnbayes.workflow.config import ConfigError, resolve

# arXiv 2304.06670's three targets as printed in the research note (C1510/OccamsRazor, seed 10)
AUTHORS = {
    2: "0" * 9 + "1" + "0" * 115 + "100",
    10: "00000000010000010000000000001000000000000000000000000000000000001000000000000000000000000100"
        "010000001000000000000100000000010100",
    21: "10000000110000010000000000001100000010001000000000000000000000001000000001000000000000000100"
        "010000001000001000001100001000110100",
}
SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def config(scale="smoke", **occam):
    c = yaml.safe_load((REPO / "config.yaml").read_text())
    c["scale"] = scale
    c["presets"][scale].setdefault("occam", {}).update(occam)
    return c


def test_seeded_targets_are_the_authors_strings_with_both_lz_variants():
    bits = np.stack([seeded_ones_target(k, 10, 128) for k in AUTHORS])
    assert [bits_to_str(b) for b in bits] == list(AUTHORS.values())
    assert bits.sum(1).tolist() == [2, 10, 20]  # drawn with replacement: 21 draws, 20 ones
    assert lz_complexity(bits).tolist() == [35.0, 70.0, 101.5]  # Dingle et al.
    assert lz_complexity(bits, "occam2304").tolist() == [31.5, 66.5, 101.5]  # the paper's labels


def test_graded_targets_follow_their_names():
    spec = {"ones": [0, 10], "seed": 10, "random": 2}
    targets = graded_targets(spec, 128)
    assert list(targets) == target_names(spec) == ["ones0", "ones10", "random0", "random1"]
    assert targets["ones0"].sum() == 0 and bits_to_str(targets["ones10"]) == AUTHORS[10]
    assert 40 < targets["random0"].sum() < 88 and not np.array_equal(targets["random0"], targets["random1"])


def test_run_masks_are_seeded_per_target_and_run():
    runs = np.arange(50)
    a = run_masks(1, "ones2", 64, runs, 128)
    assert (a.sum(1) == 64).all() and np.array_equal(a, run_masks(1, "ones2", 64, runs, 128))
    assert np.array_equal(a[7:9], run_masks(1, "ones2", 64, np.array([7, 8]), 128))  # a run's S is its own
    assert len({bits_to_str(r) for r in a}) == 50
    assert not np.array_equal(a, run_masks(1, "ones10", 64, runs, 128))
    # each point is in S with probability m / N: the counts over runs are binomial(50, 1/2)
    assert abs(a.mean() - 0.5) < 4 * np.sqrt(0.25 / a.size)
    with pytest.raises(ValueError, match="0 < m < 128"):
        run_masks(1, "ones2", 128, runs, 128)


def test_shards_cover_every_run_once():
    for runs, shards in ((10, 3), (1000, 10), (7, 7)):
        ranges = [shard_range(runs, shards, s) for s in range(shards)]
        covered = np.concatenate([np.arange(f, f + n) for f, n in ranges])
        assert np.array_equal(covered, np.arange(runs))


def test_training_jobs_train_each_figures_targets_once():
    occam = resolve(config("default"), SCHEMA)["occam"]
    jobs = training_jobs(occam)
    names = target_names(occam["targets"])
    for net in occam["generalisation"]["nets"]:
        assert list(jobs[(net, 64)]) == names  # T10: every target
    for net in occam["panels"]["nets"]:
        for m in occam["panels"]["m"]:
            for t in occam["panels"]["targets"]:  # T11/T12: at least panels.runs
                assert jobs[(net, m)][t] == max(occam["runs"], occam["panels"]["runs"])
    assert ("tanh_sw4", 32) not in jobs


@pytest.mark.parametrize("change, message", [
    ({"panels": {"targets": ["ones999"], "nets": ["tanh_sw1"], "m": [64], "runs": 16, "random_draws": 10}},
     "occam.panels.targets"),
    ({"panels": {"targets": ["ones2"], "nets": ["tanh_sw4"], "m": [64], "runs": 16, "random_draws": 10}},
     "prior.experiments.chaos"),
    ({"generalisation": {"nets": ["nope"], "m": 64}}, "occam.generalisation.nets"),
    ({"generalisation": {"nets": ["relu"], "m": 128}}, "0 < m < 128"),
    ({"shards": 20}, "occam.shards"),
])
def test_bad_references_name_the_key(change, message):
    with pytest.raises(ConfigError, match=message):
        resolve(config(**change), SCHEMA)


@pytest.mark.parametrize("path, value, message", [
    (("lz_variant",), "lempel", "occam.lz_variant"),
    (("bound", "formula"), "catoni", "occam.bound.formula"),
    (("corruption", "data", "levels"), [0.0, 1.5], "occam.corruption.data.levels"),
])
def test_schema_refuses_bad_values_by_key(path, value, message):
    c = config("default")  # no occam preset there to override the change
    node = c["occam"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        resolve(c, SCHEMA)


def test_paper_scale_has_the_papers_sizes():
    c = resolve(config("paper"), SCHEMA)
    occam = c["occam"]
    assert c["prior"]["experiments"]["chaos"]["samples"] == 10**8  # P(K) per sigma_w (T12)
    assert {s["sigma_w"] for s in [c["occam"]["nets"][n] for n in occam["panels"]["nets"]]} == {1.0, 8.0}
    assert occam["panels"]["runs"] >= 1000 and occam["runs"] >= 1000  # 1000 runs per panel
    assert occam["shards"] > 1  # spread over SLURM jobs
