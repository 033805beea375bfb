"""The numbers the P_opt-vs-P_B figures are judged by (replication targets T8, T9, T13).

Inputs are merged sets `[(meta, table), ...]` of three stages (meta['stage']): `train` (per
task/variant: functions found on E with counts and test errors), `posterior` (P_B of the scored
functions, EP and exact) and `gp_errors` (the GP's predicted test-error distribution).
The paper gives no correlation coefficient we could verify, so thresholds are the
pre-registered ones of the research note (§9 T8): Spearman >= 0.3 at small scale.
"""

import numpy as np
import pandas as pd
import scipy.stats

from nnbayes.core.checks import Z, row, stage

SPEARMAN_MIN = 0.3  # T8 smoke calibration (measured 0.44); the note asks >= 0.6 at paper scale
RATIO_MAX = 30.0  # zero-error function: P_SGD / P_B within this factor (T8)
CONVERGED_MIN = 0.95
AGD_CONVERGED_MIN = 0.90
EXACT_REL_SE_MAX = 0.01  # the exact estimator's goal: log P(S) within 1 %
BOOTSTRAP = 2000
LOG10 = np.log(10)
MIN_FUNCTIONS = 20  # fewer measured functions than this: a trend is reported, not judged


def judged(n: int, criterion: str, passed: bool) -> tuple[str, bool | None]:
    """(criterion, passed), or 'reported' when too few functions make a trend noise."""
    return (criterion, passed) if n >= MIN_FUNCTIONS else (f"reported (< {MIN_FUNCTIONS} functions)", None)


def joined(train: pd.DataFrame, meta: dict, scores: pd.DataFrame) -> pd.DataFrame:
    """Scored functions with this variant's P_SGD (count / converged runs; 0 if not found)."""
    d = scores.merge(train[["id_hi", "id_lo", "count"]], on=["id_hi", "id_lo"], how="left")
    d["count"] = d["count"].fillna(0).astype(np.int64)
    d["p_sgd"] = d["count"] / max(meta["converged"], 1)
    return d


def correlation(d: pd.DataFrame, min_count: int) -> tuple[float, float, int]:
    """Spearman and Pearson of log P_SGD vs log P_B(EP) over functions this variant found
    at least min_count times (P_SGD measured, not a single-count guess)."""
    sel = d[d["count"] >= min_count]
    if len(sel) < 3:
        return float("nan"), float("nan"), len(sel)
    x, y = sel["log_pb_ep"], np.log(sel["p_sgd"])
    return (float(scipy.stats.spearmanr(x, y).statistic), float(scipy.stats.pearsonr(x, y).statistic),
            len(sel))


def band_trend(d: pd.DataFrame, column: str) -> float:
    """Spearman of test errors vs the band mean of `column` (bands of equal error count)."""
    bands = d.groupby("errors")[column].mean()
    return float(scipy.stats.spearmanr(bands.index, bands.to_numpy()).statistic) if len(bands) > 2 else float("nan")


def mean_error_ci(table: pd.DataFrame, n_test: int, seed: int = 0) -> tuple[float, float, float]:
    """Mean test error of converged runs, with a bootstrap 95 % interval over runs."""
    errors = np.repeat(table["errors"].to_numpy(), table["count"].to_numpy()) / n_test
    if len(errors) == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    boot = rng.choice(errors, (BOOTSTRAP, len(errors))).mean(1)
    return float(errors.mean()), float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


TARGET_NOTE = "reported: on this task the prior's pull to a simpler completion can outweigh the target"


def _posterior_rows(pmeta: dict, scores: pd.DataFrame, judge_target: bool) -> list[dict]:
    rows = [row("log P(S): EP", pmeta["log_ps_ep"], f"exact {pmeta['log_ps_exact']:.3f}", "", None,
                 f"EP relative error {(pmeta['log_ps_ep'] - pmeta['log_ps_exact']) / abs(pmeta['log_ps_exact']):+.1%}")]
    rel = pmeta["log_ps_stderr"] / abs(pmeta["log_ps_exact"])
    rows.append(row("log P(S): exact (tilting) relative standard error", rel, "", f"< {EXACT_REL_SE_MAX}",
                     rel < EXACT_REL_SE_MAX))
    ex = scores.dropna(subset=["log_pb_exact"])
    if len(ex):
        err = (ex["log_pb_ep"] - ex["log_pb_exact"]).abs()
        rows.append(row(f"|log P_B(EP) - log P_B(exact)|, median over the {len(ex)} most found", float(err.median()),
                         "", "", None, f"max {err.max():.3f}; EP's bias (issue: 4-35 % on log P(S))"))
    if "probit1" in pmeta:
        rows += _probit_rows(pmeta["probit1"])
    rows.append(row("EP converged for every scored function", bool(scores["ep_converged"].all()), True,
                     "== True", bool(scores["ep_converged"].all())))
    rows.append(row("P_B(EP) mass of the scored functions", pmeta["pb_mass_ep"], "", "", None,
                     f"{len(scores)} functions"))
    top = scores.loc[scores["log_pb_ep"].idxmax()]
    boolean = pmeta["task"]["kind"] == "boolean"
    criterion = ("== 0 (Boolean tasks, T8)" if judge_target else TARGET_NOTE) if boolean \
        else "reported (real images can be ambiguous)"
    rows.append(row("test errors of the function with the highest P_B(EP)", int(top["errors"]), 0, criterion,
                    int(top["errors"]) == 0 if boolean and judge_target else None))
    trend = band_trend(scores, "log_pb_ep")
    rows.append(row("band trend: Spearman(test errors, mean log P_B(EP))", trend, "",
                    *(judged(len(scores), "< 0 (P_B falls with error)", trend < 0) if judge_target
                      else (TARGET_NOTE, None))))
    return rows


