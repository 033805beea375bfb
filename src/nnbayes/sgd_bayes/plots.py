"""Figures of P_opt(f|S) against P_B(f|S) (seaborn), from the sets `sgd_bayes.checks` reads.

Saved with `plotting.save_figure` (stamped, deterministic bytes).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from nnbayes.sgd_bayes import agreement
from nnbayes.sgd_bayes.checks import LOG10, abi_joined, closeness, correlation, joined, same_task
from nnbayes.sgd_bayes.task_sets import by_task, overtrained_pairs

from nnbayes.core.checks import stage


def _variant_label(meta: dict) -> str:
    v = meta["variant"]
    sampler = " (advSGD)" if v.get("sampler") == "adversarial" else ""
    return f"{v['optimizer'].upper()}{sampler}, batch {v['batch_size']}, lr {v['lr']:g}, {v['loss'].upper()}"


def _arch(net: dict) -> str:
    """A net in words: depth x width of an FCN, or a CNN's channels and filters."""
    if net.get("arch") == "cnn":
        layers = ", ".join(f"{c}x{k}x{k} {p}" for c, k, p in zip(net["channels"], net["filters"], net["padding"]))
        core = f"CNN [{layers}]"
    else:
        core = f"{net['depth']}x{net['width']} {net['activation']}"
    return f"{core}, $\\sigma_w$={net['sigma_w']:g}, $\\sigma_b$={net['sigma_b']:g}"


def _task_title(meta: dict) -> str:
    task = meta["task"]
    data = (f"Boolean target {task['target']}" if task["kind"] == "boolean"
            else f"{task.get('source', 'digits')} images, m={task['m']}")
    return f"{data}, $|E|$={meta['n_test']}; {_arch(meta['net'])}"


def _panel(ax, meta: dict, table: pd.DataFrame, scores: pd.DataFrame, min_count: int, vmax: int):
    """One optimiser's log-log P_SGD vs P_B(EP) scatter, coloured by test errors; returns the scatter."""
    d = joined(table, meta, scores)
    d = d[d["count"] >= min_count]
    pb = np.exp(d["log_pb_ep"])
    if "orbit" in d:
        _orbit_spans(ax, d)
    sc = ax.scatter(pb, d["p_sgd"], c=d["errors"].clip(upper=vmax), cmap="viridis_r", s=22,
                    vmin=0, vmax=vmax, alpha=0.85, edgecolor="none")
    _exact_points(ax, d, "p_sgd")
    lo = min(pb.min(), d["p_sgd"].min(), 1 / max(meta["converged"], 1)) / 3
    ax.plot([lo, 1], [lo, 1], "k--", lw=1, label="P_SGD = P_B")
    ax.axhline(min_count / max(meta["converged"], 1), color="0.5", ls=":", lw=1,
               label=f"{min_count} counts")
    rho, r, n = correlation(joined(table, meta, scores), min_count)
    dec = agreement.decades(d.reset_index(drop=True), max(meta["converged"], 1))[0] if n else float("nan")
    ax.set(xscale="log", yscale="log", xlim=(lo, 1.5), ylim=(lo, 1.5), xlabel="$P_B(f|S)$ (NNGP, EP)",
           ylabel="$P_{SGD}(f|S)$")
    ax.set_title(f"{_variant_label(meta)}\n{meta['runs']:,} runs, {meta['distinct']:,} functions; "
                 f"Spearman {rho:.2f}, Pearson {r:.2f} (n={n})\nslope "
                 f"{agreement.slope(d, max(meta['converged'], 1))[0]:.2f}, median gap {dec:.2f} decades", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    return sc


def _orbit_spans(ax, d: pd.DataFrame) -> None:
    """A grey segment from the least to the most found member of each orbit under permutations of
    the inputs (>= 2 members): one P_B under any i.i.d.-weight prior, so a Bayesian learner's
    segments would be counting noise long."""
    g = d.groupby("orbit").agg(pb=("log_pb_ep", "first"), lo=("p_sgd", "min"), hi=("p_sgd", "max"),
                               n=("p_sgd", "size"))
    g = g[g["n"] >= 2]
    share = agreement.orbit_spread(d)[0]
    ax.vlines(np.exp(g["pb"]), g["lo"], g["hi"], color="0.55", lw=0.7, zorder=0,
              label=f"an orbit under input permutations (within orbits: {share:.0%} of log P_SGD's variance)")


def _grid(n_rows: int, n_cols: int):
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(6 * n_cols + 1, 5.2 * n_rows), squeeze=False,
                             layout="constrained")
    return fig, axes


