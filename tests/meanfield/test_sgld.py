"""SGLD for two-layer ReLU nets: gradients, batching, and the stationary law on known posteriors."""

import math

import numpy as np
import pytest
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.meanfield.sgld import Prior, forward, gradients, init_chains, run_sgld, split_rhat, step

F64 = torch.float64


pytestmark = pytest.mark.usefixtures("one_thread")

Z = float(-scipy.stats.norm.ppf(TEST_FAILURE_RATE / 2 / 12))  # two-sided, <= 12 z-scores per test


def _energy(a, W, X, y, kappa, prior):
    """U = 1/2 sum (f - y)^2 + kappa/2 (|a|^2/sigma_a + d |W|^2/sigma_w), summed over chains."""
    d = W.shape[2]
    f = forward(a, W, X, prior.gamma)
    return (0.5 * ((f - y) ** 2).sum() + 0.5 * kappa * ((a**2).sum() / prior.sigma_a
                                                        + d * (W**2).sum() / prior.sigma_w))


def _data(P=7, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(P, d, generator=g, dtype=F64), torch.randn(P, generator=g, dtype=F64)


def test_gradients_match_autograd():
    prior = Prior(sigma_a=0.7, sigma_w=1.3, gamma=0.5)
    X, y = _data()
    a, W = init_chains(3, 4, X.shape[1], prior, gen=torch.Generator().manual_seed(1), device="cpu", dtype=F64)
    a.requires_grad_(True)
    W.requires_grad_(True)
    _energy(a, W, X, y, 0.3, prior).backward()
    ga, gW, r = gradients(a.detach(), W.detach(), X, y, 0.3, prior)
    torch.testing.assert_close(ga, a.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gW, W.grad, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(r, forward(a.detach(), W.detach(), X, 0.5) - y)


def test_batched_chains_equal_a_loop_over_chains():
    prior = Prior()
    X, y = _data()
    gen = torch.Generator().manual_seed(2)
    a, W = init_chains(5, 6, X.shape[1], prior, gen=gen, device="cpu", dtype=F64)
    noise = [(torch.randn(a.shape, generator=gen, dtype=F64), torch.randn(W.shape, generator=gen, dtype=F64))
             for _ in range(20)]
    a_loop, W_loop = a.clone(), W.clone()
    for na, nW in noise:
        step(a, W, X, y, na, nW, lr=0.01, kappa=0.1, prior=prior)
    for c in range(5):
        ac, Wc = a_loop[c:c + 1].clone(), W_loop[c:c + 1].clone()
        for na, nW in noise:
            step(ac, Wc, X, y, na[c:c + 1], nW[c:c + 1], lr=0.01, kappa=0.1, prior=prior)
        torch.testing.assert_close(ac, a[c:c + 1], rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(Wc, W[c:c + 1], rtol=1e-12, atol=1e-12)


def test_readout_posterior_is_the_closed_form_gaussian():
    # W frozen: U(a) = 1/2 a^T H a - b^T a + const, H = Phi^T Phi / N + kappa / sigma_a.
    # The Euler-Maruyama chain is stationary at mean H^-1 b and, per eigenvalue h of H,
    # variance kappa / (h (1 - lr h / 2)) (-> the posterior kappa H^-1 as lr -> 0).
    prior, kappa, lr, chains, N = Prior(sigma_a=1.0, sigma_w=1.0), 0.2, 0.02, 4000, 3
    X, y = _data(P=6, d=4, seed=3)
    gen = torch.Generator().manual_seed(4)
    a, W = init_chains(chains, N, 4, prior, gen=gen, device="cpu", dtype=F64)
    W[:] = W[0]  # one first layer shared by every chain
    phi = torch.relu(X @ W[0].T) / math.sqrt(N)  # [P, N]
    H = phi.T @ phi + kappa / prior.sigma_a * torch.eye(N, dtype=F64)
    mean = torch.linalg.solve(H, phi.T @ y)
    h, V = torch.linalg.eigh(H)
    cov = V @ torch.diag(kappa / (h * (1 - lr * h / 2))) @ V.T
    assert float(lr * h.max()) < 0.5 and float(lr * h.min()) * 2000 > 6  # stable, and mixed by the end
    for _ in range(2000):
        step(a, W, X, y, torch.randn(a.shape, generator=gen, dtype=F64), torch.zeros_like(W), lr=lr, kappa=kappa,
             prior=prior, train_w=False)
    se_mean = torch.sqrt(torch.diag(cov) / chains)
    assert torch.all(torch.abs(a.mean(0) - mean) < Z * se_mean)
    emp = torch.cov(a.T)
    se_cov = torch.sqrt((torch.outer(torch.diag(cov), torch.diag(cov)) + cov**2) / chains)
    assert torch.all(torch.abs(emp - cov) < Z * se_cov)
    # and that law is the Bayesian posterior N(H^-1 b, kappa H^-1) up to the O(lr) step bias
    assert torch.allclose(cov, kappa * torch.linalg.inv(H), rtol=0.05)


def test_nonlinear_posterior_matches_quadrature():
    # N = 1, d = 1: f(x) = a relu(w x); the posterior over (a, w) is 2-D, so E[f(x*)] and E[w^2]
    # follow from quadrature on a grid. Chains start at the prior; chain means are independent.
    prior, kappa, lr, chains = Prior(sigma_a=1.0, sigma_w=1.0, gamma=0.5), 0.5, 0.0025, 2000
    X = torch.tensor([[1.0], [-0.5], [2.0]], dtype=F64)
    y = torch.tensor([1.0, 0.3, 1.5], dtype=F64)
    X_test = torch.tensor([[1.5], [-1.0]], dtype=F64)
    a_g, w_g = torch.meshgrid(torch.linspace(-7, 7, 1401, dtype=F64), torch.linspace(-7, 7, 1401, dtype=F64),
                              indexing="ij")
    f = a_g[..., None] * torch.relu(w_g[..., None] * X[:, 0])
    U = 0.5 * ((f - y) ** 2).sum(-1) + 0.5 * kappa * (a_g**2 + w_g**2)
    p = torch.exp(-(U - U.min()) / kappa)
    p /= p.sum()
    exact_f = [(p * a_g * torch.relu(w_g * x)).sum() for x in X_test[:, 0]]
    exact_w2 = (p * w_g**2).sum()
    gen = torch.Generator().manual_seed(5)
    a, W = init_chains(chains, 1, 1, prior, gen=gen, device="cpu", dtype=F64)
    f_sum = torch.zeros(chains, 2, dtype=F64)
    w2_sum = torch.zeros(chains, dtype=F64)
    burn, steps, thin = 3000, 9000, 20
    for t in range(steps):
        step(a, W, X, y, torch.randn(a.shape, generator=gen, dtype=F64), torch.randn(W.shape, generator=gen, dtype=F64),
             lr=lr, kappa=kappa, prior=prior)
        if t >= burn and (t - burn) % thin == 0:
            f_sum += forward(a, W, X_test, 0.5)
            w2_sum += W[:, 0, 0] ** 2
    draws = (steps - burn) // thin
    for est, exact in ((f_sum[:, 0] / draws, exact_f[0]), (f_sum[:, 1] / draws, exact_f[1]),
                       (w2_sum / draws, exact_w2)):
        se = est.std() / math.sqrt(chains)
        assert abs(float(est.mean() - exact)) < Z * float(se) + 0.01 * abs(float(exact)), (float(est.mean()), float(exact))


def test_run_sgld_is_deterministic_and_keeps_the_draws_it_says():
    X, y = _data(P=12, d=6, seed=6)
    Xt, yt = _data(P=20, d=6, seed=7)
    kw = dict(width=8, chains=3, kappa=0.1, lr=0.005, steps=60, burn_in=30, thin=10, prior=Prior())
    r1 = run_sgld(X, y, Xt, yt, [0, 1], gen=torch.Generator().manual_seed(8), **kw)
    r2 = run_sgld(X, y, Xt, yt, [0, 1], gen=torch.Generator().manual_seed(8), **kw)
    assert r1["draws"] == 3
    for key in ("pred", "w2", "hist_rel", "hist_irr"):
        np.testing.assert_array_equal(r1[key], r2[key])
    assert r1["gibbs_mse"] == r2["gibbs_mse"]
    assert r1["hist_rel"].sum() == 3 * 3 * 8  # every neuron of every chain in every draw
    r3 = run_sgld(X, y, Xt, yt, [0, 1], gen=torch.Generator().manual_seed(9), **kw)
    assert not np.array_equal(r1["pred"], r3["pred"])
    with pytest.raises(ValueError, match="no draws"):
        run_sgld(X, y, Xt, yt, [0, 1], gen=torch.Generator().manual_seed(8), **{**kw, "burn_in": 60})


def test_split_rhat_flags_disagreeing_chains():
    rng = np.random.default_rng(0)
    iid = rng.standard_normal((8, 400))
    assert split_rhat(iid) < 1.05
    shifted = iid + np.arange(8)[:, None]
    assert split_rhat(shifted) > 2
