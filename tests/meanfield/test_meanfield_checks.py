"""The mean-field checks can fail: synthetic grid tables that break the claims they test, judged
by the pre-registered criteria (workflow/criteria/meanfield.yaml)."""

import pandas as pd

from conftest import REPO
from nnbayes.meanfield.checks import learning_curves, order_parameter
from nnbayes.workflow.criteria import judged, load

CRITERIA = load(REPO / "workflow" / "criteria" / "meanfield.yaml")
M = {"krr": (0.2, 0.4, 0.6), "sgld": (0.3, 0.8, 0.95), "mf": (0.22, 0.52, 0.68), "mf_ard": (0.3, 0.78, 0.93)}


def sets(m=M, limit_dist=0.01, gibbs_gap=0.01):
    """One parity task on P = 32, 64, 128 at kappa = 0.05; test MSE (1 - m)^2."""
    m = {**m, "mf_limit": m["krr"]}
    rows = [{"method": k, "seed": 0, "P": P, "kappa": 0.05, "width": 10**6 if k == "mf_limit" else 64,
             "test_mse": (1 - v) ** 2, "m": v, "zeta": 1.0, "dist_krr": limit_dist if k == "mf_limit" else 0.2,
             "gibbs_mse": (1 - v) ** 2 + gibbs_gap, "rhat_m": 1.01, "spec_frac": 0.1}
            for k, ms in m.items() for P, v in zip((32, 64, 128), ms)]
    meta = {"stage": "meanfield", "task": "parity", "target": {"kind": "parity", "d": 10, "k": 2},
            "step_factor": 1.0, "curve": {"kappa": 0.05, "P": 64}}
    return [(meta, pd.DataFrame(rows))]


def verdicts(rows) -> dict:
    return judged("fig", rows, CRITERIA, "smoke").set_index("id")["passed"].to_dict()


def test_the_infinite_width_limit_is_judged_by_its_tolerance():
    assert verdicts(learning_curves(sets()))["mf2_learning_curves/limit_distance[parity]"]
    assert not verdicts(learning_curves(sets(limit_dist=0.2)))["mf2_learning_curves/limit_distance[parity]"]


def test_learning_curve_claims_fail_on_curves_that_break_them():
    ok = verdicts(learning_curves(sets()))
    for key in ("mf_gain_fraction", "ard_sgld_log_ratio", "mf_worse_than_krr", "sgld_beats_krr", "jensen_violations"):
        assert ok[f"mf2_learning_curves/{key}[parity]"], key
    mf_as_good_as_sgld = verdicts(learning_curves(sets({**M, "mf": M["sgld"]})))
    assert not mf_as_good_as_sgld["mf2_learning_curves/mf_gain_fraction[parity]"]
    mf_below_krr = verdicts(learning_curves(sets({**M, "mf": (0.1, 0.3, 0.5)})))
    assert not mf_below_krr["mf2_learning_curves/mf_worse_than_krr[parity]"]
    assert not verdicts(learning_curves(sets(gibbs_gap=-0.01)))["mf2_learning_curves/jensen_violations[parity]"]


def test_onset_ratio_fails_when_plain_mf_has_no_onset():
    ok = verdicts(order_parameter(sets()))
    assert ok["mf1_order_parameter/onset_ratio_mf_sgld[parity]"]
    assert ok["mf1_order_parameter/m_vs_p[parity, SGLD]"]
    none = verdicts(order_parameter(sets({**M, "mf": (0.21, 0.45, 0.65)})))
    assert not none["mf1_order_parameter/onset_ratio_mf_sgld[parity]"]
    falling = verdicts(order_parameter(sets({**M, "sgld": (0.3, 0.9, 0.85)})))
    assert not falling["mf1_order_parameter/m_vs_p[parity, SGLD]"]
