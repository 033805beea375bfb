"""The QNN config section: bad values fail before any compute, naming the key."""

import copy

import pytest
import yaml

from conftest import REPO
from nnbayes.workflow.config import ConfigError, resolve

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
BASE = yaml.safe_load((REPO / "config.yaml").read_text())


def with_scale(scale: str) -> dict:
    return {**copy.deepcopy(BASE), "scale": scale}


@pytest.mark.parametrize("scale", ["smoke", "default", "paper"])
def test_every_preset_resolves(scale):
    assert resolve(with_scale(scale), SCHEMA)["qnn"]["prior"]["grids"]


@pytest.mark.parametrize("path, value, message", [
    ("learning.embeddings", ["basis", "nope"], "'qnn.learning.embeddings': 'nope'"),
    ("learning.embeddings", ["amplitude01_drop"], "leaves x = 0 out"),
    ("layered.embedding", "amplitude_pm", "'qnn.layered.embedding'"),
    ("learning.targets", ["zero", "missing_target"], "'qnn.learning.targets'"),
    ("observable_qubit", 4, "'qnn.observable_qubit'"),  # amplitude embeddings of 7 bits use 3 qubits
    ("kernel.base", "swap", "'qnn.kernel.base'"),
    ("embeddings.basis", {"kind": "basis", "theta": 1.0}, "qnn.embeddings.basis"),
])
def test_bad_values_name_the_key(path, value, message):
    cfg = with_scale("default")
    node = cfg["qnn"]
    keys = path.split(".")
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value
    cfg["presets"]["default"].pop("qnn", None)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(cfg, SCHEMA)
