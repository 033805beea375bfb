"""The Occam's-razor and PAC-Bayes figures (arXiv 2304.06670, 1805.08522), declared once: see
core.figure."""

from nnbayes.core.figure import Figure
from nnbayes.occam import checks, plots
from nnbayes.occam.paths import (CORRUPTION_BOUND, RANDOM_LABELS, TARGETS, bound_tables, corruption_shards,
                                 prior_k_tables, run_shards, spectrum_tables)

TRAINING = ["lz_variant", "targets", "variant", "runs", "max_epochs"]  # what every trained run depends on


def used(occam: dict, keys: list[str], nets: list[str], **extra) -> dict:
    """The config a figure depends on: these occam keys, these nets, anything extra."""
    return {k: occam[k] for k in keys} | {"nets": {n: occam["nets"][n] for n in nets}, **extra}


def _generalisation(c: dict) -> dict:
    o = c["occam"]
    gen = o["generalisation"]
    return {"occam_targets": [TARGETS], "occam_runs": run_shards(o, gen["nets"], [gen["m"]]),
            "occam_bound": bound_tables(gen["nets"])}


def _complexity_error(c: dict) -> dict:
    o = c["occam"]
    return {"occam_targets": [TARGETS], "occam_random_labels": [RANDOM_LABELS],
            "occam_runs": run_shards(o, o["panels"]["nets"], [o["generalisation"]["m"]])}


def _prior_likelihood(c: dict) -> dict:
    o, panels = c["occam"], c["occam"]["panels"]
    return {"occam_targets": [TARGETS], "occam_runs": run_shards(o, panels["nets"], panels["m"]),
            "occam_spectrum": spectrum_tables(panels["targets"]),
            "occam_prior_k": prior_k_tables(o, panels["nets"])}


FIGURES = [
    Figure("occam1_generalisation", """# Generalisation error against target complexity (arXiv 2304.06670 Fig. 1c; 1805.08522)

Mean generalisation error on E of nets trained to zero training error on targets of graded
Lempel-Ziv complexity (m = 64, each run on its own random S): 10-layer tanh nets from the ordered
(sigma_w = 1) to the chaotic (sigma_w = 8) regime and a 7-40-40-1 ReLU net, against the authors'
committed Fig. 1c means and the unbiased learner. Right: the PAC-Bayes bound from the NNGP's
log P(S) of the runs' own training sets (EP; crosses: the exact tilting estimate).""",
           inputs=_generalisation,
           config=lambda c: used(c["occam"], [*TRAINING, "generalisation", "bound"],
                                 c["occam"]["generalisation"]["nets"]),
           checks=checks.generalisation, plot=plots.generalisation),
    Figure("occam2_complexity_error", """# Ordered vs chaotic priors: output complexity and error of trained nets (2304.06670 Fig. 1d-f)

Each trained net's function on the whole cube: its C_LZ against its generalisation error, for
sigma_w = 1 (ordered) and 8 (chaotic), with marginal histograms and the unbiased learner's
functions (the target on S, coin flips on E) as the reference. x marks each cloud's mode.""",
           inputs=_complexity_error,
           config=lambda c: used(c["occam"], [*TRAINING, "generalisation", "panels"], c["occam"]["panels"]["nets"]),
           checks=checks.complexity_error, plot=plots.complexity_error),
    Figure("occam3_prior_likelihood", """# Prior x likelihood against the posterior over complexity (2304.06670 Fig. 2)

P(K|S) ~ P(K) x L_m(K): the sampled prior over C_LZ of the same architecture (prior stage,
`chaos` experiment) times the mean of the 10 largest a^m among functions found around the
target (a = accuracy on the cube), against the output C_LZ of nets trained on random S of size m.""",
           inputs=_prior_likelihood,
           config=lambda c: used(c["occam"], [*TRAINING, "panels", "spectrum"], c["occam"]["panels"]["nets"],
                                 prior=c["prior"]["experiments"]["chaos"]),
           checks=checks.prior_likelihood, plot=plots.prior_likelihood),
    Figure("occam4_pac_bayes_corruption", """# PAC-Bayes bound under label corruption (1805.08522)

One image training set whose labels (and the test labels) are replaced by coin flips with
probability `level`: the measured test error of nets trained to zero training error, and the
PAC-Bayes bound from the NNGP's log P(S) (EP) beside it.""",
           inputs=lambda c: {"occam_corruption_runs": corruption_shards(c["occam"]),
                             "occam_corruption_bound": [CORRUPTION_BOUND]},
           config=lambda c: {"corruption": c["occam"]["corruption"], "bound": c["occam"]["bound"],
                             "images": c["data"]["images"]},
           checks=checks.corruption, plot=plots.corruption),
]