def _probit_rows(p: dict) -> list[dict]:
    """gpytorch's variational classifier against EP and exact, probit likelihood s = 1."""
    S, SE = p["S"], p["S+E"]
    ok = S["vi"] <= S["exact"] + Z * S["exact_stderr"]
    rows = [row("probit s=1: log P(S), variational ELBO (a lower bound)", S["vi"],
                f"exact {S['exact']:.3f} +- {S['exact_stderr']:.3f}, EP {S['ep']:.3f}", "<= exact + 4 SE", ok,
                f"gap to exact {S['exact'] - S['vi']:+.3f} nats (the KL the Gaussian q cannot close)")]
    pb = {k: SE[k] - S[k] for k in ("vi", "ep", "exact")}
    rows.append(row("probit s=1: log P_B(most found function|S), variational (ELBO difference)", pb["vi"],
                    f"exact {pb['exact']:.3f}, EP {pb['ep']:.3f}", "", None,
                    "a difference of two lower bounds is no bound; the Heaviside P_B above is the papers'"))
    return rows


def variant_rows(name: str, meta: dict, train: pd.DataFrame, scores: pd.DataFrame, min_count: int,
                 judge_target: bool = True) -> list[dict]:
    """One panel: convergence, coverage, correlation and the zero-error ratio of one variant."""
    v = name.split("/")[-1]
    d = joined(train, meta, scores)
    frac = meta["converged"] / meta["runs"]
    limit = AGD_CONVERGED_MIN if meta["variant"]["optimizer"] == "agd" else CONVERGED_MIN
    rows = [row(f"{v}: runs converged to 100% train accuracy", frac, "", f">= {limit}", frac >= limit,
                 f"{meta['runs']} runs, {meta['not_converged']} not converged, median {meta['epochs_median']} epochs")]
    covered = d["count"].sum() / max(meta["converged"], 1)
    rows.append(row(f"{v}: distinct functions found on E", meta["distinct"], "", "", None,
                     f"fraction of runs on scored (plotted) functions {covered:.3f}"))
    rho, r, n = correlation(d, min_count)
    rows.append(row(f"{v}: Spearman(log P_SGD, log P_B(EP)), count >= {min_count}", rho,
                    "no paper number verified", *judged(n, f">= {SPEARMAN_MIN}", rho >= SPEARMAN_MIN),
                    f"Pearson {r:.3f} over {n} functions"))
    found = d[d["count"] >= min_count]
    trend = band_trend(found.assign(lp=np.log(found["p_sgd"])), "lp")
    rows.append(row(f"{v}: band trend Spearman(test errors, mean log P_SGD)", trend, "",
                    *judged(len(found), "< 0", trend < 0)))
    zero = d[d["errors"] == 0].iloc[0]
    pb = np.exp(zero["log_pb_exact"] if np.isfinite(zero["log_pb_exact"]) else zero["log_pb_ep"])
    ratio = zero["p_sgd"] / pb
    rows.append(row(f"{v}: zero-error function P_SGD / P_B", ratio, "authors ~0.8 / 0.14 (target 6, ABI)",
                     f"within x{RATIO_MAX:g}" if judge_target else TARGET_NOTE,
                     1 / RATIO_MAX <= ratio <= RATIO_MAX if judge_target else None,
                     f"P_SGD {zero['p_sgd']:.4f}, P_B {pb:.4f}"))
    mean, lo, hi = mean_error_ci(train, meta["n_test"])
    rows.append(row(f"{v}: mean test error on E (95% CI)", mean, "", "", None, f"[{lo:.4f}, {hi:.4f}]"))
    return rows


