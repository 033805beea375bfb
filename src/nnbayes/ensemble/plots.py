"""Figures of the ensemble-prior stage (seaborn), from the sets `ensemble_checks` reads.

Saved with `plotting.save_figure` (stamped, deterministic bytes).
"""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from nnbayes.ensemble.checks import (
    crossings,
    limit_summary,
    loglog_slope,
    ratio_draws,
    ratio_summary,
    width_limits,
    width_metrics,
    width_runs,
)
from nnbayes.ensemble.toy import crossing_finite, ratio_finite, ratio_limit

REGIME_LABEL = {"ntk": "all layers trained (NTK)", "last_layer": "last layer (NNGP)"}
LIMIT_LABEL = {"ntk": "NTK limit", "last_layer": "NNGP limit"}


def _series_label(features: str, M: int) -> str:
    kind = "$\\pm 1$" if features == "rademacher" else "Gaussian"
    return f"{kind} features, M={M}"


def contribution_ratio(sets) -> plt.Figure:
    """T11: mean R against p n with the limit p n / (1 - p) and the finite-M expectation; then
    every cell divided by the limit, against the universal finite-M factor 1 / (1 - (n+1)/m)."""
    s = ratio_summary(ratio_draws(sets))
    s["series"] = [_series_label(f, M) for f, M in zip(s["features"], s["M"])]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    Cs = sorted(s["C"].unique())
    colors = dict(zip(Cs, sns.color_palette("viridis", len(Cs))))
    markers = dict(zip(sorted(s["series"].unique()), "osD^v"))
    for (series, C), d in s.groupby(["series", "C"]):
        x = d["p"] * d["n"]
        ax.errorbar(x, d["mean"], yerr=2 * d["se"], fmt=markers[series], color=colors[C], ms=5, mfc="none", lw=1)
        n = np.geomspace(d["n"].min(), d["n"].max(), 60)
        q, m, p = d["q"].iloc[0], d["m"].iloc[0], d["p"].iloc[0]
        ax.plot(p * n, ratio_limit(n, q, m), "-", color=colors[C], lw=1)
        ax.plot(p * n, ratio_finite(n, q, m), ":", color=colors[C], lw=1.3)
    ax.axhline(1, color="0.4", ls="--", lw=1)
    handles = [plt.Line2D([], [], color=colors[C], lw=2, label=f"C={C:g} (p={2**-C:.3g})") for C in Cs]
    handles += [plt.Line2D([], [], color="k", marker=mk, ls="none", mfc="none", label=f"MC: {name} (±2 SE)")
                for name, mk in markers.items()]
    handles += [plt.Line2D([], [], color="k", lw=1, label="limit $pn/(1-p)$"),
                plt.Line2D([], [], color="k", lw=1.3, ls=":", label="finite M: $qn/(m-n-1)$"),
                plt.Line2D([], [], color="0.4", lw=1, ls="--", label="perfect = random")]
    ax.legend(handles=handles, fontsize=7, loc="upper left")
    ax.set(xscale="log", yscale="log", xlabel="$p\\,n$ (perfect fraction x training points)",
           ylabel="R = |perfect contribution| / |random contribution|",
           title="Min-L2 regression: perfect vs random features")
    x = np.geomspace(s["nm"].min() / 1.5, min(s["nm"].max() * 1.5, 0.9), 100)
    bx.plot(x, 1 / (1 - x), "k:", lw=1.5, label="finite-M expectation $m/(m-n-1)$")
    bx.axhline(1, color="k", lw=1, label="limit")
    for series, d in s.groupby("series"):
        bx.errorbar(d["nm"], d["mean"] / d["limit"], yerr=2 * d["se"] / d["limit"], fmt=markers[series],
                    ms=5, mfc="none", lw=1, label=f"MC: {series}")
    bx.set(xscale="log", xlabel="$(n+1)/m$ (training points per random feature)",
           ylabel="mean R / $(pn/(1-p))$", title="Finite-M correction (every C collapses)")
    bx.legend(fontsize=8, loc="upper left")
    return fig


