"""Figures of the Occam's-razor stage (arXiv 2304.06670 Figs. 1c-f and 2; 1805.08522's bound
under label corruption), from the sets `occam_checks` reads. Saved with `plotting.save_figure`.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from nnbayes.core import plotting  # noqa: F401  (the shared seaborn theme)
from nnbayes.occam.checks import prediction_frame, runs_frame, summary, targets_table
from nnbayes.core.checks import stage
from nnbayes.occam.reference import FIG1C_M, FIG1C_MEAN, fig1c_grid
from nnbayes.occam.pac_bayes import complexity_bound, delta_text, unbiased_bound

UNBIASED = "#2ca02c"


def _net_name(net: str, sigma_w: float, activation: str) -> str:
    return f"{activation} $\\sigma_w$={sigma_w:g} ({net})"


def _runs_label(counts: pd.Series) -> str:
    lo, hi = int(counts.min()), int(counts.max())
    return f"{lo} runs" if lo == hi else f"{lo}-{hi} runs"


def _axis_label(clz: str) -> str:
    return "$C_{LZ}$" + (" (occam2304 variant)" if clz == "clz_occam2304" else "")


def generalisation(sets) -> plt.Figure:
    """T10: mean error vs target C_LZ per net with the authors' Fig. 1c; bounds vs errors."""
    targets, clz = targets_table(sets)
    s = summary(runs_frame(sets), targets, clz)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13.5, 5), layout="constrained")
    palette = dict(zip(s["net"].unique(), sns.color_palette("colorblind", s["net"].nunique())))
    m = int(s["m"].iloc[0])
    grid = np.linspace(0, 165, 200)
    for ax in (ax1, ax2):
        ax.axhspan(0.5 - np.sqrt(0.25 / (128 - m)), 0.5 + np.sqrt(0.25 / (128 - m)), color=UNBIASED, alpha=0.12)
        ax.axhline(0.5, color=UNBIASED, lw=1, label="unbiased learner (0.5 $\\pm$ 1 sd)")
    for net, d in s.groupby("net", sort=False):
        label = _net_name(net, d["sigma_w"].iloc[0], d["activation"].iloc[0])
        ax1.errorbar(d["target_clz"], d["mean"], yerr=d["std"], fmt="o-", color=palette[net], capsize=3,
                     label=f"{label}, {_runs_label(d['count'])}")
    for sw, mean in FIG1C_MEAN.items():
        same = s.loc[(s["sigma_w"] == sw) & (s["activation"] == "tanh"), "net"]
        ax1.plot(fig1c_grid(len(mean)), mean, ls="--", lw=1, color=palette[same.iloc[0]] if len(same) else "0.5",
                 label=f"authors' Fig. 1c, tanh $\\sigma_w$={sw:g} (their C_LZ, 1000 runs)")
    ax1.set(xlabel=f"target {_axis_label(clz)}", ylabel="generalisation error on E", xlim=(0, 165), ylim=(-0.02, 0.75),
            title=f"Error vs target complexity, m={m} (authors' m={FIG1C_M})")
    ax1.legend(fontsize=7, loc="upper left")
    bounds = stage(sets, "occam_bound")
    for meta, b in bounds:
        net = meta["net_name"]
        per = b.groupby("target")[["bound_ep", "bound_exact"]].mean()
        per["clz"] = targets.loc[per.index, clz].to_numpy()
        per = per.sort_values("clz")
        ax2.plot(per["clz"], per["bound_ep"], "s:", color=palette.get(net, "0.3"), label=f"bound, {net} (EP)")
        if per["bound_exact"].notna().any():
            ax2.plot(per["clz"], per["bound_exact"], "x", color=palette.get(net, "0.3"), ms=8)
        d = s[s["net"] == net]
        ax2.plot(d["target_clz"], d["mean"], "o-", color=palette.get(net, "0.3"), alpha=0.6, lw=1)
    if bounds:
        opts = bounds[0][0]["options"]
        ax2.plot(grid, complexity_bound(grid, m, 128), color="k", lw=1, ls="-.",
                 label="authors' curve: $1-e^{-(\\ln 128 + K \\ln 2)/m}$")
        ax2.axhline(unbiased_bound(m, opts["delta"], opts["formula"]), color=UNBIASED, ls=":",
                    label="unbiased learner's bound ($P(S)=2^{-m}$)")
        delta = delta_text(opts["delta"], tex=True)
        ax2.set_title(f"PAC-Bayes bound ({opts['formula']}, $\\delta$=${delta}$) from log P(S); "
                      "x: exact P(S); lines+dots: errors", fontsize=9)
    ax2.set(xlabel=f"target {_axis_label(clz)}", ylabel="error / bound", xlim=(0, 165), ylim=(-0.02, 1.0))
    ax2.legend(fontsize=7, loc="lower right")
    fig.suptitle("Generalisation against target complexity: ordered ($\\sigma_w$=1) vs chaotic ($\\sigma_w$=8) priors")
    return fig