def sgd_vs_bayes(sets) -> plt.Figure:
    """T8/T9/T13: log-log P_SGD vs P_B(EP), one panel per variant, coloured by test errors.

    Exact (tilting) P_B of the most found functions is drawn as black-edged diamonds with
    +-2 standard errors, so EP's error is visible where the mass is.
    """
    (pmeta, scores), = stage(sets, "posterior")
    train = stage(sets, "train")
    ncol = min(len(train), 2)
    fig, axes = _grid(-(-len(train) // ncol), ncol)
    vmax = int(scores["errors"].quantile(0.95)) + 1
    for ax, (meta, table) in zip(axes.flat, train):
        sc = _panel(ax, meta, table, scores, pmeta["options"]["min_count"], vmax)
    for ax in list(axes.flat)[len(train):]:
        ax.set_visible(False)
    fig.colorbar(sc, ax=axes, label="test errors on E", shrink=0.6)
    fig.suptitle(f"$P_{{SGD}}(f|S)$ vs $P_B(f|S)$: {_task_title(pmeta)}")
    return fig


def _exact_points(ax, d: pd.DataFrame, y: str) -> None:
    """Exact (tilting) P_B as black-edged diamonds with +-2 standard errors."""
    ex = d.dropna(subset=["log_pb_exact"])
    pb = np.exp(ex["log_pb_exact"])
    ax.errorbar(pb, ex[y], xerr=[pb * (1 - np.exp(-2 * ex["exact_stderr"])), pb * (np.exp(2 * ex["exact_stderr"]) - 1)],
                fmt="D", ms=4, mfc="none", mec="k", ecolor="k", lw=0.8, label="exact P_B (tilting)")


def abi(sets) -> plt.Figure:
    """P_B without a GP: rejection from the width-40 prior (ABI) against the NNGP's P_B (EP,
    exact) and against P_SGD, and the three test-error distributions."""
    (pmeta, scores), = stage(sets, "posterior")
    (ameta, table), = stage(sets, "abi")
    min_count = pmeta["options"]["min_count"]
    d = abi_joined(table, ameta, scores)
    d = d[d["count"] >= min_count]
    fig, axes = plt.subplots(1, 3, figsize=(19, 5.6), layout="constrained")
    vmax = int(scores["errors"].quantile(0.95)) + 1
    lo = min(np.exp(d["log_pb_ep"]).min(), d["p_abi"].min()) / 3
    sc = axes[0].scatter(np.exp(d["log_pb_ep"]), d["p_abi"], c=d["errors"].clip(upper=vmax), cmap="viridis_r",
                         vmin=0, vmax=vmax, s=22, edgecolor="none", label="EP")
    _exact_points(axes[0], d, "p_abi")
    axes[0].set(xlabel="$P_B(f|S)$, NNGP (EP; exact)", ylabel="$P_{ABI}(f|S)$, width-40 prior by rejection",
                title=f"ABI: {ameta['accepted']:,} of {ameta['samples']:.1e} prior nets fit S\n"
                      f"log P(S): ABI {ameta['log_ps']:.2f}, GP exact {pmeta['log_ps_exact']:.2f}, "
                      f"EP {pmeta['log_ps_ep']:.2f}")
    for meta, train in stage(sets, "train"):
        both = joined(train, meta, scores).merge(d[["id_hi", "id_lo", "p_abi"]], on=["id_hi", "id_lo"])
        both = both[both["count"] >= min_count]
        axes[1].scatter(both["p_abi"], both["p_sgd"], c=both["errors"].clip(upper=vmax), cmap="viridis_r",
                        vmin=0, vmax=vmax, s=22, edgecolor="none")
        top = train["count"].iloc[0] / max(meta["converged"], 1)
        top_b = both.loc[both["p_sgd"].idxmax(), "p_abi"] if len(both) else float("nan")
        axes[1].set_title(f"{_variant_label(meta)}: {meta['runs']:,} runs\nits most found function: "
                          f"{top:.0%} of runs, {top_b:.0%} of ABI's accepted nets", fontsize=10)
    axes[1].set(xlabel="$P_{ABI}(f|S)$", ylabel="$P_{SGD}(f|S)$")
    for ax in axes[:2]:
        ax.plot([lo, 1], [lo, 1], "k--", lw=1, label="equal")
        ax.set(xscale="log", yscale="log", xlim=(lo, 1.5), ylim=(lo, 1.5))
        ax.legend(fontsize=7, loc="lower right")
    fig.colorbar(sc, ax=axes[:2], label="test errors on E", shrink=0.7)
    (emeta, gp), = stage(sets, "gp_errors")
    _error_distributions(axes[2], sets, emeta, gp)
    axes[2].set_title("test-error distributions")
    fig.suptitle(f"Finite-width Bayes (ABI) vs the NNGP vs SGD: {_task_title(pmeta)}")
    return fig


def _error_distributions(ax, sets, emeta: dict, gp: pd.DataFrame) -> None:
    """P(test errors = k) of the GP's posterior, of each optimiser and of ABI on one task."""
    frames = [gp.assign(source=f"GP posterior $P_B$ ({emeta.get('sampler', 'exact')})")]
    for meta, table in stage(sets, "train") + stage(sets, "abi"):
        if same_task(meta, emeta):
            total = meta["accepted"] if meta["stage"] == "abi" else meta["converged"]
            p = table.groupby("errors")["count"].sum() / max(total, 1)
            label = "ABI (width-40 prior, rejection)" if meta["stage"] == "abi" else _variant_label(meta)
            frames.append(pd.DataFrame({"errors": p.index, "p": p.to_numpy(), "source": label}))
    d = pd.concat(frames, ignore_index=True)
    d = d[d["errors"] <= max(d.loc[d["p"] > 1e-3, "errors"].max(), 1)]
    sns.lineplot(d, x="errors", y="p", hue="source", marker="o", drawstyle="steps-mid", ax=ax)
    ax.set(yscale="log", xlabel="test errors on E", ylabel="probability")
    ax.legend(fontsize=7)


def generalisation(sets) -> plt.Figure:
    """Distribution of test errors: each optimiser's found functions vs the GP's exact posterior."""
    errors = stage(sets, "gp_errors")
    fig, axes = plt.subplots(1, len(errors), figsize=(6.5 * len(errors), 4.8), squeeze=False)
    for ax, (emeta, gp) in zip(axes.flat, errors):
        _error_distributions(ax, sets, emeta, gp)
        ax.set_title(_task_title(emeta))
    fig.suptitle("Generalisation: test-error distribution of trained nets vs the Bayesian posterior", y=1.02)
    return fig


def posterior_complexity(sets) -> plt.Figure:
    """P_B and P_SGD against C_LZ of the whole function (target on S, the function on E)."""
    (pmeta, scores), = stage(sets, "posterior")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5), sharey=True)
    sns.scatterplot(scores, x="clz", y=np.exp(scores["log_pb_ep"]), hue="errors", palette="viridis_r",
                    s=20, ax=ax1, edgecolor="none")
    target_clz = scores.loc[scores["errors"] == 0, "clz"].iloc[0]
    for ax in (ax1, ax2):
        ax.axvline(target_clz, color="k", ls="--", lw=1, label=f"target ($C_{{LZ}}$={target_clz:g})")
    ax1.set(yscale="log", xlabel="$C_{LZ}$ of f on S $\\cup$ E", ylabel="probability",
            title="$P_B(f|S)$ (NNGP, EP) of the scored functions")
    ax1.legend(fontsize=7, title="test errors")
    frames = []
    for meta, table in stage(sets, "train"):
        d = joined(table, meta, scores)
        frames.append(d[d["count"] >= pmeta["options"]["min_count"]].assign(variant=_variant_label(meta)))
    d = pd.concat(frames, ignore_index=True)
    sns.scatterplot(d, x="clz", y="p_sgd", hue="variant", style="variant", s=20, ax=ax2, alpha=0.8)
    ax2.set(yscale="log", xlabel="$C_{LZ}$ of f on S $\\cup$ E", title="$P_{SGD}(f|S)$ of the same functions")
    ax2.legend(fontsize=7)
    fig.suptitle(f"Posterior simplicity bias: {_task_title(pmeta)}", y=1.02)
    return fig


