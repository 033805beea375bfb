"""The prior checks can fail: feed them tables that break the claims they test, judged by the
pre-registered criteria (workflow/criteria/prior.yaml)."""

import numpy as np
import pandas as pd

from conftest import REPO
from nnbayes.prior.checks import depth_t, perceptron_t, rank_slope
from nnbayes.workflow.criteria import judged, load

CRITERIA = load(REPO / "workflow" / "criteria" / "prior.yaml")
PERCEPTRON = {"kind": "fcn", "depth": 0, "width": 40, "activation": "relu", "sigma_w": 1.0, "inputs": "binary"}


def t_table(counts) -> pd.DataFrame:
    return pd.DataFrame({"t": np.arange(len(counts)), "count": np.asarray(counts, dtype=np.int64)})


def meta(**spec) -> dict:
    return {"spec": {**PERCEPTRON, **spec}, "n_points": 128, "samples": 10**5}


def verdicts(rows) -> dict:
    return judged("fig", rows, CRITERIA, "smoke").set_index("id")["passed"].to_dict()


def test_perceptron_check_passes_uniform_and_fails_peaked_counts():
    rng = np.random.default_rng(0)
    uniform = np.append(rng.multinomial(128_000, np.full(128, 1 / 128)), 0)
    peaked = uniform.copy()
    peaked[0] += 2000
    key = "fig1_perceptron_t/uniform_pvalue"
    assert verdicts(perceptron_t([(meta(sigma_b=0.0), t_table(uniform))]))[key]
    assert not verdicts(perceptron_t([(meta(sigma_b=0.0), t_table(peaked))]))[key]
    impossible = uniform.copy()
    impossible[-1] = 1
    assert not verdicts(perceptron_t([(meta(sigma_b=0.0), t_table(impossible))]))["fig1_perceptron_t/count_all_ones"]


def test_depth_check_fails_when_mass_decreases():
    def table(extreme):
        c = np.full(129, 100)
        c[[0, 127, 128]] = extreme
        return t_table(c)

    sets = [({"spec": {"depth": d, "sigma_b": 0.0}, "n_points": 128, "samples": 1}, table(e))
            for d, e in ((0, 500), (1, 300))]
    assert not verdicts(depth_t(sets))["fig2_depth_t/extremes_vs_depth[sigma_b=0, depth [0, 1]]"]


def test_rank_slope_recovers_a_power_law():
    r = np.arange(1, 20001)
    assert abs(rank_slope(1 / r**1.3) + 1.3) < 1e-9
