"""The P_SGD-vs-P_B figures (arXiv 2006.15191; T7-T9, T13, T14), declared once: see core.figure."""

from nnbayes.core.figure import Figure
from nnbayes.core.specs import expand_grids
from nnbayes.sgd_bayes import checks, plots
from nnbayes.sgd_bayes.paths import (KERNEL_TABLE, abi_tables, errors_table, posterior_table, prior_ep_tables,
                                     samples_table, train_tables, variant_table)


def used(config: dict, *tasks: str) -> dict:
    """What a P_opt-vs-P_B figure depends on: its tasks, their variants, the GP options."""
    sgd = config["sgd_bayes"]
    return {"tasks": {t: sgd["tasks"][t] for t in tasks},
            "variants": {v: sgd["variants"][v] for t in tasks for v in sgd["tasks"][t]["variants"]},
            "posterior": sgd["posterior"]}


def scored(*tasks: str, abi: bool = False) -> dict:
    """Declaration parts of a figure reading its tasks' training runs (+ ABI) and their P_B."""
    def inputs(c):
        tasks_ = tasks or tuple(c["sgd_bayes"]["tasks"])
        return {"train": [p for t in tasks_ for p in train_tables(c, t)],
                **({"abi": [p for t in tasks_ for p in abi_tables(c, t)]} if abi else {}),
                "posterior": [posterior_table(t) for t in tasks_],
                "gp_errors": [errors_table(t) for t in tasks_],
                "pb_samples": [samples_table(t) for t in tasks_]}
    return {"inputs": inputs, "config": lambda c: used(c, *(tasks or tuple(c["sgd_bayes"]["tasks"])))}


def _variants(c: dict, task: str, overtrained: bool | None = None) -> list[str]:
    """A task's variants; overtrained True/False keeps only those with/without epochs_after_fit."""
    sgd = c["sgd_bayes"]
    return [v for v in sgd["tasks"][task]["variants"]
            if overtrained is None or bool(sgd["variants"][v].get("epochs_after_fit")) == overtrained]


def chosen(select) -> dict:
    """Declaration parts of a figure reading chosen variants of chosen tasks: `select(config)` gives
    {task: [variants]}; the figure depends on those tasks, variants and the GP options."""
    def inputs(c):
        pick = select(c)
        return {"train": [variant_table(t, v) for t, vs in pick.items() for v in vs],
                "posterior": [posterior_table(t) for t in pick],
                "gp_errors": [errors_table(t) for t in pick],
                "pb_samples": [samples_table(t) for t in pick]}
    return {"inputs": inputs, "config": lambda c: {**used(c, *select(c)), "images": c["sgd_bayes"]["images"]}}


def _one_task(key: str, overtrained: bool | None = None):
    """Select the variants (see `_variants`) of the task `sgd_bayes.images.<key>` names."""
    def select(c: dict) -> dict:
        task = c["sgd_bayes"]["images"][key]
        return {task: _variants(c, task, overtrained)}
    return select


def _prior_ep_inputs(c: dict) -> dict:
    experiment = c["gp_checks"]["prior_ep"]["experiment"]
    sets = expand_grids(c["prior"]["experiments"][experiment], c["prior"]["defaults"])
    return {"prior_ep": prior_ep_tables(c, sets)}