def prior_ep(sets) -> plt.Figure:
    """T7: log10 P(f) by EP (and exactly) against the sampled frequency, top functions."""
    fig, axes = plt.subplots(1, len(stage(sets, "prior_ep")), figsize=(6.2 * len(stage(sets, "prior_ep")), 5.4),
                             squeeze=False, layout="constrained")
    for ax, (meta, d) in zip(axes.flat, stage(sets, "prior_ep")):
        x = d["log_p_sampled"] / LOG10
        sc = ax.scatter(x, d["log_p_ep"] / LOG10, c=d["clz"], cmap="viridis", s=18, label="EP")
        ex = d.dropna(subset=["log_p_exact"])
        ax.errorbar(ex["log_p_sampled"] / LOG10, ex["log_p_exact"] / LOG10, yerr=2 * ex["exact_stderr"] / LOG10,
                    fmt="D", ms=4, mfc="none", mec="k", ecolor="k", lw=0.8, label="exact (tilting)")
        lo = min(x.min(), (d["log_p_ep"] / LOG10).min()) - 0.5
        ax.plot([lo, 0], [lo, 0], "k--", lw=1, label="equal")
        ax.axvline(np.log10(1 / meta["samples"]), color="0.5", ls=":", lw=1, label="seen once")
        s = meta["spec"]
        ax.set(xlabel="$\\log_{10}$ P(f), sampled (finite width)", ylabel="$\\log_{10}$ P(f), NNGP",
               title=f"{s['depth']}x{s['width']} {s['activation']}, $\\sigma_w$={s['sigma_w']:g}, "
                     f"$\\sigma_b$={s['sigma_b']:g}: top {len(d)} of {meta['samples']:.0e} samples")
        ax.legend(fontsize=7)
    fig.colorbar(sc, ax=axes, label="$C_{LZ}$", shrink=0.7)
    fig.suptitle("The GP's P(f) (EP; exact) against the sampled prior of the network")
    return fig


