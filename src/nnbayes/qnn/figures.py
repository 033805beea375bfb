"""The QNN-as-perceptron figures (arXiv 2407.04371), declared once: see core.figure."""

from nnbayes.core.figure import Figure
from nnbayes.core.specs import expand_grids
from nnbayes.qnn import checks, plots
from nnbayes.qnn.paths import EXPRESSIVITY, MAPPING, MOMENTS, TARGETS, learning_tables, prior_tables
from nnbayes.qnn.plan import prior_sets


def _fcn_tables(c: dict) -> list[str]:
    """The network stage's FCN prior (prior.experiments.fcn), the QNN priors' reference."""
    return [f"samples/prior/fcn/{name}.parquet"
            for name in expand_grids(c["prior"]["experiments"]["fcn"], c["prior"]["defaults"])]


def _priors() -> dict:
    return {"inputs": lambda c: {"qnn_prior": prior_tables(c), "fcn": _fcn_tables(c)},
            "config": lambda c: [prior_sets(c["qnn"]), c["prior"]["experiments"]["fcn"]]}


FIGURES = [
    Figure("qnn1_mapping", """# QNN output = perceptron output on h(x) = psi* (x) psi, for every embedding

Left: the simulated QNN output <psi|U^dag Z U|psi> against the mapped perceptron w_R . h_R(x)
for random Haar and hardware-efficient-ansatz circuits. Right: E[f(x) f(x')] over random QNNs
against the closed forms: Haar, (D F - 1)/(D^2 - 1) (Weingarten), and Gaussian perceptron
weights, F itself (F the fidelity).""",
           inputs=lambda c: {"qnn_mapping": [MAPPING], "qnn_moments": [MOMENTS]},
           config=lambda c: [c["qnn"]["embeddings"], c["qnn"]["mapping"], c["qnn"]["circuit_layers"],
                             c["qnn"]["observable_qubit"]],
           checks=checks.mapping, plot=plots.mapping),
    Figure("qnn2_expressivity", """# Which Boolean functions a QNN can express, per embedding and n

Exact counts by linear programming (every function decided: classes of identical inputs,
cube symmetries, random witnesses, Gordan certificates, HiGHS), as the fraction of all
2^(2^n) functions on the embedding's domain; open markers: parity is not expressible.
The QNN-kernel GP and the layered QNN (its DNF construction, checked on every function)
are the two ways beyond plain QNNs.""",
           inputs=lambda c: {"qnn_expressivity": [EXPRESSIVITY]},
           config=lambda c: [c["qnn"]["embeddings"], c["qnn"]["expressivity"], c["qnn"]["kernel"],
                             c["qnn"]["layered"]],
           checks=checks.expressivity, plot=plots.expressivity),
    Figure("qnn3_class_balance", """# The class-balance prior P(t) of QNNs per embedding and sampling scheme, against the FCN

t = number of the 128 inputs (n = 7 bits) mapped to 1. Dashed: the bias-free perceptron's
P(t) = 2^-n on t < 2^n; grey: the FCN prior of the network stage. The paper [P] says several
popular embeddings favour low class balance (t near 0 or 2^n); the note [M] could not
reproduce that for ZZ and amplitude encodings at n = 5.""",
           **_priors(), checks=checks.class_balance, plot=plots.class_balance),
    Figure("qnn4_complexity", """# P(f) against Lempel-Ziv complexity for QNN priors and the FCN

Each sampled function once, at its probability (count / samples) and C_LZ; the FCN prior of
the network stage for comparison.""", **_priors(), checks=checks.complexity, plot=plots.complexity),
    Figure("qnn5_generalisation", """# Generalisation relative to the FCN: QNNs, the QNN-kernel GP, the layered QNN

Each cell: a learner's mean test error on E (the cube minus S) minus the FCN's trained by SGD,
per target in order of its C_LZ (red: worse than the FCN, blue: better); the last column
averages the targets at or below the median C_LZ, the comparison the checks judge. Top row:
the FCN's own test error. Learners: perceptrons on h_R(x) trained through the map (GD from the
Gaussian prior, and their min-norm fit), the NNGP built on the QNN kernel, the layered QNN,
and the FCN's NNGP.""",
           inputs=lambda c: {"qnn_learning": learning_tables(), "qnn_targets": [TARGETS]},
           config=lambda c: [c["qnn"]["learning"], c["qnn"]["embeddings"], c["qnn"]["kernel"],
                             c["qnn"]["layered"]],
           checks=checks.generalisation, plot=plots.generalisation),
]