FIGURES = [
    Figure("fig6_sgd_vs_bayes", """# P_SGD(f|S) against P_B(f|S) on the Boolean task (arXiv 2006.15191, T8 + T13)

How often nets trained from random init to zero training error land on each function on E
(P_SGD), against the Bayesian posterior P_B(f|S) of the same architecture (NNGP + EP; black
diamonds: the exact tilting estimate), one panel per optimiser setting. Grey segments join the
functions of one orbit under permutations of the inputs: any prior with i.i.d. weights gives
them one P_B, so their spread in P_SGD is what no such prior can follow. The checks say how
far apart the two are.""", **scored("boolean"), checks=checks.sgd_vs_bayes, plot=plots.sgd_vs_bayes),
    Figure("fig7_sgd_vs_bayes_digits", """# P_SGD(f|S) against P_B(f|S) on binarised digits (arXiv 2006.15191, T9)

The same comparison on a real image set: scikit-learn 8x8 digits (label < 5), a
64-64-64-1 ReLU net, m training images and a small test set E.""",
           **scored("digits"), checks=checks.sgd_vs_bayes, plot=plots.sgd_vs_bayes),
    Figure("fig8_generalisation", """# Generalisation: trained nets against the Bayesian posterior (arXiv 2006.15191)

The distribution of test errors on E over the functions optimisers find, against the
distribution under the exact NNGP posterior (importance-weighted samples of P_B(f|S)).""",
           **scored(abi=True), checks=checks.generalisation, plot=plots.generalisation),
    Figure("fig9_posterior_complexity", """# P_B(f|S) and P_SGD(f|S) against C_LZ (arXiv 2006.15191)

Probability of each found function against the Lempel-Ziv complexity of the whole function
(the target on S, the found function on E), for the GP posterior and each optimiser.""",
           **scored("boolean"), checks=checks.posterior_complexity, plot=plots.posterior_complexity),
    Figure("fig10_prior_ep", """# The GP prior against the sampled network prior (arXiv 1805.08522, T7)

P(f) of the most frequent functions of the 7-40-40-1 prior, sampled at width 40, against
the NNGP (infinite width) probability by EP and by the exact tilting estimator.""",
           inputs=_prior_ep_inputs,
           config=lambda c: [c["prior"]["experiments"][c["gp_checks"]["prior_ep"]["experiment"]],
                             c["gp_checks"]["prior_ep"]],
           checks=checks.prior_ep, plot=plots.prior_ep),
    Figure("fig11_kernel", """# The NNGP kernel against wide random nets (T14)

Every entry of the analytic kernel against the Monte-Carlo covariance of the read-out of
wide random nets; standardised errors should look like N(0, 1) up to an O(1/width) bias.""",
           inputs=lambda c: {"kernel": [KERNEL_TABLE]}, config=lambda c: c["gp_checks"]["kernel"],
           checks=checks.kernel, plot=plots.kernel),
    Figure("fig12_abi", """# Bayes without a Gaussian process: ABI against the NNGP and SGD (T8, finite width)

The authors' "ABI": sample the 7-40-40-1 ReLU prior, keep the nets whose function fits S and
count their functions on E. That is P_B(f|S) of the finite-width network itself, no GP.
Left: the NNGP's P_B (EP dots, exact diamonds) against it; middle: P_SGD against it; right:
the test-error distributions of the three. Target 1 of the authors' runs (mask A) is used
because it has the largest P(S) of their seven targets (4e-4), so rejection is affordable.""",
           **scored("boolean_abi", abi=True), checks=checks.abi_vs_gp, plot=plots.abi),
    Figure("fig13_images_sgd_vs_bayes", """# P_SGD(f|S) against P_B(f|S) per image data set and architecture (arXiv 2006.15191)

The paper's image panels: binarised MNIST and Fashion-MNIST with the FCN and the CNN (NNGP and
CNN-GP kernels) at paper scale; scikit-learn's 8x8 digits stand in at default (offline). One row
per task (`sgd_bayes.images.compare`), its first optimiser variant; the title says which route
computed P_B (EP on S u E, or two-stage: EP on S, then each sign pattern on E).""",
           **chosen(lambda c: {t: _variants(c, t)[:1] for t in c["sgd_bayes"]["images"]["compare"]}),
           checks=checks.images, plot=plots.images),
    Figure("fig14_optimisers", """# Optimisers against the Bayesian posterior (arXiv 2006.15191)

SGD, Adam, Adagrad, Adadelta and RMSprop (and batch sizes) on one image task
(`sgd_bayes.images.sweep`): how far each one's P_opt(f|S) is from P_B(f|S) in decades where
its mass is, and its mean test error against the GP's predicted one.""",
           **chosen(_one_task("sweep", overtrained=False)),
           checks=checks.optimiser_sweep, plot=plots.optimiser_sweep),
    Figure("fig15_overtraining", """# Overtraining: P_opt(f|S) against P_B(f|S) before and after (arXiv 2006.15191)

The same optimiser stopped at the first epoch with 100 % training accuracy (left) and trained
`epochs_after_fit` (the paper: 64) more epochs (right), on `sgd_bayes.images.overtraining`.""",
           **chosen(_one_task("overtraining")),
           checks=checks.overtraining, plot=plots.overtraining),
]

