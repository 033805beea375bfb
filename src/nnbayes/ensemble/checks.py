"""The numbers the ensemble-prior figures are judged by (research note §6: T11 and T12), and the
summaries their plots share. Torch-free.

Inputs are `[(meta, table), ...]` of three stages (meta['stage']): `ratio` (one row per draw of
the min-L2 toy model, `ensemble_mc`), `width` (one row per trained net, its function on a grid,
`width_limit.train_width`) and `width_limit` (the kernel interpolants and the plain-init offset
std on the same grid). Thresholds are the note's pre-registered ones where it gives them.
"""

import numpy as np
import pandas as pd

from nnbayes.core.checks import row, stage
from nnbayes.ensemble.toy import crossing, crossing_limit, ratio_finite

Z = 4.0  # standard errors allowed for sampled estimates against a closed form
IDENTITY_TOL = 1e-6  # R by Sherman-Morrison vs from the full system (float64 solves)
LIMIT_NM_MAX = 0.01  # cells close to the M -> infinity limit: (n + 1) / m <= 1 %
LIMIT_REL_MAX = 0.02  # T11: there, within 2 % of p n / (1 - p)
FINITE_NM_MIN = 0.05  # cells where the finite-M correction (n + 1) / m must be resolved
COIN_TOL_M = 3.0  # +-1 features fix K_ii = m: the Gaussian E R holds to O(1/m) (n = 1: 2/m below)
CROSSING_REL_MAX = 0.10  # T11: the crossing R = 1 at n = 2^C - 1 within 10 %
DOUBLING_SLOPE_TOL = 0.1  # log2 (required n) against C, vs that of 2^C - 1 (n ~ 2^C)
BOOTSTRAP = 1000
CELL = ["features", "M", "C", "n"]
SERIES = ["features", "M", "C"]

SLOPE_WINDOW = (-0.6, -0.3)  # T12: around the theoretical N^-1/2 of finite-width fluctuations
PLAIN_SLOPE_MIN = -0.25  # plain init: the offset does not vanish (slope ~ 0, not -1/2)
ROUGHNESS_REL_MAX = 0.05  # largest width vs the kernel limit (note: within 1-2 % at N = 2048)
TRAIN_RESIDUAL_MAX = 1e-8


# --- T11: the min-L2 toy model -------------------------------------------------------------

def ratio_draws(sets) -> pd.DataFrame:
    return pd.concat([t for _, t in stage(sets, "ratio")], ignore_index=True)


def ratio_summary(draws: pd.DataFrame) -> pd.DataFrame:
    """Per cell: mean R and its standard error beside the closed forms."""
    s = draws.groupby(CELL, sort=True).agg(
        q=("q", "first"), m=("m", "first"), p=("p", "first"), draws=("ratio", "size"),
        mean=("ratio", "mean"), sd=("ratio", "std"), limit=("limit", "first"), finite=("finite", "first"),
    ).reset_index()
    s["se"] = s["sd"] / np.sqrt(s["draws"])
    s["nm"] = (s["n"] + 1) / s["m"]  # size of the finite-M correction
    s["rel_limit"] = s["mean"] / s["limit"] - 1
    s["rel_finite"] = s["mean"] / s["finite"] - 1
    s["rel_se"] = s["se"] / s["mean"]
    return s


