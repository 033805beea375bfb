"""The occam criteria file carries the authors' numbers it claims to: Fig. 1c's mean and std at
every target and sigma_w the figures judge, at every scale, and the paper's target labels."""

import numpy as np
import pytest
import yaml
from conftest import REPO

from nnbayes.occam.reference import FIG1C_MEAN, fig1c
from nnbayes.occam.targets import complexity_columns, graded_targets
from nnbayes.workflow.config import resolve
from nnbayes.workflow.criteria import load

CRITERIA = load(REPO / "workflow" / "criteria" / "occam.yaml")


def _config(scale: str) -> dict:
    raw = yaml.safe_load((REPO / "config.yaml").read_text())
    return resolve({**raw, "scale": scale}, REPO / "workflow/schemas/config.schema.yaml")


@pytest.mark.parametrize("scale", ["smoke", "default", "paper"])
def test_every_judged_mean_has_the_authors_fig1c_number_and_spread(scale):
    occam = _config(scale)["occam"]
    targets = graded_targets(occam["targets"], 128)
    k = dict(zip(targets, complexity_columns(np.stack(list(targets.values())))["clz_occam2304"]))
    instances = CRITERIA["occam1_generalisation/mean_error"]["instances"]
    for net in occam["generalisation"]["nets"]:
        spec = occam["nets"][net]
        if spec["activation"] != "tanh" or spec["sigma_w"] not in FIG1C_MEAN:
            continue
        for name in targets:
            mean, std = fig1c(spec["sigma_w"], float(k[name]))
            entry = instances[f"{net}, {name}, K={k[name]:g}"]
            assert entry["rule"]["value"] == entry["source"]["value"] == mean
            assert entry["source"]["error"] == std and entry["source"]["kind"] == "authors"


def test_the_papers_targets_carry_their_labels():
    labels = {n: e["rule"]["value"] for n, e in CRITERIA["occam1_generalisation/target_clz"]["instances"].items()}
    targets = graded_targets({"ones": [2, 10, 21], "seed": 10, "random": 0}, 128)
    k = complexity_columns(np.stack(list(targets.values())))["clz_occam2304"]
    assert labels == dict(zip(targets, k.tolist())) == {"ones2": 31.5, "ones10": 66.5, "ones21": 101.5}