def sgd_vs_bayes(sets, judge_target: bool = True) -> list[dict]:
    """T8/T9/T13: every variant's P_SGD against the task's P_B. judge_target: hold the task to
    T8's 'the target is the posterior mode and SGD finds it' (pre-registered for target 5)."""
    (pmeta, scores), = stage(sets, "posterior")
    (emeta, _), = stage(sets, "gp_errors")
    rows = _posterior_rows(pmeta, scores, judge_target)
    rows.append(row("GP-predicted mean test error on E (exact posterior)", emeta["mean_test_error"], "", "",
                     None, f"importance sampling, ESS {emeta['ess']:.0f} of {emeta['samples']}"))
    for meta, train in stage(sets, "train"):
        rows += variant_rows(meta["name"], meta, train, scores, pmeta["options"]["min_count"], judge_target)
    return rows


ABI_SPEARMAN_MIN = 0.6  # ABI is P_B itself at width 40: the GP should order its functions well
ABI_DECADES_MAX = 0.1  # log10 P(S): finite width 40 vs the GP (T7 measured 0.02-0.08 decades)


def abi_joined(abi: pd.DataFrame, ameta: dict, scores: pd.DataFrame) -> pd.DataFrame:
    """Scored functions with P_ABI = count / accepted prior samples (0 if never accepted)."""
    return joined(abi, {"converged": ameta["accepted"]}, scores).rename(columns={"p_sgd": "p_abi"})


def abi_vs_gp(sets) -> list[dict]:
    """P_B by rejection from the width-40 prior (ABI, no GP) against the NNGP's P_B and P_SGD."""
    (pmeta, scores), = stage(sets, "posterior")
    (ameta, abi), = stage(sets, "abi")
    min_count = pmeta["options"]["min_count"]
    gap = abs(ameta["log_ps"] - pmeta["log_ps_exact"])
    se = float(np.hypot(ameta["log_ps_stderr"], pmeta["log_ps_stderr"]))
    rows = [row("log P(S): ABI acceptance rate", ameta["log_ps"], f"GP exact {pmeta['log_ps_exact']:.3f}, "
                f"EP {pmeta['log_ps_ep']:.3f}", f"within {ABI_DECADES_MAX} decades + 4 SE",
                gap <= ABI_DECADES_MAX * LOG10 + 4 * se,
                f"{ameta['accepted']:,} of {ameta['samples']:.2e} prior samples fit S; SE {ameta['log_ps_stderr']:.3f}")]
    d = abi_joined(abi, ameta, scores)
    d = d[d["count"] >= min_count]
    for method in ("ep", "exact"):
        sel = d.dropna(subset=[f"log_pb_{method}"])
        rho = float(scipy.stats.spearmanr(sel[f"log_pb_{method}"], np.log(sel["p_abi"])).statistic) \
            if len(sel) > 2 else float("nan")
        dec = float(((sel[f"log_pb_{method}"] - np.log(sel["p_abi"])).abs() / LOG10).median())
        rows.append(row(f"Spearman(log P_ABI, log P_B({method.upper()})), ABI count >= {min_count}", rho, "",
                        *judged(len(sel), f">= {ABI_SPEARMAN_MIN}", rho >= ABI_SPEARMAN_MIN),
                        f"{len(sel)} functions; median |log10 P_ABI - log10 P_B| {dec:.3f}"))
    for meta, train in stage(sets, "train"):
        both = joined(train, meta, scores).merge(d[["id_hi", "id_lo", "p_abi"]], on=["id_hi", "id_lo"])
        both = both[both["count"] >= min_count]
        rho = float(scipy.stats.spearmanr(np.log(both["p_sgd"]), np.log(both["p_abi"])).statistic) \
            if len(both) > 2 else float("nan")
        rows.append(row(f"{meta['name'].split('/')[-1]}: Spearman(log P_SGD, log P_ABI), both counts >= {min_count}",
                        rho, "no paper number verified",
                        *judged(len(both), f">= {SPEARMAN_MIN}", rho >= SPEARMAN_MIN), f"{len(both)} functions"))
    rows.append(row("ABI mean test error on E", ameta["mean_test_error"], "", "", None,
                    "the finite-width posterior's own generalisation"))
    return rows + sgd_vs_bayes(sets, judge_target=False)


def generalisation(sets) -> list[dict]:
    """Mean test error of each optimiser (and of ABI) against the GP's prediction, per task."""
    rows = []
    for emeta, _ in stage(sets, "gp_errors"):
        task = emeta["task"]
        gp = emeta["mean_test_error"]
        rows.append(row(f"{_task_label(task)}: GP-predicted mean test error", gp, "", "", None,
                         f"ESS {emeta['ess']:.0f}"))
        for meta, train in stage(sets, "train") + stage(sets, "abi"):
            if meta["task"] != task:
                continue
            mean, lo, hi = mean_error_ci(train, meta["n_test"])
            rows.append(row(f"{meta['name']}: mean test error (95% CI)", mean, f"GP {gp:.4f}",
                             "", None, f"[{lo:.4f}, {hi:.4f}]"))
    return rows


