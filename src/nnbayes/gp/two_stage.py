"""P_B(f|S) for a large training set by two stages: one EP on S, then a small orthant per function.

The full route (`prob.log_posterior_batch`) runs EP on S u E for every function f, at
O((|S| + |E|)^3) per sweep and function: out of reach at |S| = 10^4 for thousands of functions.
Here EP runs once, on S alone (the Heaviside likelihood of the labels), and its Gaussian sites
give the approximate predictive q(f_E | S) = N(m_E, C_E). The posterior of a sign pattern s on E
is then the orthant probability Pr_{g ~ q}[s_i g_i > 0 for all i] of an |E|-dim Gaussian with a
non-zero mean, by EP (`ep_batch(mean=...)`) or tilting (`tilting_batch(mean=...)`). These are
different approximations of the same ratio P(S u E) / P(S) (the note's boolean_papers.md
section 1.6): q replaces the exact non-Gaussian posterior on f_E by a Gaussian, so the second
stage, even when exact (tilting), is exact for q, not for P_B. Because q is a distribution, the
second-stage probabilities of all 2^|E| patterns sum to one, which the full-EP ratio does not.
"""

from __future__ import annotations

import numpy as np
import torch

from nnbayes.core.errors import UserError
from nnbayes.gp.base import (
    DEFAULT_JITTER,
    BatchEstimate,
    Estimate,
    check_method,
    prepare_kernel,
    to_numpy,
)
from nnbayes.gp.ep import ep_batch
from nnbayes.gp.tilting import tilting_batch

EP_OPTIONS = ("damping", "min_damping", "tol", "max_iter", "schedule", "chunk", "seed", "device", "engine")


