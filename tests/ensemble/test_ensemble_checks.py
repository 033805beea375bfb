"""The ensemble checks can fail: feed them synthetic tables that break the claims they test,
judged by the pre-registered criteria (workflow/criteria/ensemble.yaml)."""

import numpy as np
import pandas as pd

from conftest import REPO
from nnbayes.ensemble.checks import data_requirement, width_scaling
from nnbayes.ensemble.width_limit import grid_points
from nnbayes.workflow.criteria import judged, load

CRITERIA = load(REPO / "workflow" / "criteria" / "ensemble.yaml")
GRID = {"points": 9, "half_side": 2.0}
WIDTHS = (64, 256, 1024, 4096)


def verdicts(rows, scale="smoke") -> dict:
    return judged("fig", rows, CRITERIA, scale).set_index("id")["passed"].to_dict()


def width_sets(antisymmetric_rate: float, plain_rate: float, offset: float = 0.5, seeds: int = 24):
    """Nets = limit + offset (plain init only, width-independent) + noise * N^rate."""
    rng = np.random.default_rng(0)
    g = grid_points(GRID)
    plane = 0.7 * g[:, 0] - 0.2 * g[:, 1]
    off = {r: offset * rng.standard_normal((seeds, len(g))) for r in ("ntk", "last_layer")}
    rows = [{"regime": r, "init": init, "width": w, "seed": s, "steps": 1, "converged": True,
             "f": plane + (off[r][s] if init == "plain" else 0)
             + rng.standard_normal(len(g)) * w ** (antisymmetric_rate if init == "antisymmetric" else plain_rate)}
            for r in ("ntk", "last_layer") for init in ("antisymmetric", "plain") for w in WIDTHS for s in range(seeds)]
    spec = {"grid": GRID, "fit_min_width": 64, "tol": 1e-10}
    limits = pd.DataFrame({"regime": ["ntk", "last_layer"], "limit": [plane, plane],
                           "offset_std": [np.full(len(g), offset)] * 2, "train_residual": [0.0, 0.0]})
    return [({"stage": "width", "spec": spec}, pd.DataFrame(rows)), ({"stage": "width_limit"}, limits)]


def test_f0_zero_slope_is_judged_against_minus_one_half():
    ok = verdicts(width_scaling(width_sets(-0.5, 0.0)))
    flat = verdicts(width_scaling(width_sets(0.0, 0.0)))
    for metric in ("spread", "distance"):
        assert ok[f"ens4_width_scaling/f0_zero_slope[ntk, {metric}]"]
        assert not flat[f"ens4_width_scaling/f0_zero_slope[ntk, {metric}]"]


def test_plain_init_claim_fails_when_the_offset_stays_and_passes_when_it_shrinks():
    stays = verdicts(width_scaling(width_sets(-0.5, -0.5, offset=0.5)))
    assert not stays["ens4_width_scaling/plain_shrinks_pvalue[last_layer, spread]"]
    assert stays["ens4_width_scaling/plain_offset_z[last_layer]"]
    shrinks = verdicts(width_scaling(width_sets(-0.5, -0.5, offset=0.0)))
    assert shrinks["ens4_width_scaling/plain_shrinks_pvalue[last_layer, spread]"]
    sets = width_sets(-0.5, -0.5, offset=0.5)
    sets[1][1]["offset_std"] = [np.full(len(grid_points(GRID)), 0.25)] * 2  # half the true offset
    assert not verdicts(width_scaling(sets))["ens4_width_scaling/plain_offset_z[ntk]"]


def ratio_sets(threshold):
    """Draws of R = n / n*(C) with 1 % noise: R crosses 1 at n*(C)."""
    rng = np.random.default_rng(1)
    q, m = 8, 4000
    rows = [{"features": "gaussian", "M": q + m, "C": C, "n": n, "q": q, "m": m,
             "ratio": n / threshold(C) * (1 + 0.01 * rng.standard_normal())}
            for C in (3.0, 4.0, 5.0) for n in (2, 4, 8, 16, 32, 64) for _ in range(50)]
    return [({"stage": "ratio"}, pd.DataFrame(rows))]


def test_crossing_and_doubling_fail_off_two_to_the_c():
    ok = verdicts(data_requirement(ratio_sets(lambda C: 2**C - 1)))
    assert ok["ens2_data_requirement/crossing_rel[gaussian M=4008 C=4]"]
    assert ok["ens2_data_requirement/doubling_slope[gaussian M=4008]"]
    doubled = verdicts(data_requirement(ratio_sets(lambda C: 2 * (2**C - 1))))
    assert not doubled["ens2_data_requirement/crossing_rel[gaussian M=4008 C=4]"]
    slow = verdicts(data_requirement(ratio_sets(lambda C: 2 ** (C / 2) * 7 / 2**1.5)))
    assert not slow["ens2_data_requirement/doubling_slope[gaussian M=4008]"]