def _panel(sub, runs: pd.DataFrame, rand: pd.DataFrame, clz: str, target_clz: float, title: str) -> None:
    """Fig. 1d-f: output C_LZ against error, with both marginals, for one target."""
    gs = sub.add_gridspec(2, 2, width_ratios=(5, 1), height_ratios=(1, 4), hspace=0.05, wspace=0.05)
    ax = sub.add_subplot(gs[1, 0])
    top, right = sub.add_subplot(gs[0, 0], sharex=ax), sub.add_subplot(gs[1, 1], sharey=ax)
    n_test = int(runs["n_test"].iloc[0])
    groups = [("random labelling", rand.assign(error=rand["errors"] / rand["n_test"]), UNBIASED)]
    colours = sns.color_palette("colorblind", runs["sigma_w"].nunique())
    groups += [(f"$\\sigma_w$={sw:g} ({len(d)} runs)", d, c)
               for (sw, d), c in zip(runs.groupby("sigma_w"), colours)]
    kbins = np.arange(0, 168, 3.5) - 1.75
    ebins = (np.arange(n_test + 2) - 0.5) / n_test
    for i, (label, d, c) in enumerate(groups):
        ax.scatter(d[clz], d["error"], s=6, alpha=0.35, color=c, label=label, edgecolor="none")
        mode = d.groupby([clz, "error"]).size().idxmax()
        ax.plot(*mode, "kx", ms=6, label=None if i else "most frequent ($C_{LZ}$, error) of each")
        top.hist(d[clz], bins=kbins, color=c, alpha=0.5, density=True)
        right.hist(d["error"], bins=ebins, color=c, alpha=0.5, density=True, orientation="horizontal")
    ax.axvline(target_clz, color="k", ls="--", lw=0.8)
    ax.axhline(0.5, color="0.5", ls=":", lw=0.8)
    ax.set(xlabel=f"output {_axis_label(clz)}", ylabel="generalisation error", xlim=(0, 165), ylim=(-0.01, 0.65))
    ax.legend(fontsize=7, loc="upper left", markerscale=2)
    top.set_title(title, fontsize=10)
    top.axis("off")
    right.axis("off")


def complexity_error(sets) -> plt.Figure:
    """T11: one panel per target; x marks each cloud's mode, the dashed line the target's C_LZ."""
    targets, clz = targets_table(sets)
    runs = runs_frame(sets)
    runs = runs[runs["converged"]]
    (_, rand), = stage(sets, "occam_random_labels")
    names = list(rand["target"].unique())
    fig = plt.figure(figsize=(5.2 * len(names), 5.2), layout="constrained")
    subs = np.atleast_1d(fig.subfigures(1, len(names)))
    for sub, name in zip(subs, names):
        t_clz = float(targets.loc[name, clz])
        _panel(sub, runs[runs["target"] == name], rand[rand["target"] == name], clz, t_clz,
               f"target {name}: $C_{{LZ}}$={t_clz:g}, m={int(runs['m'].iloc[0])}")
    fig.suptitle("Output complexity vs generalisation error of trained 10-layer tanh nets (2304.06670 Fig. 1d-f)")
    return fig