def _task_label(task: dict) -> str:
    return f"boolean {task['target']}" if task["kind"] == "boolean" else f"images m={task['m']}"


def posterior_complexity(sets) -> list[dict]:
    """P_B and P_SGD against C_LZ of the whole function: the posterior keeps the simplicity bias."""
    (pmeta, scores), = stage(sets, "posterior")
    rows = []
    rho = float(scipy.stats.spearmanr(scores["clz"], scores["log_pb_ep"]).statistic)
    rows.append(row("Spearman(C_LZ on S u E, log P_B(EP))", rho, "", "< 0 (simpler is likelier)", rho < 0,
                     f"{len(scores)} functions"))
    for meta, train in stage(sets, "train"):
        d = joined(train, meta, scores)
        d = d[d["count"] >= pmeta["options"]["min_count"]]
        rho = float(scipy.stats.spearmanr(d["clz"], d["count"]).statistic) if len(d) > 2 else float("nan")
        rows.append(row(f"{meta['name'].split('/')[-1]}: Spearman(C_LZ, log P_SGD)", rho, "", "< 0", rho < 0,
                         f"{len(d)} functions"))
    return rows


PRIOR_EP_SPEARMAN_MIN = 0.8  # T7, our threshold (no paper number)
PRIOR_EP_DECADES_MAX = 1.0  # T7: median |log10 P_EP - log10 P_sampled| (the authors' plot: ~0.5-1)
KERNEL_Z = 4.0  # T14: Monte-Carlo standard errors allowed ...
KERNEL_WIDTH_BIAS = 2.0  # ... plus this many (max K) / width for the O(1/width) finite-width bias


def prior_ep(sets) -> list[dict]:
    """T7: the GP's P(f) of the most frequent functions against their sampled frequency."""
    rows = []
    for meta, d in stage(sets, "prior_ep"):
        sb = f"sigma_b={meta['spec']['sigma_b']:g}"
        rho = float(scipy.stats.spearmanr(d["log_p_sampled"], d["log_p_ep"]).statistic)
        rows.append(row(f"{sb}: Spearman(log P_sampled, log P_EP), top {len(d)}", rho, "",
                        f">= {PRIOR_EP_SPEARMAN_MIN}", rho >= PRIOR_EP_SPEARMAN_MIN,
                        f"width {meta['spec']['width']} vs infinite width; the top functions form a few "
                        "symmetry classes of equal P, ordered within a class by sampling noise"))
        dec = float(((d["log_p_ep"] - d["log_p_sampled"]).abs() / LOG10).median())
        rows.append(row(f"{sb}: median |log10 P_EP - log10 P_sampled|", dec, "authors' plot ~0.5-1 decades",
                        f"<= {PRIOR_EP_DECADES_MAX}", dec <= PRIOR_EP_DECADES_MAX))
        ex = d.dropna(subset=["log_p_exact"])
        rel = float(((ex["log_p_ep"] - ex["log_p_exact"]) / ex["log_p_exact"].abs()).median())
        rows.append(row(f"{sb}: median relative error of log P_EP vs exact, top {len(ex)}", rel, "", "", None,
                        "EP's bias, measured where the mass is"))
        dec_ex = float(((ex["log_p_exact"] - ex["log_p_sampled"]).abs() / LOG10).median())
        rows.append(row(f"{sb}: median |log10 P_exact - log10 P_sampled|, top {len(ex)}", dec_ex, "",
                        f"<= {PRIOR_EP_DECADES_MAX}", dec_ex <= PRIOR_EP_DECADES_MAX,
                        "the GP without EP's error against the width-40 prior"))
    return rows


def kernel(sets) -> list[dict]:
    """T14: analytic NNGP entries against the covariance of wide random nets."""
    (meta, d), = stage(sets, "kernel")
    width = meta["options"]["net"]["width"]
    err = (d["empirical"] - d["analytic"]).abs()
    allowed = KERNEL_Z * d["stderr"] + KERNEL_WIDTH_BIAS * d["analytic"].abs().max() / width
    z = err / d["stderr"]
    return [
        row("max |empirical - analytic| / MC standard error", float(z.max()), "", "", None,
            f"{len(d)} entries, {meta['options']['nets']} nets of width {width}; median {z.median():.2f}"),
        row("every entry within 4 SE + 2 max(K) / width", bool((err <= allowed).all()), True, "== True",
            bool((err <= allowed).all()), f"max relative error {float((err / d['analytic'].abs()).max()):.4f}"),
    ]