def kernel(sets) -> plt.Figure:
    """T14: empirical covariance of wide random nets against the analytic NNGP kernel."""
    (meta, d), = stage(sets, "kernel")
    net = meta["options"]["net"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5), layout="constrained")
    ax1.errorbar(d["analytic"], d["empirical"], yerr=2 * d["stderr"], fmt=".", ms=3, lw=0.5, alpha=0.6)
    lim = [d["analytic"].min(), d["analytic"].max()]
    ax1.plot(lim, lim, "k--", lw=1)
    ax1.set(xlabel="analytic NNGP $K(x, x')$", ylabel="Monte-Carlo covariance (+-2 SE)",
            title=f"{net['depth']}x{net['width']} {net['activation']}, $\\sigma_w$={net['sigma_w']:g}, "
                  f"$\\sigma_b$={net['sigma_b']:g}, {meta['options']['nets']:,} nets")
    rel = (d["empirical"] - d["analytic"]) / d["analytic"].abs()
    sns.histplot(rel, ax=ax2, bins=30)
    ax2.axvline(0, color="k", ls="--", lw=1)
    ax2.set(xlabel="(empirical - analytic) / |analytic|",
            title="Relative error of the entries\n(they share one Monte-Carlo fluctuation: not independent)")
    return fig


def images(sets) -> plt.Figure:
    """Fig 13: one row per image task (dataset x architecture), one panel per optimiser."""
    groups = by_task(sets)
    ncol = max(len(stage(g, "train")) for g in groups.values())
    fig, axes = _grid(len(groups), ncol)
    for row, (task, group) in zip(axes, groups.items()):
        (pmeta, scores), = stage(group, "posterior")
        train = stage(group, "train")
        vmax = int(scores["errors"].quantile(0.95)) + 1
        for ax, (meta, table) in zip(row, train):
            sc = _panel(ax, meta, table, scores, pmeta["options"]["min_count"], vmax)
            ax.set_title(f"{task}: {_task_title(pmeta)}\nP_B route: {pmeta.get('route', 'full')}; "
                         + ax.get_title(), fontsize=8)
        for ax in row[len(train):]:
            ax.set_visible(False)
    fig.colorbar(sc, ax=axes, label="test errors on E", shrink=0.6)
    fig.suptitle("$P_{SGD}(f|S)$ vs $P_B(f|S)$ on images, per data set and architecture")
    return fig