def prior_likelihood(sets) -> plt.Figure:
    """T12: predicted P(K|S) = P(K) x L_m(K) (bars) against the trained nets' output C_LZ (steps)."""
    _, clz = targets_table(sets)
    frame = prediction_frame(sets)
    ms, names = sorted(frame["m"].unique()), list(frame["target"].unique())
    fig, axes = plt.subplots(len(ms), len(names), figsize=(6 * len(names), 2.8 * len(ms)), squeeze=False,
                             sharex=True, layout="constrained")
    colours = dict(zip(sorted(frame["sigma_w"].unique()), sns.color_palette("colorblind")))
    for (i, m), (j, name) in ((a, b) for a in enumerate(ms) for b in enumerate(names)):
        ax = axes[i, j]
        d = frame[(frame["m"] == m) & (frame["target"] == name)]
        for (sw, kind), part in d.groupby(["sigma_w", "kind"]):
            if kind == "predicted":
                ax.bar(part["clz"], part["p"], width=3.0, alpha=0.4, color=colours[sw],
                       hatch=["//" if e else "" for e in part["extrapolated"]],
                       label=f"$\\sigma_w$={sw:g}: P(K) $\\times$ L$_m$(K) (hatched: P(K) extrapolated)")
            else:
                ax.plot(part["clz"], part["p"], "o-", ms=3, lw=1, color=colours[sw],
                        label=f"$\\sigma_w$={sw:g}: trained ({int(part['runs'].iloc[0])} runs)")
        if len(d):
            ax.axvline(d["target_clz"].iloc[0], color="k", ls=":", lw=0.8)
        ax.set(ylabel=f"m={m}\nP(K|S)", xlim=(0, 165))
        if i == 0:
            ax.set_title(f"target {name}")
        ax.legend(fontsize=6)
    for ax in axes[-1]:
        ax.set_xlabel(f"output {_axis_label(clz)}")
    fig.suptitle("Prior $\\times$ error-spectrum likelihood predicts the posterior over complexity (2304.06670 Fig. 2)")
    return fig


def corruption(sets) -> plt.Figure:
    """T15: test error and PAC-Bayes bound against the fraction of labels corrupted."""
    runs = pd.concat([t for _, t in stage(sets, "occam_corruption_runs")], ignore_index=True)
    runs = runs[runs["converged"]]
    (bmeta, b), = stage(sets, "occam_corruption_bound")
    err = runs.groupby("level")[["test_error", "clean_test_error"]].agg(["mean", "sem"])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    ax1.errorbar(err.index, err[("test_error", "mean")], yerr=2 * err[("test_error", "sem")], fmt="o-",
                 capsize=3, label="trained nets: error on the (noisy) test labels")
    ax1.errorbar(err.index, err[("clean_test_error", "mean")], yerr=2 * err[("clean_test_error", "sem")],
                 fmt="^--", capsize=3, label="same nets: error on the clean test labels")
    ax1.plot(b["level"], b["bound_ep"], "s-", color="k", label="PAC-Bayes bound (EP log P(S))")
    if b["bound_exact"].notna().any():
        ax1.plot(b["level"], b["bound_exact"], "kx", ms=9, label="bound (exact log P(S))")
    ax1.axhline(0.5, color=UNBIASED, ls=":", label="chance")
    spec, opts = bmeta["spec"], bmeta["options"]
    ax1.set(xlabel="fraction of labels replaced by coin flips", ylabel="error", ylim=(0, 1),
            title=f"m={spec['m']}, |E|={int(runs['n_test'].iloc[0])}; bound {opts['formula']}, "
                  f"$\\delta$=${delta_text(opts['delta'], tex=True)}$")
    ax1.legend(fontsize=7)
    ax2.plot(b["level"], -b["log_ps_ep"] / spec["m"], "s-", color="k", label="EP")
    if b["log_ps_exact"].notna().any():
        ax2.plot(b["level"], -b["log_ps_exact"] / spec["m"], "x", color="k", ms=9, label="exact")
    ax2.axhline(np.log(2), color=UNBIASED, ls=":", label="unbiased learner: ln 2")
    ax2.set(xlabel="fraction of labels replaced by coin flips", ylabel="-ln P(S) / m",
            title="Marginal likelihood of the training labels (NNGP)")
    ax2.legend(fontsize=7)
    fig.suptitle("PAC-Bayes bound vs label corruption (1805.08522): "
                 f"{bmeta['net']['depth']}x{bmeta['net']['width']} {bmeta['net']['activation']} net")
    return fig
