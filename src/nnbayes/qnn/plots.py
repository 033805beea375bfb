"""Figures of the QNN stage (seaborn), from the sets `qnn_checks` reads; saved with
`plotting.save_figure` (stamped, deterministic bytes)."""

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from nnbayes.qnn.checks import fcn_sets, learning_table, qnn_sets

from nnbayes.core.checks import stage
from nnbayes.core.tables import ones_count_distribution

FCN_STYLES = ("-", "--", ":", "-.")  # the network prior's sets, in grey
SCHEME_TITLES = {
    "gue": "Gaussian perceptron weights (GUE O)",
    "haar": "Haar U, M = Z$_1$",
    "circuit": "hardware-efficient ansatz, angles ~ U[0, 2$\\pi$)",
    "kernel": "QNN-kernel NNGP (GP)",
    "layered": "layered QNN",
}


def mapping(sets) -> plt.Figure:
    """Simulated QNN output against the mapped perceptron output, every embedding (legend: the
    largest difference); then E[f f'] over random QNNs against the closed forms."""
    (_, df), = stage(sets, "qnn_mapping")
    (meta, mo), = stage(sets, "qnn_moments")
    fig, axes = plt.subplots(1, 3, figsize=(19, 6), layout="constrained")
    ax = axes[0]
    for name, d in df.groupby("embedding", sort=False):
        err = (d["qnn"] - d["tpp"]).abs().max()
        ax.scatter(d["qnn"], d["tpp"], s=8, alpha=0.5, edgecolor="none", rasterized=True,
                   label=f"{name} ({d['qubits'].iloc[0]} qubits): max |diff| {err:.0e}")
    ax.axline((0, 0), slope=1, color="k", ls="--", lw=0.8)
    ax.set(xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="QNN <$\\psi$|U$^\\dagger$Z$_1$U|$\\psi$> (state-vector simulation)",
           ylabel="perceptron w$_R$ . h$_R$(x)",
           title=f"Haar and ansatz circuits ({df.groupby(['embedding', 'unitary'])['circuit'].nunique().iloc[0]} each)")
    ax.legend(fontsize=7, markerscale=2)
    for ax, scheme in zip(axes[1:], ("haar", "gue")):
        d = mo[mo["scheme"] == scheme]
        scale = d["dim"] + 1 if scheme == "haar" else 1  # Haar: in units of Var f = 1/(D + 1)
        for name, e in d.assign(x=d["theory"] * scale, y=d["empirical"] * scale, s=d["stderr"] * scale).groupby("embedding"):
            ax.errorbar(e["x"], e["y"], yerr=2 * e["s"], fmt="o", ms=3, lw=0.6, alpha=0.7,
                        label=f"{name} (D={e['dim'].iloc[0]})", rasterized=True)
        ax.axline((0, 0), slope=1, color="k", ls="--", lw=0.8)
        if scheme == "haar":
            ax.set(xlabel="(D F - 1)/(D - 1)  [= (D+1) (D F - 1)/(D$^2$ - 1)]", ylabel="(D+1) E[f(x) f(x')] ($\\pm$2 s.e.)",
                   title=f"Haar U, M = Z$_1$ (Weingarten), {meta['options']['moment_draws']} draws")
        else:
            ax.set(xlabel="fidelity F(x, x')", ylabel="E[f(x) f(x')] ($\\pm$2 s.e.)",
                   title=f"Gaussian w$_R$ ~ N(0, I), {meta['options']['moment_draws']} draws")
        ax.legend(fontsize=7)
    fig.suptitle("A QNN is a perceptron on h(x) = $\\psi^*\\otimes\\psi$: exact map and prior moments")
    return fig


