"""The statistics the ensemble-prior figures are judged by (research note §6: T11 and T12), and
the summaries their plots share. Torch-free.

Inputs are `[(meta, table), ...]` of three stages (meta['stage']): `ratio` (one row per draw of
the min-L2 toy model, `ensemble_mc`), `width` (one row per trained net, its function on a grid,
`width_limit.train_width`) and `width_limit` (the kernel interpolants and the plain-init offset
std on the same grid). Each figure's checks return `stat`s keyed figure/quantity, judged by
workflow/criteria/ensemble.yaml.
"""

import numpy as np
import pandas as pd
import scipy.stats

from nnbayes.core.checks import Z, stat, stage
from nnbayes.ensemble.toy import crossing, crossing_limit, ratio_finite

LIMIT_NM_MAX = 0.01  # cells close to the M -> infinity limit: (n + 1) / m <= 1 %
FINITE_NM_MIN = 0.05  # cells where the finite-M correction (n + 1) / m must be resolved
COIN_TOL_M = 3.0  # +-1 features fix K_ii = m: the Gaussian E R holds to O(1/m) (n = 1: 2/m below)
BOOTSTRAP = 1000
CELL = ["features", "M", "C", "n"]
SERIES = ["features", "M", "C"]


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


def _identity_rows(draws: pd.DataFrame, cells: int) -> list[dict]:
    """The exact identities of the min-L2 fit (research note §3.2), checked on every draw."""
    dev = max((draws["ratio_outputs"] / draws["ratio"] - 1).abs().max(),
              (draws["ratio_weights"] / draws["ratio"] - 1).abs().max())
    return [stat("ens1_contribution_ratio/identity", float(dev), note=f"{len(draws)} draws in {cells} cells"),
            stat("ens1_contribution_ratio/off_axis", float(draws["off_axis"].max()), note="the random part is parallel to y"),
            stat("ens1_contribution_ratio/train_error", float(draws["train_error"].max()),
                 note="the min-norm fit interpolates")]


def _where(c) -> str:
    return f"n={c['n']}, M={c['M']}, C={c['C']:g}"


def contribution_ratio(sets) -> list[dict]:
    """T11 (figure 1): R = q y^T K^-1 y exactly, E R against p n / (1 - p) and q n / (m - n - 1)."""
    draws = ratio_draws(sets)
    s = ratio_summary(draws)
    rows = _identity_rows(draws, len(s))
    gauss = s[s["features"] == "gaussian"]
    if len(gauss):
        z = ((gauss["mean"] - gauss["finite"]) / gauss["se"]).abs()
        rows.append(stat("ens1_contribution_ratio/gaussian_finite_z", float(z.max()),
                         note=f"{len(gauss)} cells; the formula is exact in expectation"))
    coins = s[s["features"] == "rademacher"]
    if len(coins):
        share = coins["rel_finite"].abs() / (Z * coins["rel_se"] + COIN_TOL_M / coins["m"])
        rows.append(stat("ens1_contribution_ratio/coins_finite_share", float(share.max()),
                         note=f"{len(coins)} cells; tightest {_where(coins.loc[share.idxmax()])}; largest "
                         f"|mean R / (q n / (m - n - 1)) - 1| {coins['rel_finite'].abs().max():.4f}"))
    near = s[s["nm"] <= LIMIT_NM_MAX]
    if len(near):
        worst = near.loc[near["rel_limit"].abs().idxmax()]
        rows.append(stat("ens1_contribution_ratio/limit_rel", float(abs(worst["rel_limit"])), se=float(worst["rel_se"]),
                         note=f"largest of {len(near)} cells with (n+1)/m <= {LIMIT_NM_MAX:g}: {_where(worst)}"))
    far = s[s["nm"] >= FINITE_NM_MIN]
    if len(far):
        rows.append(stat("ens1_contribution_ratio/finite_correction_z", float((far["rel_limit"] / far["rel_se"]).min()),
                         note=f"{len(far)} cells with (n+1)/m >= {FINITE_NM_MIN:g}; largest excess {far['rel_limit'].max():.1%}"))
    for n, C, note in ((8, 3.321928, "0.8892 +- 0.0006"), (32, 3.321928, "3.5640 +- 0.0028"),
                       (32, 5.058894, "0.9922 +- 0.0007")):
        for _, c in s[(s["n"] == n) & np.isclose(s["C"], C, atol=1e-3)].iterrows():
            rows.append(stat("ens1_contribution_ratio/note_cells", float(c["mean"]), se=float(c["se"]),
                             instance=f"{c['features']} n={n}, p={c['p']:.4f}, M={c['M']}",
                             note=f"+- {c['se']:.4f}; limit {c['limit']:.4f}, finite-M {c['finite']:.4f}; the note's "
                             f"scratch run (M=20000, coins): {note}"))
    return rows


def _doubling_rows(cr: pd.DataFrame) -> list[dict]:
    """The slope of log2(crossing n) against C beside that of log2(2^C - 1), with its standard
    error propagated from the crossings' (independent draws per C)."""
    rows = []
    for key, d in cr.dropna(subset=["n_hat"]).groupby(["features", "M"]):
        if len(d) < 3:
            continue
        slope = float(np.polyfit(d["C"], np.log2(d["n_hat"]), 1)[0])
        ref = float(np.polyfit(d["C"], np.log2(d["note"]), 1)[0])
        w = (d["C"] - d["C"].mean()) / ((d["C"] - d["C"].mean()) ** 2).sum()
        se = float(np.sqrt((w**2 * (d["se"] / (d["n_hat"] * np.log(2))) ** 2).sum()))
        rows.append(stat("ens2_data_requirement/doubling_slope", slope - ref, instance=f"{key[0]} M={key[1]}", se=se,
                         note=f"slope {slope:.3f} vs {ref:.3f} = slope of log2(2^C - 1) (-> 1: n ~ 2^C); C = {d['C'].tolist()}"))
    return rows


