"""What every figure shares: the seaborn theme, a label for a sampler spec, and `save_figure`,
which stamps the config hash and code version and writes PNG + PDF with fixed metadata (the
same bytes for the same inputs)."""

import matplotlib.pyplot as plt
import seaborn as sns

from nnbayes.core.provenance import code_version

sns.set_theme(context="paper", style="whitegrid", palette="colorblind", font_scale=1.1)


def label(meta: dict) -> str:
    s = meta["spec"]
    if s["kind"] == "uniform":
        return "uniform random functions"
    layers = f"{s['depth']}x{s['width']} {s['activation']}" if s["depth"] else "perceptron"
    return f"{layers}, $\\sigma_w$={s['sigma_w']:g}, $\\sigma_b$={s['sigma_b']:g}, {s['inputs']}"


def save_figure(fig: plt.Figure, stamp: str, png: str, pdf: str) -> None:
    """Stamp with config hash + code version; write PNG and PDF deterministically."""
    fig.text(0.995, -0.02, f"{stamp} | {code_version()}", ha="right", va="top",
             fontsize=7, color="0.4")
    fig.savefig(png, dpi=150, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(pdf, bbox_inches="tight", metadata={"CreationDate": None, "Creator": None})
