"""Figures of the mean-field study (seaborn), from the grid tables `meanfield_checks` reads.

One colour per method across all four figures; sizes and settings go into the titles so a
figure states what it was computed at. Saved with `plotting.save_figure`.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from nnbayes.meanfield.checks import LABELS, ONSET_EXCESS, curve_point, hist_edges, onsets, runs, summary

COLORS = dict(zip(["krr", "mf", "mf_aligned", "mf_ard", "mf_limit", "sgld"],
                  ["0.45", "#0173b2", "#56b4e9", "#de8f05", "0.1", "#029e73"]))
STYLES = {"mf_aligned": (0, (1, 1.5)), "mf_limit": (0, (4, 2))}
ORDER = ["krr", "mf_limit", "mf", "mf_aligned", "mf_ard", "sgld"]


def _settings(sets, task: str) -> str:
    m = next(m for m, _ in sets if m.get("stage") == "meanfield" and m["task"] == task)
    t, n, s = m["target"], m["net"], m["settings"]
    target = (f"parity d={t['d']}, k={t['k']}" if t["kind"] == "parity"
              else f"single index He{t.get('degree')} d={t['d']}, k={t['k']}")
    return (f"{target}; N={n['width']}, $\\gamma$={n['gamma']:g}; SGLD {s['sgld']['chains']} chains x "
            f"{s['sgld']['steps']} steps; MF {s['mf']['particles']} particles; {len(m['seeds'])} data seed(s)")


def _log_axis(ax, values) -> None:
    """Log x axis ticked at the grid values themselves (plain numbers, no minor ticks)."""
    ax.set_xscale("log")
    ax.set_xticks(sorted(set(values)), [f"{v:g}" for v in sorted(set(values))])
    ax.minorticks_off()


def _lines(ax, s: pd.DataFrame, x: str, y: str, methods, logy: bool = False) -> None:
    for method in [m for m in ORDER if m in methods]:
        c = s[s["method"] == method].sort_values(x)
        if not len(c):
            continue
        err = c.get(f"{y}_se")
        ax.errorbar(c[x], c[y], yerr=None if err is None else err, color=COLORS[method],
                    ls=STYLES.get(method, "-"), marker="o" if method != "mf_limit" else None, ms=4,
                    lw=1.6, capsize=2, label=LABELS[method])
    _log_axis(ax, s[x])
    if logy:
        ax.set_yscale("log")


def order_parameter(sets) -> plt.Figure:
    """m vs kappa at the slice P, then m vs P at the curve kappa for every task."""
    s = summary(runs(sets))
    tasks = sorted(s["task"].unique())
    fig, axes = plt.subplots(1, 1 + len(tasks), figsize=(5.2 * (1 + len(tasks)), 4.4), layout="constrained")
    main = "parity" if "parity" in tasks else tasks[0]
    kappa, P = curve_point(sets, main)
    sl = s[(s["task"] == main) & (s["P"] == P)]
    ax = axes[0]
    _lines(ax, sl, "kappa", "m", sl["method"].unique())
    ok = onsets(s, main, "kappa")
    for r in ok[ok["P"] == P].itertuples():
        if np.isfinite(r.onset_excess):
            ax.axvline(r.onset_excess, color=COLORS[r.method], ls=":", lw=1)
    ax.set(xlabel="$\\kappa$ (SGLD temperature = noise variance)", ylabel="order parameter m = <f y>/<y$^2$>",
           title=f"{main}: m vs $\\kappa$ at P={P}", ylim=(-0.05, 1.05))
    ax.legend(fontsize=7)
    for ax, task in zip(axes[1:], tasks):
        k_t, _ = curve_point(sets, task)
        c = s[(s["task"] == task) & (s["kappa"] == k_t)]
        _lines(ax, c, "P", "m", c["method"].unique())
        on = onsets(s, task, "P")
        for r in on[on["kappa"] == k_t].itertuples():
            if np.isfinite(r.onset_excess):
                ax.axvline(r.onset_excess, color=COLORS[r.method], ls=":", lw=1)
        ax.set(xlabel="training-set size P", ylabel="m", title=f"{task}: m vs P at $\\kappa$={k_t:g}",
               ylim=(-0.05, 1.05))
    fig.suptitle(f"Symmetry breaking: dotted = onset (m exceeds KRR's by {ONSET_EXCESS})\n{_settings(sets, main)}",
                 fontsize=9)
    return fig


def learning_curves(sets) -> plt.Figure:
    """Test MSE vs P per task at its curve kappa: KRR, MF (N = 10^6 dashed), MF, MF-ARD, SGLD."""
    s = summary(runs(sets))
    tasks = sorted(s["task"].unique())
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.6 * len(tasks), 4.4), layout="constrained", squeeze=False)
    for ax, task in zip(axes.flat, tasks):
        kappa, _ = curve_point(sets, task)
        c = s[(s["task"] == task) & (s["kappa"] == kappa) & (s["method"] != "mf_aligned")]
        _lines(ax, c, "P", "test_mse", c["method"].unique(), logy=True)
        g = c[c["method"] == "sgld"].sort_values("P")
        ax.plot(g["P"], g["gibbs_mse"], color=COLORS["sgld"], ls=":", lw=1, label="SGLD, single draws (Gibbs)")
        ax.set(xlabel="training-set size P", ylabel="test MSE", title=f"{task}, $\\kappa$={kappa:g}\n{_settings(sets, task)}")
        ax.title.set_fontsize(8)
        ax.legend(fontsize=7)
    fig.suptitle("Learning curves: the kernel limit, mean-field theories and the SGLD posterior", fontsize=10)
    return fig


def phase_diagram(sets) -> plt.Figure:
    """log10(MSE / MSE_KRR) over (kappa, P) for SGLD, MF, MF-ARD, with onset boundaries."""
    s = summary(runs(sets))
    task = "parity" if "parity" in set(s["task"]) else sorted(s["task"].unique())[0]
    t = s[s["task"] == task]
    krr = t[t["method"] == "krr"].set_index(["kappa", "P"])["test_mse"]
    on = onsets(s, task, "P")
    methods = [m for m in ("sgld", "mf", "mf_ard") if m in set(t["method"])]
    fig, axes = plt.subplots(1, len(methods), figsize=(4.8 * len(methods), 4.3), layout="constrained", squeeze=False)
    vmax = 2.0
    for ax, method in zip(axes.flat, methods):
        r = np.log10(t[t["method"] == method].set_index(["kappa", "P"])["test_mse"] / krr)
        grid = r.unstack("P").sort_index(ascending=False)
        sns.heatmap(grid, ax=ax, cmap="RdBu_r", vmin=-vmax, vmax=vmax, annot=True, fmt=".1f", annot_kws={"size": 7},
                    cbar=method == methods[-1], cbar_kws={"label": "log10(MSE / MSE$_{KRR}$)"})
        Ps, ks = list(grid.columns), list(grid.index)
        for m, color, ls in ((method, "k", "-"), ("sgld", "0.35", "--"))[: 1 if method == "sgld" else 2]:
            b = on[on["method"] == m].set_index("kappa")["onset_excess"].reindex(ks)
            x = np.interp(np.log(b.to_numpy()), np.log(Ps), np.arange(len(Ps))) + 0.5
            ax.plot(np.where(np.isfinite(b), x, np.nan), np.arange(len(ks)) + 0.5, color=color, ls=ls, marker="o",
                    ms=3, lw=1.5, label=f"onset P$_c$, {LABELS[m]}")
        ax.set(xlabel="P", ylabel="$\\kappa$", title=LABELS[method])
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Phase diagram ({task}): test MSE relative to KRR; onset = m exceeds KRR's by {ONSET_EXCESS}\n"
                 f"{_settings(sets, task)}", fontsize=9)
    return fig


def feature_selection(sets) -> plt.Figure:
    """(a) per-input <w_j^2> and ARD 1/rho_j, (b) zeta vs P, (c, d) relevant / irrelevant marginals."""
    df = runs(sets)
    s = summary(df)
    task = "parity" if "parity" in set(s["task"]) else sorted(s["task"].unique())[0]
    kappa, _ = curve_point(sets, task)
    P = int(s[(s["task"] == task) & (s["kappa"] == kappa)]["P"].max())
    sel = df[(df["task"] == task) & (df["kappa"] == kappa) & (df["P"] == P)]
    d, k = int(sel["d"].iloc[0]), int(sel["k"].iloc[0])
    unit = d / next(m["net"]["sigma_w"] for m, _ in sets if m.get("stage") == "meanfield")
    fig, axes = plt.subplots(2, 2, figsize=(11.5, 8.5), layout="constrained")
    axes = axes.ravel()
    ax = axes[0]
    j = np.arange(1, d + 1)
    for method in ("sgld", "mf", "mf_ard"):
        r = sel[sel["method"] == method]
        if len(r):
            ax.plot(j, np.mean(np.stack(r["w2"].to_numpy()), 0) * unit, "o-", color=COLORS[method], ms=4,
                    label=f"{LABELS[method]} <w$_j^2$>")
    r = sel[sel["method"] == "mf_ard"]
    if len(r):
        ax.plot(j, np.mean(np.stack(r["inv_rho"].to_numpy()), 0) * unit, "s--", color=COLORS["mf_ard"], mfc="none",
                label="MF-ARD prior variance 1/$\\rho_j$")
    ax.axvspan(0.5, k + 0.5, color="0.9", zorder=0, label="relevant inputs S")
    ax.axhline(1, color="0.5", lw=0.8)
    ax.set(yscale="log", xlabel="input j", ylabel="second moment x d/$\\sigma_w$ (prior = 1)",
           title=f"{task}: which inputs are selected (P={P}, $\\kappa$={kappa:g})", xticks=j)
    ax.legend(fontsize=7)
    ax = axes[1]
    c = s[(s["task"] == task) & (s["kappa"] == kappa) & s["method"].isin(["sgld", "mf", "mf_ard", "mf_limit"])]
    _lines(ax, c, "P", "zeta", c["method"].unique(), logy=True)
    ax.axhline(2, color="0.5", ls=":", lw=1, label="$\\zeta$ = 2 (onset criterion)")
    ax.set(xlabel="P", ylabel="anisotropy $\\zeta$", title="relevant / irrelevant mean <w$_j^2$>")
    ax.legend(fontsize=7)
    edges = hist_edges(sets)
    x, width = 0.5 * (edges[1:] + edges[:-1]), edges[1] - edges[0]
    for ax, col, what in ((axes[2], "hist_rel", "relevant $w_1$"), (axes[3], "hist_irr", f"irrelevant $w_{{{d}}}$")):
        for method in ("sgld", "mf", "mf_ard"):
            r = sel[sel["method"] == method]
            if len(r):
                h = np.sum(np.stack(r[col].to_numpy()), 0)
                ax.plot(x, h / (h.sum() * width), color=COLORS[method], lw=1.6, label=LABELS[method])
        ax.plot(x, np.exp(-x**2 / 2) / np.sqrt(2 * np.pi), "k:", lw=1, label="prior N(0, 1)")
        ax.set(yscale="log", ylim=(1e-4, None), xlabel=f"weight / prior std (clipped at $\\pm${edges[-1]:g})", ylabel="density",
               title=f"marginal of the {what}")
        ax.legend(fontsize=7)
    fig.suptitle(f"Input feature selection: {_settings(sets, task)}", fontsize=9)
    return fig