def data_requirement(sets) -> list[dict]:
    """T11 (figure 2): the n at which perfect features take over grows as 2^C."""
    cr = crossings(ratio_draws(sets))
    rows = []
    for _, c in cr.iterrows():
        where = f"{c['features']} M={c['M']} C={c['C']:g}"
        if not np.isfinite(c["n_hat"]):
            rows.append(stat("ens2_data_requirement/crossing_unbracketed", c["n_hat"], instance=where,
                             note=f"the n grid does not bracket R = 1 (2^C - 1 = {c['note']:g})"))
            continue
        z = (c["n_hat"] - c["finite"]) / c["se"]
        rows.append(stat("ens2_data_requirement/crossing_rel", float(c["n_hat"] / c["note"] - 1), instance=where,
                         se=float(c["se"] / c["note"]),
                         note=f"n = {c['n_hat']:.2f} +- {c['se']:.2f} vs 2^C - 1 = {c['note']:g}; finite-M "
                         f"{c['finite']:.2f}, limit m/q {c['limit']:.2f}"))
        rows.append(stat("ens2_data_requirement/crossing_finite_z", float(abs(z)), instance=where,
                         note="same interpolation applied to q n / (m - n - 1)"))
    return rows + _doubling_rows(cr)


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


def _convergence_rows(runs: pd.DataFrame, spec: dict) -> list[dict]:
    """The share of nets that interpolate, judged from fit_min_width on (narrow nets may die)."""
    rows = []
    for width, d in runs.groupby("width"):
        key = "converged" if width >= spec["fit_min_width"] else "converged_narrow"
        rows.append(stat(f"ens3_width_functions/{key}", float(d["converged"].mean()), instance=f"N={width}",
                         note=f"train MSE < {spec['tol']:g}: {len(d)} nets; median {d['steps'].median():.0f} steps, "
                         f"max {d['steps'].max()}"))
    return rows


def width_functions(sets) -> list[dict]:
    """T12 (figure 3): nets interpolate; at the largest width they match their own kernel limit
    (NTK for full training, NNGP for last-layer training) and its smoothness."""
    runs, spec = width_runs(sets)
    limits = width_limits(sets)
    met, lim = width_metrics(runs, limits, spec), limit_summary(limits, spec).set_index("regime")
    rows = [stat("ens3_width_functions/kernel_residual", float(t["train_residual"]), instance=r) for r, t in lim.iterrows()]
    rows += _convergence_rows(runs, spec)
    top = met[(met["init"] == "antisymmetric") & (met["width"] == met["width"].max())]
    for _, t in top.iterrows():
        ref = lim.loc[t["regime"], "roughness"]
        nets = runs[(runs["regime"] == t["regime"]) & (runs["init"] == "antisymmetric") & (runs["width"] == t["width"])]
        rough = roughness(np.stack(nets["f"].to_numpy()).astype(float), spec["grid"])
        rows.append(stat("ens3_width_functions/roughness_rel", float(t["roughness"] / ref - 1), instance=t["regime"],
                         se=float(rough.std(ddof=1) / np.sqrt(len(rough)) / ref),
                         note=f"N={t['width']}: {t['roughness']:.4f} vs the kernel limit's {ref:.4f}"))
        rows.append(stat("ens3_width_functions/own_vs_other_limit", float(t["distance"] / t["distance_other"]),
                         instance=t["regime"], note=f"N={t['width']}: rms distance {t['distance']:.4f} to its own limit, "
                         f"{t['distance_other']:.4f} to the other; the limits differ by "
                         f"{lim.loc[t['regime'], 'limits_gap']:.4f} rms"))
    return rows


def width_scaling(sets) -> list[dict]:
    """T12 (figure 4): with f0 = 0, spread and distance to the limit fall as N^-1/2; with a
    plain init the post's claim that they shrink is tested as stated, and the distance is
    compared with the GP offset predicted in closed form."""
    runs, spec = width_runs(sets)
    limits = width_limits(sets)
    met, lim = width_metrics(runs, limits, spec), limit_summary(limits, spec).set_index("regime")
    fit_min = spec["fit_min_width"]
    rows = []
    for (regime, init), d in met.groupby(["regime", "init"]):
        group = runs[(runs["regime"] == regime) & (runs["init"] == init)]
        for metric in ("spread", "distance"):
            slope = loglog_slope(d["width"], d[metric], fit_min)
            se = slope_se(group, limits.loc[regime, "limit"], metric, fit_min)
            note = f"slope {slope:.3f} +- {se:.3f} (bootstrap over seeds) over N >= {fit_min}; N = {d['width'].tolist()}: " \
                + ", ".join(f"{v:.3g}" for v in d[metric])
            if init == "antisymmetric":
                rows.append(stat("ens4_width_scaling/f0_zero_slope", slope, instance=f"{regime}, {metric}", se=se, note=note))
            else:  # one-sided: how likely a slope this low if the metric did not shrink (slope 0)
                rows.append(stat("ens4_width_scaling/plain_shrinks_pvalue", float(scipy.stats.norm.cdf(np.divide(slope, se))),
                                 instance=f"{regime}, {metric}", note=note))
        if init == "plain":
            t = d.loc[d["width"].idxmax()]
            pred = lim.loc[regime, "offset_var"]
            rows.append(stat("ens4_width_scaling/plain_offset_z", float((t["d2"] - pred) / t["d2_se"]), instance=regime,
                             note=f"N={t['width']}: mean squared distance {t['d2']:.4f} vs closed-form offset variance "
                             f"{pred:.4f}, over {t['seeds']} seeds"))
    return rows