def data_requirement(sets) -> plt.Figure:
    """T11: the n at which perfect features take over, against C (p = 2^-C), and the perfect
    share of the fitted outputs R/(1+R) against n in units of the crossing."""
    draws = ratio_draws(sets)
    cr = crossings(draws)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained")
    C = np.linspace(cr["C"].min(), cr["C"].max(), 100)
    ax.plot(C, 2**C - 1, "k-", lw=1.2, label="$2^C - 1$ (limit)")
    for (features, M), d in cr.groupby(["features", "M"]):
        ax.errorbar(d["C"], d["n_hat"], yerr=2 * d["se"], fmt="o" if features == "rademacher" else "s", ms=5,
                    mfc="none", label=f"MC: {_series_label(features, M)} (±2 SE)")
    for (M, d), ls in zip(cr.groupby("M"), (":", "--", "-.")):
        Cs = np.linspace(d["C"].min(), d["C"].max(), 100)
        q = M * 2.0**-Cs  # continuous in C, where the grid rounds q to an integer
        ax.plot(Cs, crossing_finite(q, M - q), ls, color="0.3", lw=1.2, label=f"finite M={M}: $qn/(m-n-1)=1$")
    ax.set(yscale="log", xlabel="C (bits; perfect fraction p = $2^{-C}$)",
           ylabel="training points n where R = 1", title="Data requirement grows as $2^C$")
    ax.set_yscale("log", base=2)
    ax.legend(fontsize=8)
    frac = draws.assign(share=draws["ratio"] / (1 + draws["ratio"]), x=draws["n"] * draws["q"] / draws["m"])
    share = frac.groupby(["features", "M", "C", "n"], as_index=False).agg(x=("x", "first"), share=("share", "mean"))
    share = share[share["features"] == "rademacher"]
    sns.scatterplot(share, x="x", y="share", hue="C", style="M" if share["M"].nunique() > 1 else None,
                    palette="viridis", ax=bx, s=40)
    x = np.geomspace(share["x"].min(), share["x"].max(), 100)
    bx.plot(x, x / (1 + x), "k-", lw=1, label="limit $x/(1+x)$")
    bx.axhline(0.5, color="0.4", ls="--", lw=1)
    bx.set(xscale="log", xlabel="$n / n^*$, $n^* = (1-p)/p$", ylabel="perfect share of fitted outputs R/(1+R)",
           title="$\\pm 1$ features: one curve for every C")
    bx.legend(fontsize=8)
    return fig


def _image(ax, f, grid: dict, vmax: float, X, y):
    G, H = grid["points"], grid["half_side"]
    im = ax.imshow(np.asarray(f).reshape(G, G), origin="lower", extent=(-H, H, -H, H), cmap="RdBu_r",
                   vmin=-vmax, vmax=vmax, interpolation="nearest")
    ax.scatter(X[:, 0], X[:, 1], c=np.where(y > 0, "#b2182b", "#2166ac"), s=18, edgecolors="k", linewidths=0.6)
    ax.set(xticks=[], yticks=[])
    return im


