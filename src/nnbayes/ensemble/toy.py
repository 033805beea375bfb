"""The "ensemble prior" toy model (Hebbar 2023; research note §3.2) in closed form: min-L2-norm
regression over q = pM copies of a perfect feature and m = (1 - p)M random +-1 features.

Gradient descent from 0 on the squared loss converges to w = Phi^T (Phi Phi^T)^-1 y with
Phi = [y ... y | R] (n x M, n training points). Sherman-Morrison on Phi Phi^T = K_r + q y y^T
(K_r = R R^T) gives

    perfect output = [q a / (1 + q a)] y,   random output = y / (1 + q a),   a = y^T K_r^-1 y,

so the ratio of the two contributions (and of their sums of squared weights) is exactly R = q a.
For large M, K_r ~ m I and R -> p n / (1 - p); for Gaussian features K_r is Wishart and
E R = q n / (m - n - 1) exactly. Perfect features dominate iff R > 1: with p = 2^-C that needs
n > 2^C - 1 training points, exponential in the feature's description length C.

Torch-free (numpy only): the workflow's config check, the checks and the plots import it; the
Monte Carlo lives in `ensemble_mc`.
"""

import itertools

import numpy as np

FEATURES = ("rademacher", "gaussian")
GRID_KEYS = ("features", "M", "C", "n")


def split_features(M: int, C: float) -> tuple[int, int]:
    """(q, m): round(M 2^-C) perfect copies and M - q random features (p is then q / M exactly)."""
    q = round(M * 2.0**-C)
    if q < 1:
        raise ValueError(f"M = {M} with C = {C:g} leaves no perfect feature (M 2^-C < 0.5)")
    return q, M - q


def ratio_limit(n, q, m):
    """R as M -> infinity at fixed p = q / M: p n / (1 - p) = q n / m."""
    return np.asarray(q, float) * n / m


def ratio_finite(n, q, m):
    """E R for Gaussian random features at finite M: q n / (m - n - 1), since E W^-1 =
    I / (m - n - 1) for W ~ Wishart_n(m, I). Needs m > n + 1."""
    m = np.asarray(m, float)
    if np.any(m <= np.asarray(n) + 1):
        raise ValueError("the finite-M expectation needs m > n + 1 random features")
    return np.asarray(q, float) * n / (m - n - 1)


def crossing_limit(q, m):
    """n at which perfect and random contributions are equal as M -> infinity: (1 - p)/p = m/q."""
    return np.asarray(m, float) / q


def crossing_finite(q, m):
    """n solving q n / (m - n - 1) = 1 (Gaussian features, finite M): (m - 1) / (q + 1)."""
    return (np.asarray(m, float) - 1) / (np.asarray(q, float) + 1)


def crossing(n, ratio) -> float:
    """Where R(n) crosses 1, by log-log interpolation between the bracketing grid points (exact
    when R is proportional to n, as in the limit). NaN when the grid does not bracket 1."""
    n, ratio = np.asarray(n, float), np.asarray(ratio, float)
    order = np.argsort(n)
    n, logr = np.log(n[order]), np.log(ratio[order])
    above = np.flatnonzero((logr[:-1] < 0) & (logr[1:] >= 0))
    if not len(above):
        return float("nan")
    i = above[0]
    return float(np.exp(n[i] - logr[i] * (n[i + 1] - n[i]) / (logr[i + 1] - logr[i])))


def ratio_cells(spec: dict, key: str = "ensemble.ratio") -> list[dict]:
    """Every (features, M, C, n) cell of the config's ensemble.ratio grids, in config order;
    refuses, naming the key, cells whose random features cannot interpolate (m < n + 2)."""
    cells = []
    for g, grid in enumerate(spec["grids"]):
        where = f"'{key}.grids[{g}]'"
        axes = [grid[k] if isinstance(grid[k], list) else [grid[k]] for k in GRID_KEYS]
        for features, M, C, n in itertools.product(*axes):
            if features not in FEATURES:
                raise ValueError(f"{where}: features {features!r} is not one of {list(FEATURES)}")
            try:
                q, m = split_features(M, C)
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
            if m < n + 2:
                raise ValueError(f"{where}: M = {M}, C = {C:g} leaves m = {m} random features for "
                                 f"n = {n} points; need m >= n + 2")
            cell = dict(features=features, M=M, C=float(C), n=n)
            if cell not in cells:
                cells.append(cell)
    return cells
