"""The mean-field-vs-SGLD figures (arXiv 2510.15174; research note §2), declared once: see
core.figure. The theory's text was not readable: the model and its constants are the research
note's reconstruction, so a failing row is a failure of that reconstruction, not of the paper."""

from nnbayes.core.figure import Figure
from nnbayes.meanfield import checks, plots
from nnbayes.meanfield.paths import STEP_CONTROL, point_tables


RECONSTRUCTION = """

The paper's text was not readable beyond its abstract and first paragraph: plain MF and MF-ARD
here are the research note's reconstruction (§2), so a FAIL about them below is a failure of that
reconstruction, not of the paper."""


def _points() -> dict:
    return {"inputs": lambda c: {"meanfield": point_tables(c) + [STEP_CONTROL]},
            "config": lambda c: c["meanfield"]}


FIGURES = [
    Figure("mf1_order_parameter", """# The symmetry-breaking transition: order parameter vs noise and sample size (T8-T9)

Sparse parity (and single index): m = <f y> / <y^2> of the posterior-mean predictor on fresh test
inputs, for kernel ridge regression (the N -> inf limit), plain mean-field theory (from the prior
and from aligned particles: two branches would mean a first-order transition), MF with learned
per-input prior variances (MF-ARD) and SGLD. Left: m vs the SGLD temperature kappa at fixed P;
right: m vs P at fixed kappa. Dotted verticals: each method's onset (m exceeds KRR's by 0.1).""" + RECONSTRUCTION,
           **_points(), checks=checks.order_parameter, plot=plots.order_parameter),
    Figure("mf2_learning_curves", """# Learning curves: KRR, plain MF, MF-ARD and SGLD (T7-T8)

Test MSE of the posterior-mean predictor vs training-set size P at fixed kappa, one panel per
target. The dashed line is plain MF solved at width 10^6, which must coincide with KRR (the
infinite-width limit); the paper claims MF underestimates the gain of SGLD after the transition
and MF-ARD (input feature selection) matches it.""" + RECONSTRUCTION,
           **_points(), checks=checks.learning_curves, plot=plots.learning_curves),
    Figure("mf3_phase_diagram", """# Phase diagram over (kappa, P) (T9)

log10 of each method's test MSE relative to KRR's over the (kappa, P) grid of the parity task
(blue: feature learning beats the kernel). Lines: the onset P_c(kappa) where m first exceeds KRR's
by 0.1, for SGLD (black) and the method of the panel.""" + RECONSTRUCTION,
           **_points(), checks=checks.phase_diagram, plot=plots.phase_diagram),
    Figure("mf4_feature_selection", """# Input feature selection: per-input weight variances and anisotropy (T10)

Which inputs the posterior selects: per-input second moments <w_j^2> (in prior units d/sigma_w)
for SGLD, plain MF and MF-ARD, and MF-ARD's learned prior variances 1/rho_j; the anisotropy
zeta = mean <w_j^2> over relevant / irrelevant inputs vs P; and the marginals of a relevant and
an irrelevant first-layer weight.""" + RECONSTRUCTION,
           **_points(), checks=checks.feature_selection, plot=plots.feature_selection),
]
