"""gpytorch's variational classifier: a lower bound on the probit log P(labels), and tight."""

import numpy as np

from nnbayes.gp.prob import log_prob_labels
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.gp.variational import variational_log_prob

NET = {"depth": 2, "sigma_w": 1.0, "sigma_b": 1.0, "activation": "relu"}


def test_one_point_probit_probability_is_one_half():
    # f ~ N(0, k): P(Phi(f) labels y) = E Phi(f) = 1/2 exactly, for either label
    for y in (0, 1):
        elbo = variational_log_prob(np.ones((1, 7)), np.array([y]), NET, iters=100)
        assert np.log(0.5) - 0.02 <= elbo <= np.log(0.5) + 1e-6


def test_elbo_is_a_lower_bound_within_a_few_percent_of_exact():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, (16, 7)).astype(float)
    y = rng.integers(0, 2, 16)
    for s in (1.0, 3.0):
        exact = log_prob_labels(nngp_kernel(X, depth=2, sigma_w=1.0, sigma_b=1.0).numpy(), y, "tilting",
                                probit_scale=s, n_samples=40_000, rng=1)
        elbo = variational_log_prob(X, y, NET, probit_scale=s)
        assert elbo <= exact.log_p + 4 * exact.stderr  # a bound, up to the estimator's noise
        assert exact.log_p - elbo < 0.05 * abs(exact.log_p)  # and a close one
