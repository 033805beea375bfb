"""How far P_SGD(f|S) is from P_B(f|S), judged the way the paper claims it (T8, issue 14).

Pure functions on one variant's joined table `d`: a row per scored function with `count` (runs
that found it), `errors` (test errors on E), `log_pb_ep` (the matched NNGP's log P_B) and the
baselines' `log_pb_<name>`; `n_runs` converged runs make P_SGD = count / n_runs. Every resampling
(bootstrap, permutation, split) draws from a generator seeded here, so the same data give the
same bytes. A rank correlation alone cannot tell "Bayesian with this prior" from "prefers fewer
test errors" (both fall with the error band), hence the held-out baselines and the within-band
association; agreement in decades, the slope and the mass both ways say whether the two are
close, not merely ordered alike.
"""

import numpy as np
import pandas as pd
import scipy.stats

SEED = 20_140_614
PERMUTATIONS = 10_000
BOOTSTRAP = 2_000
SPLITS = 50
LOG10 = np.log(10)
# Scores within this relative distance are one value to every rank statistic here. Functions
# in one orbit under permutations of the inputs have equal P_B (core.symmetry), but EP gives
# them values that differ in the last digits, in an order set by rounding: a change of
# summation order (a warm start, another Cholesky) reorders them, and that moved borderline
# verdicts (smoke's Spearman p-value across 1e-3, fig10's Spearman). At the 10^6-run headline
# the 5000 scored functions have 1851 distinct matched log P_B values: sorted neighbours differ
# by < 1e-11 relative (3149 pairs, rounding) or by > 1e-8 (1850 pairs, distinct values), and
# none in between; EP's own precision (warm vs cold start) is 1e-10.
TIE_RTOL = 1e-9


def _rng(salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([SEED, salt])


def tie_classes(x: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... in the order of x [n], with values that agree to TIE_RTOL (relative, each to
    its sorted neighbour) in one class: ranks taken on these treat them as the ties they are."""
    order = np.argsort(x, kind="stable")
    s = x[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = np.abs(np.diff(s)) > TIE_RTOL * np.maximum(np.abs(s[1:]), np.abs(s[:-1]))
    classes = np.empty(len(s), dtype=np.int64)
    classes[order] = np.cumsum(new) - 1
    return classes


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks of x [n] (values tied to TIE_RTOL share one), centred and scaled to unit
    norm (0 where constant)."""
    r = scipy.stats.rankdata(tie_classes(x))
    r = r - r.mean(-1, keepdims=True)
    norm = np.linalg.norm(r, axis=-1, keepdims=True)
    return np.divide(r, norm, out=np.zeros_like(r), where=norm > 0)


def spearman(x, y) -> float:
    """Spearman's rho (NaN with fewer than 3 points or a constant side)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(_ranks(x) @ _ranks(y))


def spearman_test(x, y, salt: int = 1) -> tuple[float, float]:
    """Spearman's rho and its one-sided permutation p-value for a positive association."""
    rho = spearman(x, y)
    if not np.isfinite(rho):
        return rho, float("nan")
    rx = _ranks(np.asarray(x, float))
    perm = _rng(salt).permuted(np.broadcast_to(_ranks(np.asarray(y, float)), (PERMUTATIONS, len(rx))), axis=1)
    return rho, float(((perm @ rx >= rho - 1e-12).sum() + 1) / (PERMUTATIONS + 1))


def within_band(d: pd.DataFrame, x: str = "log_pb_ep", min_band: int = 3) -> tuple[float, float, int]:
    """Spearman of x and the count inside each test-error band (bands of >= min_band functions),
    averaged with weights n_band; one-sided p-value by permuting x within bands. Returns (rho, p, n)."""
    bands = [g for _, g in d.groupby("errors") if len(g) >= min_band and np.ptp(g["count"]) > 0]
    if not bands:
        return float("nan"), float("nan"), 0
    n = sum(len(g) for g in bands)
    rng = _rng(2)
    rho, null = 0.0, np.zeros(PERMUTATIONS)
    for g in bands:
        rc, rx = _ranks(g["count"].to_numpy(float)), _ranks(g[x].to_numpy(float))
        rho += len(g) * float(rx @ rc) / n
        null += len(g) * (rng.permuted(np.broadcast_to(rx, (PERMUTATIONS, len(g))), axis=1) @ rc) / n
    return rho, float(((null >= rho - 1e-12).sum() + 1) / (PERMUTATIONS + 1)), n


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, cum[-1] / 2)])


