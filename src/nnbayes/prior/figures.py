"""The prior's figures (T1-T6), declared once: see core.figure."""

from nnbayes.core.figure import Figure
from nnbayes.prior import checks, plots
from nnbayes.prior.paths import prior_tables


def _experiments(*names: str) -> dict:
    """Figure declaration parts for figures reading these prior experiments."""
    return {"inputs": lambda c: {e: prior_tables(c, e) for e in names},
            "config": lambda c: (c["prior"]["experiments"][names[0]] if len(names) == 1
                                 else [c["prior"]["experiments"][e] for e in names])}


FIGURES = [
    Figure("fig1_perceptron_t", """# P(t) of the perceptron on {0,1}^7 (arXiv 1909.11522, T1/T2)

Theorem: a perceptron without bias, weights from any distribution symmetric under sign flips,
has P(t) = 2^-n for 0 <= t < 2^n: every number of ones is equally likely, so low-entropy
functions (few of them per t) are individually far more likely. Left: the theorem, with a
bias (sigma_b = 1) as a negative control. Right: centred inputs {-1,1}^n, without and with
a bias term.""", **_experiments("perceptron"), checks=checks.perceptron_t, plot=plots.perceptron_t),
    Figure("fig2_depth_t", """# P(t) as ReLU layers are added and sigma_b grows (arXiv 1909.11522, T3)

P(t) for 0 to 4 hidden ReLU layers, one panel per bias variance sigma_b; the checks judge
whether the low-entropy mass (t near 0 or 2^n) grows with depth and with sigma_b.""",
           **_experiments("depth"), checks=checks.depth_t, plot=plots.depth_t),
    Figure("fig3_rank", """# Rank plot of P(f) for the 7-40-40-1 ReLU net (arXiv 1805.08522, T4)

P(f) against its rank, log-log. The dashed line is the scale-free law P(r) = 1/(r ln 2^128).""",
           **_experiments("fcn"), checks=checks.fcn_rank, plot=plots.rank),
    Figure("fig4_simplicity", """# Simplicity bias: P(f) against C_LZ (arXiv 1805.08522, T5)

log P(f) of the sampled functions against their Lempel-Ziv complexity, with the upper
envelope, and the prior's complexity distribution P(K) beside that of uniformly random
functions.""", **_experiments("fcn", "random"), checks=checks.simplicity, plot=plots.simplicity),
    Figure("fig5_order_chaos", """# The prior across the ordered-to-chaotic transition (arXiv 2304.06670 Fig. 1, T5)

P(K) of 10-layer tanh nets for sigma_w from 1 (ordered) to 8 (chaotic), beside P(K) of
uniformly random strings.""", **_experiments("chaos", "random"), checks=checks.order_chaos,
           plot=plots.order_chaos),
]