def expressivity(sets) -> plt.Figure:
    """Expressible fraction of all Boolean functions per model/embedding and n; parity marked."""
    (_, df), = stage(sets, "qnn_expressivity")
    df = df.assign(label=df["model"].map({"tpp": "QNN", "kernel": "QNN-kernel GP", "layered": "layered QNN"})
                   + ": " + df["embedding"], n=df["n"].astype(str))
    order = list(dict.fromkeys(df["label"]))
    fig, ax = plt.subplots(figsize=(max(9, 0.9 * len(order) + 3), 5.5), layout="constrained")
    sns.barplot(df, x="label", y="fraction", hue="n", order=order, palette="viridis", ax=ax)
    ns = list(dict.fromkeys(df["n"]))
    width = 0.8 / len(ns)
    for i, label in enumerate(order):
        for j, n in enumerate(ns):
            r = df[(df["label"] == label) & (df["n"] == n)]
            if len(r) and not bool(r["parity_expressible"].iloc[0]):
                x = i - 0.4 + width * (j + 0.5)
                ax.plot(x, r["fraction"].iloc[0] * 1.6, marker="v", color="crimson", ms=6)
    ax.plot([], [], "v", color="crimson", label="parity not expressible")
    ax.set(yscale="log", ylim=(min(df["fraction"].min() / 3, 1e-2), 3), xlabel="",
           ylabel="expressible fraction of $2^{2^n}$ functions (exact LP)")
    ax.tick_params(axis="x", rotation=60)
    ax.legend(title="n", fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title("Which Boolean functions each embedding's perceptron can express")
    return fig


def _set_frame(sets, fn) -> pd.DataFrame:
    frames = []
    for meta, table in qnn_sets(sets):
        d = fn(meta, table)
        d["embedding"], d["scheme"] = meta["spec"]["embedding"], meta["spec"]["scheme"]
        frames.append(d)
    return pd.concat(frames, ignore_index=True)


def class_balance(sets) -> plt.Figure:
    """P(t) per embedding, one panel per sampling scheme, with the FCN and the uniform reference."""
    d = _set_frame(sets, lambda m, t: ones_count_distribution(t, m["n_points"]))
    schemes = [s for s in SCHEME_TITLES if s in set(d["scheme"])]
    N = int(d["t"].max())
    fig, axes = plt.subplots(1, len(schemes), figsize=(4.6 * len(schemes), 4.6), sharey=True, layout="constrained",
                             squeeze=False)
    palette = dict(zip(sorted(set(d["embedding"])), sns.color_palette("colorblind", len(set(d["embedding"])))))
    for ax, scheme in zip(axes[0], schemes):
        for (meta, table), ls in zip(fcn_sets(sets), FCN_STYLES):
            p = ones_count_distribution(table, meta["n_points"])
            ax.plot(p["t"], p["p"].where(p["p"] > 0), color="0.5", lw=2, alpha=0.7, ls=ls,
                    label=f"FCN $\\sigma_b$={meta['spec']['sigma_b']:g}")
        for name, e in d[(d["scheme"] == scheme) & (d["p"] > 0)].groupby("embedding"):  # amplitude_pm: even t only
            ax.plot(e["t"], e["p"], drawstyle="steps-mid", color=palette[name], lw=1.2, label=name)
        ax.axhline(1 / N, color="k", ls="--", lw=0.8, label="uniform perceptron $2^{-n}$")
        ax.set(yscale="log", xlabel="t (inputs mapped to 1)", ylabel="P(t)", title=SCHEME_TITLES[scheme])
        ax.legend(fontsize=7)
    fig.suptitle("Class-balance prior P(t) of QNNs on {0,1}$^7$ against the FCN prior")
    return fig


def _clz_curves(table: pd.DataFrame, samples: int) -> tuple[pd.Series, pd.Series]:
    """(max P(f) per C_LZ, P(C_LZ) of the samples) of one merged set."""
    by = table.groupby("clz")["count"]
    return by.max() / samples, by.sum() / table["count"].sum()


def complexity(sets) -> plt.Figure:
    """Per scheme: the upper envelope of P(f) against C_LZ (top) and the complexity distribution
    P(C_LZ) of the samples (bottom), per embedding, with the FCN prior in grey."""
    qnn = [(m["spec"]["embedding"], m["spec"]["scheme"], m["samples"], _clz_curves(t, m["samples"]))
           for m, t in qnn_sets(sets)]
    fcn = [(f"FCN $\\sigma_b$={m['spec']['sigma_b']:g}", _clz_curves(t, m["samples"])) for m, t in fcn_sets(sets)]
    schemes = [s for s in SCHEME_TITLES if s in {q[1] for q in qnn}]
    names = sorted({q[0] for q in qnn})
    palette = dict(zip(names, sns.color_palette("colorblind", len(names))))
    fig, axes = plt.subplots(2, len(schemes), figsize=(4.6 * len(schemes), 8.4), sharey="row",
                             layout="constrained", squeeze=False)
    for top, bottom, scheme in zip(axes[0], axes[1], schemes):
        curves = [(label, c, dict(color="0.5", lw=2, alpha=0.7, ls=ls)) for (label, c), ls in zip(fcn, FCN_STYLES)]
        curves += [(name, c, dict(color=palette[name], lw=1.2)) for name, s, _, c in qnn if s == scheme]
        for label, (envelope, pk), style in curves:
            top.plot(envelope.index, envelope.to_numpy(), marker=".", ms=3, label=label, **style)
            bottom.plot(pk.index, pk.to_numpy(), marker=".", ms=3, label=label, **style)
        for samples in sorted({n for _, s, n, _ in qnn if s == scheme}):
            top.axhline(1 / samples, color="0.4", ls=":", lw=0.8)
        top.set(yscale="log", xlabel="$C_{LZ}$", ylabel="max P(f) at this $C_{LZ}$", title=SCHEME_TITLES[scheme])
        bottom.set(yscale="log", xlabel="$C_{LZ}$", ylabel="P($C_{LZ}$) of the samples")
        top.legend(fontsize=7)
    fig.suptitle("Simplicity bias: P(f) against Lempel-Ziv complexity, QNN priors and the FCN (dotted: seen once)")
    return fig


LEARNERS = {"tpp_gd": "QNN, GD from the prior", "tpp_minnorm": "QNN, min-norm fit", "qnn_kernel_gp": "QNN-kernel GP",
            "layered": "layered QNN", "fcn_gp": "FCN's NNGP"}


def _error_grid(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """(mean test error per model x target, the FCN (SGD)'s per target, row labels), targets in
    C_LZ order plus a 'low C_LZ' column: the mean over targets at or below the median C_LZ (the
    comparison the checks judge)."""
    targets = df.groupby("target")["clz"].first().sort_values()
    low = targets.index[targets <= targets.median()]
    mean = df.groupby(["learner", "embedding", "target"])["test_error"].mean().unstack()[targets.index]
    mean["low C$_{LZ}$ mean"] = mean[low].mean(1)
    fcn = mean.loc[("fcn_sgd", "")]
    mean = mean.drop(index=("fcn_sgd", "")).reindex(
        sorted(mean.index.drop(("fcn_sgd", "")), key=lambda k: (list(LEARNERS).index(k[0]), k[1])))
    labels = [f"{LEARNERS.get(lrn, lrn)}: {emb}" if emb else LEARNERS.get(lrn, lrn) for lrn, emb in mean.index]
    mean.columns = [f"{t}\n{targets[t]:g}" if t in targets else t for t in mean.columns]
    return mean, fcn.set_axis(mean.columns), labels


def generalisation(sets) -> plt.Figure:
    """Each learner's test error minus the FCN (SGD)'s, per target (C_LZ order), as one grid:
    red where the learner generalises worse than the FCN; the FCN's own error on top."""
    df = learning_table(sets).fillna({"embedding": ""})
    gaps, fcn, labels = _error_grid(df)
    gaps = gaps - fcn
    fig, (top, ax) = plt.subplots(2, 1, figsize=(max(10, 4.5 + 1.4 * gaps.shape[1]), 2 + 0.42 * len(gaps)),
                                  height_ratios=[1, len(gaps)], layout="constrained", sharex=True)
    sns.heatmap(fcn.to_frame().T, ax=top, annot=True, fmt=".2f", cmap="Greys", vmin=0, vmax=1, cbar=False,
                yticklabels=["FCN (SGD) test error"], linewidths=0.5)
    sns.heatmap(gaps, ax=ax, annot=True, fmt="+.2f", cmap="RdBu_r", vmin=-0.6, vmax=0.6, center=0,
                yticklabels=labels, linewidths=0.5, cbar_kws={"label": "test error - FCN (SGD) test error"})
    learners = [k[0] for k in gaps.index]
    for i in range(1, len(learners)):
        if learners[i] != learners[i - 1]:
            ax.axhline(i, color="k", lw=1.5)
    ax.axvline(gaps.shape[1] - 1, color="k", lw=1.5)
    top.set(xlabel="", ylabel="")
    top.tick_params(axis="y", rotation=0)
    ax.set(xlabel="target (its C$_{LZ}$)", ylabel="")
    ax.tick_params(axis="x", rotation=0)
    fig.suptitle(f"Test error on E relative to the FCN trained by SGD ({{0,1}}$^7$, |S| = {sorted(set(df['m']))})\n"
                 "red: generalises worse than the FCN; blue: better")
    return fig