def decades(d: pd.DataFrame, n_runs: int) -> tuple[float, float, float]:
    """Median |log10 P_SGD - log10 P_B| weighted by P_SGD (where SGD's mass is), with a 95 %
    interval from resampling the runs (multinomial counts; a function left unfound gets weight 0)."""
    p_b, counts = d["log_pb_ep"].to_numpy() / LOG10, d["count"].to_numpy()
    gap = lambda c: np.abs(np.log10(np.maximum(c, 1) / n_runs) - p_b)  # noqa: E731
    est = _weighted_median(gap(counts), counts.astype(float))
    p = np.append(counts, n_runs - counts.sum()) / n_runs
    boot = [_weighted_median(gap(c[:-1]), c[:-1].astype(float)) for c in _rng(3).multinomial(n_runs, p, BOOTSTRAP)
            if c[:-1].sum()]
    return est, float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def slope(d: pd.DataFrame, n_runs: int) -> tuple[float, float]:
    """Least-squares slope of log P_SGD on log P_B (1 where the two agree), and its bootstrap
    standard error over functions."""
    x, y = d["log_pb_ep"].to_numpy(), np.log(d["count"].to_numpy() / n_runs)
    if len(x) < 3 or np.ptp(x) == 0:
        return float("nan"), float("nan")
    idx = _rng(4).integers(0, len(x), (BOOTSTRAP, len(x)))
    xb, yb = x[idx], y[idx]
    xc = xb - xb.mean(1, keepdims=True)
    den = (xc**2).sum(1)
    boot = ((xc * (yb - yb.mean(1, keepdims=True))).sum(1) / np.where(den > 0, den, np.nan))
    return float(np.polyfit(x, y, 1)[0]), float(np.nanstd(boot))


