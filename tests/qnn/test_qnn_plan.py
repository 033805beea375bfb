"""The QNN config section: bad values fail before any compute, naming the key; the checks
tables judge real discrepancies (negative controls)."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO
from nnbayes.qnn.checks import expressivity, mapping
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


def test_mapping_check_fails_on_a_broken_map():
    df = pd.DataFrame({"embedding": "e", "unitary": "haar", "qubits": 3, "circuit": 0, "input": np.arange(50),
                       "qnn": np.linspace(-0.8, 0.8, 50)})
    moments = pd.DataFrame({"embedding": "e", "scheme": "haar", "dim": 8, "i": [0], "j": [0], "fidelity": [1.0],
                            "theory": [1 / 9], "empirical": [1 / 9 + 0.05], "stderr": [0.001]})
    meta = {"options": {"moment_draws": 100}}
    df = df.assign(tpp_complex_re=df["qnn"], tpp_complex_im=0.0)
    good = mapping([({"stage": "qnn_mapping"}, df.assign(tpp=df["qnn"] + 1e-15)), ({**meta, "stage": "qnn_moments"}, moments)])
    bad = mapping([({"stage": "qnn_mapping"}, df.assign(tpp=df["qnn"] + 1e-6)), ({**meta, "stage": "qnn_moments"}, moments)])
    assert good[0]["passed"] and not bad[0]["passed"]
    assert [r for r in good if "max |z|" in r["check"]][0]["passed"] is False  # 50 s.e. off


def test_expressivity_check_catches_a_wrong_count():
    meta = {"stage": "qnn_expressivity", "embeddings": {"pm": {"kind": "amplitude", "inputs": "pm"}}}
    row = dict(model="tpp", embedding="pm", n=4, domain=16, classes=8, rank=7, group=1, lp_calls=0,
               expressible=254.0, fraction=254 / 2**16, fraction_se=0.0, exact=True, parity_expressible=False)
    ok = expressivity([(meta, pd.DataFrame([row]))])
    wrong = expressivity([(meta, pd.DataFrame([{**row, "expressible": 256.0, "parity_expressible": True}]))])
    assert all(r["passed"] for r in ok) and sum(not r["passed"] for r in wrong) == 2