def width_functions(sets) -> plt.Figure:
    """T12: learned functions by width (rows) and seed, beside each regime's kernel limit; a
    plain-init block shows the GP offset that does not go away with width."""
    runs, spec = width_runs(sets)
    limits = width_limits(sets)
    (lmeta, _), = [(m, t) for m, t in sets if m.get("stage") == "width_limit"]
    X, y = np.array(lmeta["X"]), np.array(lmeta["y"])
    k = min(spec["show_seeds"], spec["seeds"])
    blocks = [(r, i) for i in ("antisymmetric", "plain") for r in spec["regimes"] if i in spec["inits"]]
    blocks = [b for b in blocks if b[1] == "antisymmetric"] + [b for b in blocks if b[1] == "plain"][:1]
    cols = [(r, i, s) for r, i in blocks for s in [*range(k), *(["limit"] if i == "antisymmetric" else [])]]
    widths = sorted(runs["width"].unique())
    vmax = 1.2 * max(np.abs(limits.loc[r, "limit"]).max() for r in spec["regimes"])
    fig, axes = plt.subplots(len(widths), len(cols), figsize=(1.45 * len(cols) + 1, 1.5 * len(widths) + 0.9),
                             squeeze=False, layout="constrained")
    table = runs.set_index(["regime", "init", "width", "seed"])
    for row, width in enumerate(widths):
        for col, (regime, init, seed) in enumerate(cols):
            ax = axes[row, col]
            f = limits.loc[regime, "limit"] if seed == "limit" else table.loc[(regime, init, width, seed), "f"]
            im = _image(ax, f, spec["grid"], vmax, X, y)
            if row == 0:
                ax.set_title(LIMIT_LABEL[regime] if seed == "limit" else
                             f"{'NTK' if regime == 'ntk' else 'last layer'}, {init[:5]}.\nseed {seed}", fontsize=8)
            if col == 0:
                ax.set_ylabel(f"N = {width}")
    fig.colorbar(im, ax=axes, shrink=0.6, label="f(x)")
    H = spec["grid"]["half_side"]
    fig.suptitle(f"One-hidden-layer ReLU nets fitted to 4 points on $[-{H:g}, {H:g}]^2$: with $f_0 = 0$ "
                 "(antisymmetric init) the seeds converge to the kernel limit as width N grows; "
                 "a plain init keeps a random GP offset")
    return fig


def width_scaling(sets) -> plt.Figure:
    """T12: seed spread, distance to the kernel limit and roughness against width, log-log, with
    fitted slopes; plain-init lines level off at the closed-form offset."""
    runs, spec = width_runs(sets)
    limits = width_limits(sets)
    met, lim = width_metrics(runs, limits, spec), limit_summary(limits, spec).set_index("regime")
    fit_min = spec["fit_min_width"]
    colors = dict(zip(["ntk", "last_layer"], sns.color_palette("colorblind", 2)))
    dashes = {"antisymmetric": "-", "plain": "--"}
    fig, axes = plt.subplots(1, 3, figsize=(16, 5), layout="constrained")
    for ax, metric, title in zip(axes, ("spread", "distance", "roughness"),
                                 ("seed-to-seed spread (grid rms of the std)", "rms distance to the kernel limit",
                                  "roughness (mean |gradient|)")):
        for (regime, init), d in met.groupby(["regime", "init"]):
            slope = loglog_slope(d["width"], d[metric], fit_min) if metric != "roughness" else None
            label = f"{REGIME_LABEL[regime]}, {init}" + (f": slope {slope:.2f}" if slope is not None else "")
            yerr = 2 * d["distance_se"] if metric == "distance" else None
            ax.errorbar(d["width"], d[metric], yerr=yerr, color=colors[regime], ls=dashes[init], marker="o",
                        ms=4, lw=1.5, label=label)
            if metric == "distance" and init == "antisymmetric":
                ax.plot(d["width"], d["distance_other"], color=colors[regime], ls=":", lw=1,
                        label=f"{REGIME_LABEL[regime]}: distance to the other limit")
        for regime, t in lim.iterrows():
            if metric in ("spread", "distance") and "plain" in spec["inits"]:
                ax.axhline(np.sqrt(t["offset_var"]), color=colors[regime], ls="-.", lw=0.8,
                           label=f"closed-form plain-init offset ({LIMIT_LABEL[regime]})")
            if metric == "roughness":
                ax.axhline(t["roughness"], color=colors[regime], ls=":", lw=1.2, label=f"{LIMIT_LABEL[regime]}")
        if metric != "roughness":
            w = np.array([fit_min, met["width"].max()], float)
            ref = met[(met["width"] == fit_min) & (met["init"] == "antisymmetric")][metric].max()
            ax.plot(w, ref * (w / fit_min) ** -0.5, color="0.5", lw=3, alpha=0.4, label="$N^{-1/2}$ (theory)")
            ax.set_yscale("log")
        ax.set_xscale("log", base=2)
        ax.set(xlabel="width N", title=title, xticks=sorted(met["width"].unique()))
        ax.legend(fontsize=7, loc="upper right" if metric == "roughness" else "lower left")
    fig.suptitle(f"Width -> kernel limit ({spec['seeds']} seeds per width; slopes fitted over N >= {fit_min})")
    return fig