def _half(n: int) -> np.ndarray:
    """A fixed random half of n functions (the same for every predictor)."""
    half = np.zeros(n, dtype=bool)
    half[_rng(5).permutation(n)[: n // 2]] = True
    return half


def _affine(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    if len(x) < 2 or np.ptp(x) == 0:
        return float(y.mean()), 0.0
    b, a = np.polyfit(x, y, 1)
    return a, b


def heldout_errors(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Squared error of each function's y = log P_SGD, predicted by a + b x fitted on the other
    half of the functions (so a predictor is not rewarded for its free parameters)."""
    half, out = _half(len(y)), np.empty(len(y))
    for fit, test in ((half, ~half), (~half, half)):
        a, b = _affine(x[fit], y[fit])
        out[test] = (y[test] - a - b * x[test]) ** 2
    return out


def predictors(d: pd.DataFrame, baselines: list[str]) -> dict[str, np.ndarray]:
    """Scores each predictor gives the functions: the errors-only model log P = a - lambda * errors,
    the uniform prior (every function consistent with S equally likely: a constant) and log P_B
    under each mismatched prior scored by the posterior stage."""
    out = {"errors-only": -d["errors"].to_numpy(float), "uniform": np.zeros(len(d))}
    return out | {b: d[f"log_pb_{b}"].to_numpy() for b in baselines}


def beats(d: pd.DataFrame, n_runs: int, baseline: np.ndarray) -> tuple[float, float, float]:
    """(held-out MSE of the matched NNGP, of the baseline, one-sided sign-flip p-value that the
    matched one predicts log P_SGD better): paired over functions, so both face the same noise."""
    y = np.log(d["count"].to_numpy() / n_runs)
    matched, base = heldout_errors(y, d["log_pb_ep"].to_numpy()), heldout_errors(y, baseline)
    diff = base - matched
    signs = _rng(7).choice([-1.0, 1.0], (PERMUTATIONS, len(diff)))
    p = ((signs @ diff >= diff.sum() - 1e-12).sum() + 1) / (PERMUTATIONS + 1)
    return float(matched.mean()), float(base.mean()), float(p)


def split_half(d: pd.DataFrame, n_runs: int) -> tuple[float, float]:
    """The noise ceiling: Spearman between the counts of two random halves of the runs (P_SGD
    against itself), and Spearman(half's counts, log P_B) as a fraction of its ceiling
    sqrt(split-half rho), which is what a noise-free P_B equal to the true P_SGD would reach.
    Runs are i.i.d., so a random half is a multivariate hypergeometric split of the counts."""
    counts = d["count"].to_numpy()
    colours = np.append(counts, n_runs - counts.sum())
    rng, ab, vs_pb = _rng(6), [], []
    for _ in range(SPLITS):
        a = rng.multivariate_hypergeometric(colours, n_runs // 2)[:-1]
        ab.append(spearman(a, counts - a))
        vs_pb.append((spearman(a, d["log_pb_ep"]) + spearman(counts - a, d["log_pb_ep"])) / 2)
    rho_ab = float(np.nanmean(ab)) if np.isfinite(ab).any() else float("nan")
    frac = float(np.nanmean(vs_pb)) / np.sqrt(rho_ab) if rho_ab > 0 else float("nan")
    return rho_ab, frac


def coverage(train: pd.DataFrame, n_runs: int, found: pd.DataFrame, samples: pd.DataFrame,
             min_count: int) -> dict:
    """The mass both ways and a divergence. F: the functions SGD found >= min_count times; T: the
    functions the exact posterior sampler drew >= min_count times (P_B's top). P_B of a set is
    its share of the importance-weighted posterior samples (`mass`), P_SGD its share of runs.
    tv: total variation between P_SGD and P_B coarse-grained to the cells {f in F u T} and
    'the rest' -- a lower bound on the true distance (coarse-graining cannot increase it)."""
    key = ["id_hi", "id_lo"]
    both = train[key + ["count"]].merge(samples[key + ["mass", "draws"]], on=key, how="outer").fillna(0)
    in_f = both.set_index(key).index.isin(found.set_index(key).index)
    in_t = both["draws"].to_numpy() >= min_count
    p_sgd, p_b = both["count"].to_numpy() / n_runs, both["mass"].to_numpy()
    cells = in_f | in_t
    tv = 0.5 * (np.abs(p_sgd[cells] - p_b[cells]).sum() + abs(p_sgd[~cells].sum() - p_b[~cells].sum()))
    return {"sgd_f": float(p_sgd[in_f].sum()), "pb_f": float(p_b[in_f].sum()), "n_f": int(in_f.sum()),
            "sgd_t": float(p_sgd[in_t].sum()), "pb_t": float(p_b[in_t].sum()), "n_t": int(in_t.sum()),
            "tv": float(tv)}


def orbit_spread(d: pd.DataFrame) -> tuple[float, float, int]:
    """How much P_SGD varies where every permutation-invariant prior's P_B cannot: over orbits of
    >= 2 found functions (d's `orbit`), the share of the variance of log10 count that lies within
    orbits, and the fraction of those orbits whose counts reject equality (chi-square, p < 1e-3).
    Returns (share, fraction, orbits)."""
    multi = d[d.groupby("orbit")["count"].transform("size") >= 2]
    if multi.empty:
        return float("nan"), float("nan"), 0
    lc, lc_all = np.log10(multi["count"]), np.log10(d["count"])
    within = ((lc - lc.groupby(multi["orbit"]).transform("mean")) ** 2).sum()
    p = [scipy.stats.chisquare(g.to_numpy(float)).pvalue for _, g in multi.groupby("orbit")["count"]]
    return float(within / ((lc_all - lc_all.mean()) ** 2).sum()), float(np.mean(np.array(p) < 1e-3)), len(p)
