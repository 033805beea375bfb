"""A second estimate of log P(labels) under the NNGP: gpytorch's variational GP classifier.

gpytorch's Bernoulli likelihood is the probit Phi(f), so this estimates the probit version of
P(y) = E_{f ~ N(0, K)} prod_i Phi(s (2 y_i - 1) f_i) (s = probit scale, via a fixed output scale
s^2 on the kernel), never the Heaviside one. Its evidence lower bound (ELBO) is a *lower bound*
on log P(y): the gap is KL(q || posterior), which the Gaussian family cannot close. With the
inducing points at the data the bound is as tight as a Gaussian q allows, so it brackets EP
(no bound, usually close) and the exact estimator from below.
"""

import gpytorch
import numpy as np
import torch

from nnbayes.gp.nngp import NNGPKernel


class _Classifier(gpytorch.models.ApproximateGP):
    """f ~ GP(0, s^2 K_NNGP) with a full-rank Gaussian q(f) at the data points."""

    def __init__(self, X: torch.Tensor, net: dict, probit_scale: float):
        q = gpytorch.variational.CholeskyVariationalDistribution(len(X))
        strategy = gpytorch.variational.VariationalStrategy(self, X, q, learn_inducing_locations=False)
        super().__init__(strategy)
        self.mean_module = gpytorch.means.ZeroMean()
        kernel = NNGPKernel(net["depth"], net["sigma_w"], net["sigma_b"], net["activation"])
        self.covar_module = gpytorch.kernels.ScaleKernel(kernel)
        self.covar_module.outputscale = probit_scale**2
        self.covar_module.raw_outputscale.requires_grad_(False)

    def forward(self, x):
        return gpytorch.distributions.MultivariateNormal(self.mean_module(x), self.covar_module(x))


def variational_log_prob(X: np.ndarray, y: np.ndarray, net: dict, *, probit_scale: float = 1.0,
                         iters: int = 100, lr: float = 0.1, seed: int = 0) -> float:
    """The best ELBO found (a lower bound on log P(y), probit likelihood), in float64.

    X [n, d] inputs, y [n] labels in {0, 1}; net: depth, sigma_w, sigma_b, activation.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        X_t = torch.as_tensor(X, dtype=torch.float64)
        y_t = torch.as_tensor(y, dtype=torch.float64)
        model = _Classifier(X_t, net, probit_scale).double()
        likelihood = gpytorch.likelihoods.BernoulliLikelihood().double()
        elbo = gpytorch.mlls.VariationalELBO(likelihood, model, num_data=len(y))
        opt = torch.optim.Adam(model.variational_parameters(), lr=lr)
        best = -np.inf
        model.train()
        likelihood.train()
        for _ in range(iters):
            opt.zero_grad()
            loss = -elbo(model(X_t), y_t) * len(y)
            loss.backward()
            opt.step()
            best = max(best, -loss.item())
    return best
