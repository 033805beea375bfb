"""The figure checks can fail: feed them tables that break the claims they test."""

import numpy as np
import pandas as pd

from nnbayes.prior.checks import depth_t, perceptron_t, rank_slope

PERCEPTRON = {"kind": "fcn", "depth": 0, "width": 40, "activation": "relu", "sigma_w": 1.0, "inputs": "binary"}


def t_table(counts) -> pd.DataFrame:
    return pd.DataFrame({"t": np.arange(len(counts)), "count": np.asarray(counts, dtype=np.int64)})


def meta(**spec) -> dict:
    return {"spec": {**PERCEPTRON, **spec}, "n_points": 128, "samples": 10**5}


def verdicts(rows) -> dict:
    return {r["check"]: r["passed"] for r in rows}


def test_perceptron_check_passes_uniform_and_fails_peaked_counts():
    rng = np.random.default_rng(0)
    uniform = np.append(rng.multinomial(128_000, np.full(128, 1 / 128)), 0)
    peaked = uniform.copy()
    peaked[0] += 2000
    ok = verdicts(perceptron_t([(meta(sigma_b=0.0), t_table(uniform))]))
    bad = verdicts(perceptron_t([(meta(sigma_b=0.0), t_table(peaked))]))
    key = "binary sigma_b=0: chi2 p-value of P(t) vs uniform on t<2^n"
    assert ok[key] and not bad[key]
    impossible = uniform.copy()
    impossible[-1] = 1
    assert not verdicts(perceptron_t([(meta(sigma_b=0.0), t_table(impossible))]))["binary sigma_b=0: count(t=2^n)"]


def test_depth_check_fails_when_mass_decreases():
    def table(extreme):
        c = np.full(129, 100)
        c[[0, 127, 128]] = extreme
        return t_table(c)

    sets = [({"spec": {"depth": d, "sigma_b": 0.0}, "n_points": 128, "samples": 1}, table(e))
            for d, e in ((0, 500), (1, 300))]
    assert not verdicts(depth_t(sets))["sigma_b=0: P(t extreme) over depth [0, 1]"]


def test_rank_slope_recovers_a_power_law():
    r = np.arange(1, 20001)
    assert abs(rank_slope(1 / r**1.3) + 1.3) < 1e-9
