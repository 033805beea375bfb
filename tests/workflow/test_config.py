"""Bad config fails before any compute, naming the key and what is allowed."""

import copy
import subprocess

import pytest
import yaml

from conftest import REPO, snakemake
from nnbayes.core.specs import expand_grids, spec_name
from nnbayes.workflow.config import ConfigError, deep_merge, resolve
from nnbayes.workflow.overrides import user_overrides

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
        ("data.images.source", "cifar", "config key 'data.images.source': 'cifar' is not one of ['digits', 'mnist', 'fashion_mnist']"),
        ("sgd_bayes.tasks.boolean.variants", ["sgd_b8", "sgd_b9"],
         "config key 'sgd_bayes.tasks.boolean.variants': 'sgd_b9' is not one of"),
        ("sgd_bayes.tasks.boolean.data.target", "sgd_t9", "config key 'sgd_bayes.tasks.boolean.data.target': 'sgd_t9'"),
        ("sgd_bayes.tasks.boolean.data.train", "0101", "config key 'sgd_bayes.tasks.boolean.data.train': need 128"),
        ("sgd_bayes.variants.agd.optimizer", "lbfgs",
         "config key 'sgd_bayes.variants.agd.optimizer': 'lbfgs' is not one of ['sgd', 'adam', 'agd', 'adagrad', 'adadelta', 'rmsprop']"),
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


# --- what the user sets is what runs --------------------------------------------------------

SCHEMA_DICT = yaml.safe_load(SCHEMA.read_text())


def test_a_user_value_wins_over_the_preset_and_the_preset_keeps_the_rest():
    user = {"scale": "smoke", "prior": {"experiments": {"fcn": {"samples": 1000}}}}
    fcn = resolve(BASE, SCHEMA, user)["prior"]["experiments"]["fcn"]
    smoke = BASE["presets"]["smoke"]["prior"]["experiments"]["fcn"]
    assert fcn["samples"] == 1000 != smoke["samples"]
    assert fcn["shards"] == smoke["shards"] != BASE["prior"]["experiments"]["fcn"]["shards"]
    assert fcn["grids"] == smoke["grids"]


def test_a_configfile_overrides_only_what_differs_from_config_yaml():
    edited = with_change("prior.experiments.fcn.samples", 1000, with_change("scale", "smoke"))
    assert user_overrides(BASE, edited, {}, SCHEMA_DICT) == {
        "scale": "smoke", "prior": {"experiments": {"fcn": {"samples": 1000}}}}
    assert user_overrides(BASE, BASE, {}, SCHEMA_DICT) == {}


def test_a_config_value_equal_to_the_base_still_wins_over_the_preset():
    cli = {"scale": "smoke", "prior": {"experiments": {"fcn": {"samples": "100000000"}}}}
    user = user_overrides(BASE, cli, cli, SCHEMA_DICT)
    assert resolve(BASE, SCHEMA, user)["prior"]["experiments"]["fcn"]["samples"] == 100000000


def test_nested_config_strings_take_the_schema_types():
    cli = {"prior": {"batch": "512", "defaults": {"sigma_b": "0.5"}},
           "data": {"targets": {"t": {"kind": "bits", "bits": "0101"}, "z": {"kind": "constant", "value": "1"}},
                    "images": {"root": "null"}},
           "sgd_bayes": {"variants": {"a": {"batch_size": "16"}, "b": {"batch_size": "full", "lr": "1e-3"}}},
           "meanfield": {"tasks": {"parity": {"kappa": ["0.05", "0.5"]}}}}
    user = user_overrides(BASE, cli, cli, SCHEMA_DICT)
    assert user["prior"] == {"batch": 512, "defaults": {"sigma_b": 0.5}}
    assert user["data"]["targets"] == {"t": {"kind": "bits", "bits": "0101"}, "z": {"kind": "constant", "value": 1}}
    assert user["data"]["images"] == {"root": None}
    assert user["sgd_bayes"]["variants"] == {"a": {"batch_size": 16}, "b": {"batch_size": "full", "lr": 0.001}}
    assert user["meanfield"]["tasks"]["parity"]["kappa"] == [0.05, 0.5]


@pytest.mark.parametrize("route", ["--config", "--configfile"])
def test_a_nested_override_reaches_the_jobs_the_log_and_the_stamp(route, tmp_path):
    value = "prior={experiments: {fcn: {samples: 1000}}, batch: 512}"
    if route == "--config":
        args = ["--config", "scale=smoke", value]
    else:
        (tmp_path / "mine.yaml").write_text("scale: smoke\n" + value.replace("=", ": ", 1) + "\n")
        args = ["--configfile", "config.yaml", str(tmp_path / "mine.yaml")]
    code, out = snakemake("-n", "-p", "--forceall", "fig3_rank", *args)
    assert code == 0, out
    shards = BASE["presets"]["smoke"]["prior"]["experiments"]["fcn"]["shards"]
    assert out.count(f"--samples {1000 // shards} ") == shards and "--batch 512 " in out
    log = next(line for line in out.splitlines() if "user overrides (over the preset): " in line)
    stamp = out.split("-p stamp 'scale=smoke config=")[1].split("'")[0]
    for shown in (log, stamp):
        assert sorted(shown.split(": ")[-1].split(", ")) == ["prior.batch", "prior.experiments.fcn.samples"]


def test_without_overrides_the_stamp_is_as_before():
    code, out = snakemake("-n", "-p", "--forceall", "fig3_rank", "--config", "scale=smoke")
    assert code == 0, out
    assert "user overrides" not in out and "user:" not in out