def crossings(draws: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Per (features, M, C): the n where the mean R crosses 1 (log-log interpolation on the n
    grid), a bootstrap standard error over draws, and the references: the same interpolation
    of the finite-M expectation, the limit m / q and the note's 2^C - 1."""
    rng = np.random.default_rng(seed)
    rows = []
    for key, d in draws.groupby(SERIES, sort=True):
        cells = sorted(d.groupby("n"), key=lambda c: c[0])
        n = np.array([c[0] for c in cells])
        samples = [c[1]["ratio"].to_numpy() for c in cells]
        q, m = int(d["q"].iloc[0]), int(d["m"].iloc[0])
        boot = np.stack([s[rng.integers(0, len(s), (BOOTSTRAP, len(s)))].mean(1) for s in samples], 1)
        reps = np.array([crossing(n, b) for b in boot])
        rows.append(dict(zip(SERIES, key), q=q, m=m, n_hat=crossing(n, [s.mean() for s in samples]),
                         se=float(np.nanstd(reps, ddof=1)), bracketed=float(np.isfinite(reps).mean()),
                         finite=crossing(n, ratio_finite(n, q, m)), limit=float(crossing_limit(q, m)),
                         note=2.0 ** key[2] - 1))
    return pd.DataFrame(rows)


def contribution_ratio(sets) -> list[dict]:
    """T11 (figure 1): R = q y^T K^-1 y exactly, E R against p n / (1 - p) and q n / (m - n - 1)."""
    draws = ratio_draws(sets)
    s = ratio_summary(draws)
    dev = max((draws["ratio_outputs"] / draws["ratio"] - 1).abs().max(),
              (draws["ratio_weights"] / draws["ratio"] - 1).abs().max())
    rows = [
        row("max |R(full solve) / R(Sherman-Morrison) - 1|, outputs and squared weights", float(dev), 0,
            f"< {IDENTITY_TOL:g}", bool(dev < IDENTITY_TOL), f"{len(draws)} draws in {len(s)} cells"),
        row("max |random outputs orthogonal to y| / |random outputs|", float(draws["off_axis"].max()), 0,
            f"< {IDENTITY_TOL:g}", bool(draws["off_axis"].max() < IDENTITY_TOL), "the random part is parallel to y"),
        row("max |fitted outputs - y|", float(draws["train_error"].max()), 0, f"< {IDENTITY_TOL:g}",
            bool(draws["train_error"].max() < IDENTITY_TOL), "the min-norm fit interpolates"),
    ]
    gauss = s[s["features"] == "gaussian"]
    if len(gauss):
        z = ((gauss["mean"] - gauss["finite"]) / gauss["se"]).abs()
        rows.append(row("Gaussian features: max |z| of mean R vs q n / (m - n - 1)", float(z.max()), 0,
                        f"< {Z:g}", bool(z.max() < Z), f"{len(gauss)} cells; the formula is exact in expectation"))
    coins = s[s["features"] == "rademacher"]
    if len(coins):
        excess = coins["rel_finite"].abs() - (Z * coins["rel_se"] + COIN_TOL_M / coins["m"])
        worst = coins.loc[excess.idxmax()]
        rows.append(row("+-1 features: max |mean R / (q n / (m - n - 1)) - 1|", float(coins["rel_finite"].abs().max()),
                        0, f"< {Z:g} SE + {COIN_TOL_M:g}/m in every cell", bool(excess.max() < 0),
                        f"{len(coins)} cells; tightest n={worst['n']}, M={worst['M']}, C={worst['C']:g}"))
    near = s[s["nm"] <= LIMIT_NM_MAX]
    if len(near):
        rows.append(row(f"max |mean R / (p n/(1-p)) - 1| where (n+1)/m <= {LIMIT_NM_MAX:g}",
                        float(near["rel_limit"].abs().max()), 0, f"< {LIMIT_REL_MAX:g} (T11)",
                        bool(near["rel_limit"].abs().max() < LIMIT_REL_MAX), f"{len(near)} cells"))
    far = s[s["nm"] >= FINITE_NM_MIN]
    if len(far):
        zmin = float((far["rel_limit"] / far["rel_se"]).min())
        rows.append(row(f"finite-M excess over p n/(1-p) where (n+1)/m >= {FINITE_NM_MIN:g}: min z", zmin, "",
                        f"> {Z:g} (the correction is resolved)", zmin > Z,
                        f"{len(far)} cells; largest excess {far['rel_limit'].max():.1%}"))
    for n, C, note in ((8, 3.321928, "0.8892 +- 0.0006"), (32, 3.321928, "3.5640 +- 0.0028"),
                       (32, 5.058894, "0.9922 +- 0.0007")):
        hit = s[(s["n"] == n) & np.isclose(s["C"], C, atol=1e-3)]
        for _, c in hit.iterrows():
            rows.append(row(f"{c['features']} n={n}, p={c['p']:.4f}, M={c['M']}: mean R",
                            float(c["mean"]), f"note [M] (M=20000, coins): {note}", "reported", None,
                            f"+- {c['se']:.4f}; limit {c['limit']:.4f}, finite-M {c['finite']:.4f}"))
    return rows


def data_requirement(sets) -> list[dict]:
    """T11 (figure 2): the n at which perfect features take over grows as 2^C."""
    cr = crossings(ratio_draws(sets))
    rows = []
    for _, c in cr.iterrows():
        label = f"{c['features']} M={c['M']} C={c['C']:g}: crossing n"
        if not np.isfinite(c["n_hat"]):
            rows.append(row(label, c["n_hat"], c["note"], "reported (the n grid does not bracket R = 1)", None))
            continue
        rel = c["n_hat"] / c["note"] - 1
        z = (c["n_hat"] - c["finite"]) / c["se"]
        rows.append(row(label, float(c["n_hat"]), f"2^C - 1 = {c['note']:g}", f"within {CROSSING_REL_MAX:.0%} (T11)",
                        abs(rel) < CROSSING_REL_MAX,
                        f"{rel:+.1%}; +- {c['se']:.2f}; finite-M {c['finite']:.2f} (z {z:+.1f}), limit m/q {c['limit']:.2f}"))
        rows.append(row(f"{c['features']} M={c['M']} C={c['C']:g}: |z| vs finite-M crossing", float(abs(z)), 0,
                        f"< {Z:g}", bool(abs(z) < Z), "same interpolation applied to q n / (m - n - 1)"))
    for key, d in cr.dropna(subset=["n_hat"]).groupby(["features", "M"]):
        if len(d) >= 3:
            slope = float(np.polyfit(d["C"], np.log2(d["n_hat"]), 1)[0])
            ref = float(np.polyfit(d["C"], np.log2(d["note"]), 1)[0])
            rows.append(row(f"{key[0]} M={key[1]}: slope of log2(crossing n) vs C", slope,
                            f"{ref:.3f} = slope of log2(2^C - 1) (-> 1: n ~ 2^C)", f"within {DOUBLING_SLOPE_TOL:g}",
                            abs(slope - ref) < DOUBLING_SLOPE_TOL, f"C = {d['C'].tolist()}"))
    return rows


# --- T12: the width experiment ---------------------------------------------------------------

def width_runs(sets) -> tuple[pd.DataFrame, dict]:
    """Every trained net (one row each) and the experiment's spec (from the first table)."""
    runs = stage(sets, "width")
    return pd.concat([t for _, t in runs], ignore_index=True), runs[0][0]["spec"]


def width_limits(sets) -> pd.DataFrame:
    ((_, t),) = stage(sets, "width_limit")
    return t.set_index("regime")


def roughness(F: np.ndarray, grid: dict) -> np.ndarray:
    """Mean |finite difference| / spacing over neighbouring grid points: one value per row of
    F [K, G*G] (a grid-independent mean |directional derivative|)."""
    G = grid["points"]
    img = np.asarray(F, float).reshape(-1, G, G)
    h = 2 * grid["half_side"] / (G - 1)
    return (np.abs(np.diff(img, axis=1)).mean((1, 2)) + np.abs(np.diff(img, axis=2)).mean((1, 2))) / (2 * h)


def width_metrics(runs: pd.DataFrame, limits: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Per (regime, init, width): seed spread (sqrt of the grid-mean across-seed variance), rms
    distance to the own and to the other regime's kernel limit (mean over seeds, with SE), the
    mean squared distance (estimates the plain-init offset variance), roughness, convergence."""
    other = {"ntk": "last_layer", "last_layer": "ntk"}
    out = []
    for (regime, init, width), d in runs.groupby(["regime", "init", "width"], sort=True):
        F = np.stack(d["f"].to_numpy()).astype(float)
        d2 = ((F - limits.loc[regime, "limit"]) ** 2).mean(1)
        dist = np.sqrt(d2)
        out.append(dict(
            regime=regime, init=init, width=width, seeds=len(d),
            spread=float(np.sqrt(F.var(0, ddof=1).mean())),
            distance=float(dist.mean()), distance_se=float(dist.std(ddof=1) / np.sqrt(len(d))),
            d2=float(d2.mean()), d2_se=float(d2.std(ddof=1) / np.sqrt(len(d))),
            distance_other=float(np.sqrt(((F - limits.loc[other[regime], "limit"]) ** 2).mean(1)).mean()),
            roughness=float(roughness(F, spec["grid"]).mean()),
            converged=float(d["converged"].mean()), steps=float(d["steps"].median()),
        ))
    return pd.DataFrame(out)


def limit_summary(limits: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Per regime: the limit's roughness, the predicted plain-init offset (grid rms) and the rms
    distance between the two regimes' limits."""
    gap = float(np.sqrt(((limits.loc["ntk", "limit"] - limits.loc["last_layer", "limit"]) ** 2).mean()))
    return pd.DataFrame([dict(regime=r, roughness=float(roughness(t["limit"][None], spec["grid"])[0]),
                              offset_var=float((t["offset_std"] ** 2).mean()), limits_gap=gap,
                              train_residual=t["train_residual"]) for r, t in limits.iterrows()])


def loglog_slope(width, value, min_width: int) -> float:
    """Least-squares slope of log(value) against log(width) over widths >= min_width."""
    width, value = np.asarray(width, float), np.asarray(value, float)
    keep = width >= min_width
    return float(np.polyfit(np.log(width[keep]), np.log(value[keep]), 1)[0]) if keep.sum() >= 2 else float("nan")


def _seed_metric(F: np.ndarray, limit: np.ndarray, metric: str) -> float:
    if metric == "spread":
        return float(np.sqrt(F.var(0, ddof=1).mean()))
    return float(np.sqrt(((F - limit) ** 2).mean(1)).mean())


def slope_se(runs: pd.DataFrame, limit: np.ndarray, metric: str, min_width: int, seed: int = 0) -> float:
    """Bootstrap standard error (seeds resampled within each width) of `loglog_slope` of
    `metric` ('spread' or 'distance') for one (regime, init) group of runs."""
    rng = np.random.default_rng(seed)
    groups = [(w, np.stack(d["f"].to_numpy()).astype(float)) for w, d in runs.groupby("width") if w >= min_width]
    if len(groups) < 2:
        return float("nan")
    widths = [w for w, _ in groups]
    reps = [loglog_slope(widths, [_seed_metric(F[rng.integers(0, len(F), len(F))], limit, metric) for _, F in groups],
                         min_width) for _ in range(BOOTSTRAP // 5)]
    return float(np.std(reps, ddof=1))


def width_functions(sets) -> list[dict]:
    """T12 (figure 3): nets interpolate; at the largest width they match their own kernel limit
    (NTK for full training, NNGP for last-layer training) and its smoothness."""
    runs, spec = width_runs(sets)
    limits = width_limits(sets)
    met, lim = width_metrics(runs, limits, spec), limit_summary(limits, spec).set_index("regime")
    rows = [row(f"{r}: kernel interpolant's max train residual", float(t["train_residual"]), 0,
                f"< {TRAIN_RESIDUAL_MAX:g}", bool(t["train_residual"] < TRAIN_RESIDUAL_MAX)) for r, t in lim.iterrows()]
    fit_min = spec["fit_min_width"]
    for width, d in runs.groupby("width"):
        frac = float(d["converged"].mean())
        judged = width >= fit_min
        rows.append(row(f"N={width}: nets reaching train MSE < {spec['tol']:g}", frac, 1,
                        "== 1" if judged else f"reported (N < fit_min_width {fit_min})", frac == 1 if judged else None,
                        f"{len(d)} nets; median {d['steps'].median():.0f} steps, max {d['steps'].max()}"))
    top = met[(met["init"] == "antisymmetric") & (met["width"] == met["width"].max())]
    for _, t in top.iterrows():
        ref = lim.loc[t["regime"], "roughness"]
        rel = t["roughness"] / ref - 1
        rows.append(row(f"{t['regime']} N={t['width']}: roughness vs the kernel limit's", float(t["roughness"]),
                        f"{ref:.4f}", f"within {ROUGHNESS_REL_MAX:.0%}", abs(rel) < ROUGHNESS_REL_MAX, f"{rel:+.1%}"))
        gap = lim.loc[t["regime"], "limits_gap"]
        rows.append(row(f"{t['regime']} N={t['width']}: rms distance to own limit", float(t["distance"]),
                        f"to the other limit {t['distance_other']:.4f}", "< distance to the other limit",
                        t["distance"] < t["distance_other"],
                        f"the two limits differ by {gap:.4f} rms: the nets pick their own kernel"))
    return rows


def width_scaling(sets) -> list[dict]:
    """T12 (figure 4): with f0 = 0, spread and distance to the limit fall as N^-1/2; with a
    plain init they level off at the GP offset predicted in closed form."""
    runs, spec = width_runs(sets)
    limits = width_limits(sets)
    met, lim = width_metrics(runs, limits, spec), limit_summary(limits, spec).set_index("regime")
    fit_min, lo, hi = spec["fit_min_width"], *SLOPE_WINDOW
    rows = []
    for (regime, init), d in met.groupby(["regime", "init"]):
        group = runs[(runs["regime"] == regime) & (runs["init"] == init)]
        for metric in ("spread", "distance"):
            slope = loglog_slope(d["width"], d[metric], fit_min)
            se = slope_se(group, limits.loc[regime, "limit"], metric, fit_min)
            note = f"+- {se:.3f} (bootstrap over seeds); N = {d['width'].tolist()}: " + ", ".join(
                f"{v:.3g}" for v in d[metric])
            label = f"{regime}/{init}: log-log slope of {metric} vs N (N >= {fit_min})"
            if init == "antisymmetric":  # the window, widened by 3 SE where few seeds make the slope noisy
                rows.append(row(label, slope, "-0.5 (theory); note [M] -0.40/-0.38", f"in [{lo}, {hi}] (T12) +- 3 SE",
                                lo - 3 * se <= slope <= hi + 3 * se, note))
            else:
                rows.append(row(label, slope, "0 (offset f0 - A f0(X) stays)", f"> {PLAIN_SLOPE_MIN} - 3 SE",
                                slope > PLAIN_SLOPE_MIN - 3 * se, note))
        if init == "plain":
            t = d.loc[d["width"].idxmax()]
            pred = lim.loc[regime, "offset_var"]
            z = (t["d2"] - pred) / t["d2_se"]
            rows.append(row(f"{regime}/plain N={t['width']}: mean squared distance to the limit", float(t["d2"]),
                            f"closed-form offset variance {pred:.4f}", f"|z| < {Z:g}", abs(z) < Z,
                            f"z {z:+.2f} over {t['seeds']} seeds"))
    return rows