def _labels01(y, name: str, shape: tuple) -> np.ndarray:
    """Labels in {0, 1} or signs in {-1, +1} (an all-ones vector means +1 in both) -> int8 {0, 1}.
    shape: the expected one, with a name (str) for a free dimension."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != len(shape) or any(isinstance(e, int) and e != g for e, g in zip(shape, y.shape)):
        raise UserError(f"{name} must have shape {list(shape)}, got {list(y.shape)}".replace("'", ""))
    if np.all((y == 0) | (y == 1)):
        return y.astype(np.int8)
    if np.all((y == -1) | (y == 1)):
        return ((y + 1) // 2).astype(np.int8)
    raise UserError(f"{name} must hold labels in {{0, 1}} or signs in {{-1, +1}}")


def _check_sizes(K: np.ndarray, n_train) -> int:
    """n_train as an int with 1 <= n_train < len(K): S and E both non-empty."""
    if K.ndim != 2 or K.shape[0] != K.shape[1]:
        raise UserError(f"K must be square [|S| + |E|, |S| + |E|], got shape {list(K.shape)}")
    if isinstance(n_train, bool) or not isinstance(n_train, (int, np.integer)):
        raise UserError(f"n_train must be an integer, got {n_train!r}")
    if not 1 <= n_train < K.shape[0]:
        raise UserError(f"n_train must be in [1, {K.shape[0] - 1}] (K has {K.shape[0]} rows, S first), got {n_train}")
    return int(n_train)


def _predictive(K: np.ndarray, n: int, tau: np.ndarray, nu: np.ndarray, device) -> tuple[np.ndarray, np.ndarray]:
    """q(f_E | S) = N(m_E, C_E) from the sites on S, in the B = I + S^1/2 K S^1/2 form (R&W Alg.
    3.6), which needs neither K^-1 nor 1/tau (tau = 0 at sites EP left flat):
    m_E = K_ES (nu - S^1/2 B^-1 S^1/2 K_SS nu), C_E = K_EE - V^T V with V = L^-1 S^1/2 K_SE."""
    Kt = torch.as_tensor(K, dtype=torch.float64, device=device)
    K_SS, K_SE, K_EE = Kt[:n, :n], Kt[:n, n:], Kt[n:, n:]
    sw = torch.sqrt(torch.as_tensor(tau, dtype=torch.float64, device=device))
    nu_t = torch.as_tensor(nu, dtype=torch.float64, device=device)
    B = sw[:, None] * K_SS * sw[None, :]
    B.diagonal().add_(1)
    L = torch.linalg.cholesky(B)
    z = sw * torch.cholesky_solve((sw * (K_SS @ nu_t))[:, None], L).squeeze(-1)
    mean_E = K_SE.T @ (nu_t - z)
    V = torch.linalg.solve_triangular(L, sw[:, None] * K_SE, upper=False)
    cov_E = K_EE - V.T @ V
    return mean_E.cpu().numpy(), (0.5 * (cov_E + cov_E.T)).cpu().numpy()


def _first_stage(K: np.ndarray, y: np.ndarray, n: int, ep_options: dict) -> tuple[np.ndarray, np.ndarray, Estimate]:
    """EP on S (K already prepared), then the predictive on E; the Estimate is log P(S) by EP."""
    sites: list = []
    est = ep_batch(K[:n, :n], y[None, :], sites=sites, **ep_options)
    mean_E, cov_E = _predictive(K, n, sites[0][0][0], sites[0][1][0], ep_options.get("device"))
    return mean_E, cov_E, est[0]


def condition_on_train(
    K, y_train, n_train: int, *, jitter: float = DEFAULT_JITTER, **ep_options
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """The first stage: EP on S, giving q(f_E | S) = N(mean_E, cov_E).

    K: [|S| + |E|, |S| + |E|] kernel, the n_train rows of S first, then E; it is symmetrised
    and jittered on its whole diagonal as `log_prob_labels` does. y_train: [n_train] labels in
    {0, 1} or signs. ep_options: `ep_batch`'s. Returns mean_E [|E|], cov_E [|E|, |E|], EP's
    log P(S) and whether EP converged.
    """
    K = to_numpy(K)
    n = _check_sizes(K, n_train)
    y = _labels01(y_train, "y_train", (n,))
    mean_E, cov_E, est = _first_stage(prepare_kernel(K, len(K), None, jitter), y, n, ep_options)
    return mean_E, cov_E, est.log_p, est.converged


def two_stage_log_posterior_batch(
    K,
    n_train: int,
    y_train,
    signs_test,
    *,
    method: str = "ep",
    jitter: float = DEFAULT_JITTER,
    first_stage: dict | None = None,
    **kw,
) -> BatchEstimate:
    """log P_B(f|S) for each row of signs_test [F, |E|] by the two-stage route (module doc).

    The counterpart of `log_posterior_batch` (same estimate type, method names and options), for
    a kernel ordered S then E. method: "ep" or "tilting" for the second stage (kw: `ep_batch`'s
    or `tilting_batch`'s options); the first stage is always EP, with `first_stage`'s options,
    by default the EP options among kw (so one set of EP settings drives both stages, as in the
    full route). stderr: the tilting one (nan for EP); converged: both stages; n_iter: the sum.
    method is reported as "two_stage_ep" / "two_stage_tilting": a different estimator of P_B.
    """
    check_method(method)
    K = to_numpy(K)
    n = _check_sizes(K, n_train)
    y = _labels01(y_train, "y_train", (n,))
    Y = _labels01(signs_test, "signs_test", ("F", len(K) - n))
    if first_stage is None:
        first_stage = {k: v for k, v in kw.items() if k in EP_OPTIONS}
    mean_E, cov_E, first = _first_stage(prepare_kernel(K, len(K), None, jitter), y, n, first_stage)
    if method == "ep":
        est = ep_batch(cov_E, Y, mean=mean_E, **kw)
    else:
        est = tilting_batch(cov_E, Y, mean=mean_E, **kw)
    return BatchEstimate(
        log_p=est.log_p,
        stderr=est.stderr,
        converged=est.converged & first.converged,
        n_iter=est.n_iter + first.n_iter,
        n_samples=est.n_samples,
        method=f"two_stage_{method}",
    )
