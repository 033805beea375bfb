"""The "ensemble prior" figures (Hebbar 2023; research note §3), declared once: see core.figure."""

from nnbayes.core.figure import Figure
from nnbayes.ensemble import checks, plots
from nnbayes.ensemble.paths import RATIO, WIDTH_LIMIT, width_tables

_RATIO = {"inputs": lambda c: {"ratio": [RATIO]}, "config": lambda c: c["ensemble"]["ratio"]}
_WIDTH = {"inputs": lambda c: {"width": width_tables(c), "width_limit": [WIDTH_LIMIT]},
          "config": lambda c: c["ensemble"]["width"]}

FIGURES = [
    Figure("ens1_contribution_ratio", """# The contribution ratio of perfect to random features (T11)

Min-L2-norm regression over a fraction p = 2^-C of perfect features and random features: Monte Carlo
against the exact identity R = q y^T K_r^-1 y, the limit p n/(1-p) and the finite-M expectation
q n/(m-n-1) (exact for Gaussian features).""", **_RATIO, checks=checks.contribution_ratio,
           plot=plots.contribution_ratio),
    Figure("ens2_data_requirement", """# The data requirement n ~ 2^C (T11)

The crossing R = 1 of the Monte Carlo against C, beside 2^C - 1 where perfect features would
dominate the min-L2 fit, and the perfect share R/(1+R) against n p/(1-p).""", **_RATIO,
           checks=checks.data_requirement, plot=plots.data_requirement),
    Figure("ens3_width_functions", """# Learned functions by width and seed beside the kernel limit (T12)

One-hidden-layer ReLU nets fitted to 4 XOR points in 2-D, by width and seed, with antisymmetric
init (f0 = 0) and with a plain init, beside the NTK interpolant (all layers trained) and the
NNGP interpolant (hidden rate 1/N).""", **_WIDTH, checks=checks.width_functions,
           plot=plots.width_functions),
    Figure("ens4_width_scaling", """# Spread and distance to the kernel limit against width (T12)

Seed spread and rms distance to the limit against width N, log-log, with fitted slopes in the
legend, for f0 = 0 and for a plain init (whose closed-form GP offset is drawn). With f0 = 0 the
slopes are judged against the theory's -1/2; with a plain init the essay's claim that seeds agree
as width grows is tested as stated, and fails: the init offset does not shrink (a known finding,
a real limit of the essay's claim).""", **_WIDTH,
           checks=checks.width_scaling, plot=plots.width_scaling),
]
