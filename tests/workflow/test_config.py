"""Bad config fails before any compute, naming the key and what is allowed."""

import copy
import subprocess

import pytest
import yaml

from conftest import REPO
from nnbayes.core.specs import expand_grids, spec_name
from nnbayes.workflow.config import ConfigError, deep_merge, resolve

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
BASE = yaml.safe_load((REPO / "config.yaml").read_text())


def with_change(path: str, value, config=None) -> dict:
    cfg = copy.deepcopy(config or BASE)
    *parents, last = path.split(".")
    node = cfg
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    node[last] = value
    return cfg


@pytest.mark.parametrize("scale", ["smoke", "default", "paper"])
def test_every_preset_validates(scale):
    resolved = resolve(with_change("scale", scale), SCHEMA)
    assert resolved["scale"] == scale


@pytest.mark.parametrize(
    "path, value, expected",
    [
        ("scale", "huge", "config key 'scale': 'huge' is not one of ['default', 'paper', 'smoke']"),
        ("device", "gpu", "config key 'device': 'gpu' is not one of ['auto', 'cpu', 'cuda']"),
        ("prior.experiments.fcn.record", "function",
         "config key 'prior.experiments.fcn.record': 'function' is not one of ['functions', 'ones_count']"),
        ("prior.experiments.fcn.sampels", 10, "config key 'prior.experiments.fcn': unknown key(s) ['sampels']"),
        ("prior.experiments.fcn.samples", "many", "config key 'prior.experiments.fcn.samples'"),
        ("prior.experiments.fcn.shards", 0, "config key 'prior.experiments.fcn.shards': 0 is less than the minimum of 1"),
        ("data.n", 9, "config key 'data.n': 9 is greater than the maximum of 7"),
        ("prior.experiments.chaos.grids.0.activation", "gelu",
         "config key 'prior.experiments.chaos.grids.0.activation': 'gelu' is not one of ['relu', 'tanh']"),
        ("data.images.source", "cifar", "config key 'data.images.source': 'cifar' is not one of ['digits', 'mnist']"),
        ("sgd_bayes.tasks.boolean.variants", ["sgd_b8", "sgd_b9"],
         "config key 'sgd_bayes.tasks.boolean.variants': 'sgd_b9' is not one of"),
        ("sgd_bayes.tasks.boolean.data.target", "sgd_t9", "config key 'sgd_bayes.tasks.boolean.data.target': 'sgd_t9'"),
        ("sgd_bayes.tasks.boolean.data.train", "0101", "config key 'sgd_bayes.tasks.boolean.data.train': need 128"),
        ("sgd_bayes.variants.agd.optimizer", "lbfgs",
         "config key 'sgd_bayes.variants.agd.optimizer': 'lbfgs' is not one of ['sgd', 'adam', 'agd']"),
        ("sgd_bayes.tasks.digits.data.test_size", 500, "config key 'sgd_bayes.tasks.digits.data"),
        ("occam.variant.sampler", "importance",
         "config key 'occam.variant.sampler': 'importance' is not one of ['shuffle', 'adversarial']"),
    ],
)
def test_bad_values_name_the_key(path, value, expected):
    cfg = with_change(path, value, with_change("presets", {"smoke": {}, "default": {}, "paper": {}}))
    with pytest.raises(ConfigError) as err:
        resolve(cfg, SCHEMA)
    assert expected in str(err.value)


def test_a_typo_inside_a_preset_is_caught_after_merging():
    cfg = with_change("presets.smoke", {"prior": {"experimnts": {}}}, with_change("scale", "smoke"))
    with pytest.raises(ConfigError, match=r"config key 'prior': unknown key\(s\) \['experimnts'\]"):
        resolve(cfg, SCHEMA)


def test_deep_merge_replaces_lists_and_keeps_siblings():
    out = deep_merge({"a": {"b": 1, "c": [1, 2]}, "d": 3}, {"a": {"c": [9]}})
    assert out == {"a": {"b": 1, "c": [9]}, "d": 3}


def test_grid_expansion():
    defaults = BASE["prior"]["defaults"]
    sets = expand_grids({"grids": [{"depth": [0, 1], "sigma_b": [0.0, 1.0]}, {"kind": "uniform"}]}, defaults)
    assert list(sets) == ["perceptron-sw1-sb0-binary", "perceptron-sw1-sb1-binary",
                          "relu-d1-w40-sw1-sb0-binary", "relu-d1-w40-sw1-sb1-binary", "uniform"]
    assert spec_name(sets["uniform"]) == "uniform"


def test_snakemake_refuses_bad_config_before_any_job(tmp_path):
    r = subprocess.run(["snakemake", "-n", "--config", "scale=huge", "--directory", str(tmp_path),
                        "--snakefile", str(REPO / "Snakefile"), "--configfile", str(REPO / "config.yaml")],
                       cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "config key 'scale': 'huge' is not one of" in r.stdout + r.stderr
    assert not (tmp_path / "results").exists()