def optimiser_sweep(sets) -> plt.Figure:
    """Fig 14: per optimiser, the median gap to P_B (decades, 95 % CI) and the mean test error
    against the GP's predicted one."""
    (pmeta, scores), = stage(sets, "posterior")
    (emeta, _), = stage(sets, "gp_errors")
    rows = []
    for meta, train in stage(sets, "train"):
        c = closeness(meta, train, scores, pmeta["options"]["min_count"])
        rows.append({"variant": _variant_label(meta), "decades": c["decades"][0], "lo": c["decades"][1],
                     "hi": c["decades"][2], "error": c["error"][0], "elo": c["error"][1], "ehi": c["error"][2]})
    d = pd.DataFrame(rows)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 0.6 * len(d) + 3), layout="constrained", sharey=True)
    y = np.arange(len(d))
    ax1.errorbar(d["decades"], y, xerr=[d["decades"] - d["lo"], d["hi"] - d["decades"]], fmt="o")
    ax1.axvline(1.0, color="k", ls="--", lw=1, label="one decade (criterion)")
    ax1.set(yticks=y, yticklabels=d["variant"], xlabel="median |log10 P_opt - log10 P_B| (decades)",
            title="closeness to $P_B$ where each optimiser's mass is")
    ax1.legend(fontsize=7)
    ax2.errorbar(d["error"], y, xerr=[d["error"] - d["elo"], d["ehi"] - d["error"]], fmt="s", color="C1")
    ax2.axvline(emeta["mean_test_error"], color="k", ls=":", lw=1, label="GP posterior (exact)")
    ax2.set(xlabel="mean test error on E", title="generalisation")
    ax2.legend(fontsize=7)
    fig.suptitle(f"Optimisers: {_task_title(pmeta)}")
    return fig


def overtraining(sets) -> plt.Figure:
    """Fig 15: P_opt vs P_B at the fit (left) and after the extra epochs (right), per pair."""
    (pmeta, scores), = stage(sets, "posterior")
    pairs = overtrained_pairs(stage(sets, "train"))
    fig, axes = _grid(len(pairs), 2)
    vmax = int(scores["errors"].quantile(0.95)) + 1
    for row, pair in zip(axes, pairs):
        for ax, (meta, table) in zip(row, pair):
            sc = _panel(ax, meta, table, scores, pmeta["options"]["min_count"], vmax)
        row[1].set_title(f"+{pair[1][0]['variant']['epochs_after_fit']} epochs after the fit\n"
                         + row[1].get_title(), fontsize=8)
    fig.colorbar(sc, ax=axes, label="test errors on E", shrink=0.6)
    fig.suptitle(f"Overtraining: {_task_title(pmeta)}")
    return fig
