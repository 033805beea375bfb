"""Figures of the prior (seaborn), each from merged sample sets `[(meta, table), ...]`.

Every function returns a matplotlib Figure; `save_figure` stamps it with the config hash and
code version and writes PNG + PDF with fixed metadata (same bytes for the same inputs).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from nnbayes.core.plotting import label
from nnbayes.core.tables import ones_count_distribution



def _p_t_frame(sets, **columns) -> pd.DataFrame:
    frames = []
    for meta, table in sets:
        d = ones_count_distribution(table, meta["n_points"])
        for name, fn in columns.items():
            d[name] = fn(meta)
        frames.append(d)
    return pd.concat(frames, ignore_index=True)


def perceptron_t(sets) -> plt.Figure:
    """T1/T2: P(t) against the theorem 2^-n (binary inputs) and for centred inputs."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, inputs in zip(axes, ("binary", "centered")):
        chosen = [(m, t) for m, t in sets if m["spec"]["inputs"] == inputs]
        d = _p_t_frame(chosen, sigma_b=lambda m: f"{m['spec']['sigma_b']:g}")
        sns.lineplot(d, x="t", y="p", hue="sigma_b", drawstyle="steps-mid", ax=ax)
        n_points = chosen[0][0]["n_points"] if chosen else 128
        if inputs == "binary":
            ax.axhline(1 / n_points, color="k", ls="--", lw=1, label="theorem $2^{-n}$")
        ax.set(yscale="log", xlabel="t (inputs mapped to 1)", ylabel="P(t)",
               title=f"perceptron, {inputs} inputs {{0,1}}$^n$" if inputs == "binary"
               else "perceptron, centred inputs {-1,1}$^n$")
        ax.legend(title="$\\sigma_b$")
    return fig


def depth_t(sets) -> plt.Figure:
    """T3: P(t) for 0..L hidden ReLU layers, one panel per sigma_b."""
    d = _p_t_frame(sets, depth=lambda m: m["spec"]["depth"],
                   sigma_b=lambda m: f"$\\sigma_b$ = {m['spec']['sigma_b']:g}")
    g = sns.relplot(d, x="t", y="p", hue="depth", col="sigma_b", kind="line", palette="viridis",
                    drawstyle="steps-mid", height=4, aspect=1.1, facet_kws={"sharey": True})
    g.set(yscale="log", xlabel="t (inputs mapped to 1)", ylabel="P(t)")
    g.set_titles("{col_name}")
    g.figure.suptitle("P(t) of 7-(40)$^L$-1 ReLU nets: the low-entropy bias grows with depth and $\\sigma_b$",
                      y=1.03)
    return g.figure


def rank(sets) -> plt.Figure:
    """T4: P(f) against rank, log-log, with the scale-free line 1/(r ln 2^N)."""
    fig, ax = plt.subplots(figsize=(7, 5))
    for meta, table in sets:
        p = table["count"].to_numpy() / meta["samples"]
        ax.plot(np.arange(1, len(p) + 1), p, lw=1.5, label=f"{label(meta)} ({meta['samples']:.0e} samples)")
    r = np.logspace(0, np.log10(max(len(t) for _, t in sets)), 50)
    n_points = sets[0][0]["n_points"]
    ax.plot(r, 1 / (r * n_points * np.log(2)), "k--", lw=1, label="$1/(r \\ln 2^{128})$")
    ax.set(xscale="log", yscale="log", xlabel="rank", ylabel="P(f)", title="Rank plot of the prior P(f)")
    ax.legend(fontsize=8)
    return fig


def simplicity(sets) -> plt.Figure:
    """T5: log P(f) against C_LZ (simplicity bias), and P(C_LZ) against random strings."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    for meta, table in sets:
        if meta["spec"]["kind"] == "fcn":
            ax1.scatter(table["clz"], table["count"] / meta["samples"], s=6, alpha=0.4, label=label(meta))
    _sampling_floor(ax1, sets)
    ax1.set(yscale="log", xlabel="$C_{LZ}$", ylabel="P(f)", title="P(f) against Lempel-Ziv complexity")
    ax1.legend(fontsize=8, markerscale=3)
    _clz_bars(sets, ax2)
    return fig


def _sampling_floor(ax, sets) -> None:
    """P = 1/samples: a function seen once; points on this line are not resolved."""
    n = min(m["samples"] for m, _ in sets if m["spec"]["kind"] == "fcn")
    ax.axhline(1 / n, color="0.5", ls=":", lw=1, label=f"seen once (1/{n:.0e})")


def _clz_bars(sets, ax) -> None:
    frames = []
    for meta, table in sets:
        pk = table.groupby("clz")["count"].sum() / table["count"].sum()
        frames.append(pd.DataFrame({"clz": pk.index, "p": pk.to_numpy(), "prior": label(meta)}))
    d = pd.concat(frames, ignore_index=True)
    sns.lineplot(d, x="clz", y="p", hue="prior", marker="o", markersize=3, ax=ax)
    ax.set(yscale="log", xlabel="$C_{LZ}$ (K)", ylabel="P(K)", title="Complexity distribution P(K)")
    ax.legend(fontsize=8)


def order_chaos(sets) -> plt.Figure:
    """T5 (2304.06670): P(K) and P(f) vs C_LZ across the ordered -> chaotic transition."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    _clz_bars(sets, ax1)
    ax1.set_title("P(K): tanh nets from ordered ($\\sigma_w$=1) to chaotic ($\\sigma_w$=8)")
    for meta, table in sets:
        top = table.groupby("clz")["count"].max() / meta["samples"]
        ax2.plot(top.index, top.to_numpy(), marker=".", label=label(meta))
    _sampling_floor(ax2, sets)
    ax2.set(yscale="log", xlabel="$C_{LZ}$", ylabel="max P(f) at this $C_{LZ}$",
            title="Upper envelope of P(f) against $C_{LZ}$")
    ax2.legend(fontsize=8)
    return fig

