"""Minimax exponential tilting (Botev 2017) for Gaussian orthant probabilities (l = 0, u = +inf):
an unbiased importance sampler of P(y) with a small relative variance, and, from the same
proposal, samples of sign f_E under the exact (Heaviside) posterior.

An orthant of N(m, K) is one of N(0, K) with shifted limits: Pr[s_i f_i > 0] = Pr[x_i > -s_i m_i]
for x = s * (f - m) ~ N(0, diag(s) K diag(s)), Botev's lower limit l = -s m instead of 0."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize, special

from nnbayes.gp.base import (
    DEFAULT_JITTER,
    LOG_2PI,
    BatchEstimate,
    as_labels,
    as_mean,
    prepare_kernel,
    to_numpy,
)


def _cholperm(Sig: np.ndarray, lo: np.ndarray):
    """Cholesky with Botev's greedy variable reordering for P(X > lo), X ~ N(0, Sig).

    At step j the remaining variable with the smallest conditional probability (given the
    earlier variables at their truncated-normal means) goes next. Returns L (lower, Sig[p,p]
    = L L^T), the permuted bounds and the permutation.
    """
    d = len(lo)
    Sig = Sig.copy()
    lo = lo.copy()
    perm = np.arange(d)
    L = np.zeros((d, d))
    z = np.zeros(d)
    eps = np.finfo(float).eps
    for j in range(d):
        Lr = L[j:, :j]
        s = np.diag(Sig)[j:] - np.einsum("ij,ij->i", Lr, Lr)
        s = np.sqrt(np.maximum(s, eps))
        tl = (lo[j:] - Lr @ z[:j]) / s
        k = j + int(np.argmin(special.log_ndtr(-tl)))
        if k != j:
            Sig[[j, k], :] = Sig[[k, j], :]
            Sig[:, [j, k]] = Sig[:, [k, j]]
            L[[j, k], :] = L[[k, j], :]
            lo[[j, k]] = lo[[k, j]]
            perm[[j, k]] = perm[[k, j]]
        s2 = Sig[j, j] - L[j, :j] @ L[j, :j]
        if s2 < -1e-8 * Sig[j, j]:
            raise np.linalg.LinAlgError("covariance is not positive semi-definite")
        L[j, j] = math.sqrt(max(s2, eps))
        L[j + 1 :, j] = (Sig[j + 1 :, j] - L[j + 1 :, :j] @ L[j, :j]) / L[j, j]
        tl = (lo[j] - L[j, :j] @ z[:j]) / L[j, j]
        z[j] = math.exp(-0.5 * tl**2 - 0.5 * LOG_2PI - special.log_ndtr(-tl))
    return L, lo, perm


def _psi_grad_jac(y: np.ndarray, L: np.ndarray, lo: np.ndarray):
    """Gradient and Jacobian of Botev's psi(x, mu) (L unit-lower with zero diagonal).

    psi = sum_k [log Phibar(lo_k - mu_k - (L x)_k) + mu_k^2/2 - x_k mu_k], x_d = mu_d = 0.
    """
    d = len(lo)
    x = np.zeros(d)
    mu = np.zeros(d)
    x[: d - 1] = y[: d - 1]
    mu[: d - 1] = y[d - 1 :]
    lt = lo - mu - L @ x
    w = special.log_ndtr(-lt)
    P = np.exp(-0.5 * lt**2 - 0.5 * LOG_2PI - w)  # inverse Mills ratio
    grad = np.concatenate([(-mu + L.T @ P)[: d - 1], (mu - x + P)[: d - 1]])
    dP = lt * P - P**2  # = -dP/dlt
    DL = dP[:, None] * L
    mx = (-np.eye(d) + DL)[: d - 1, : d - 1]
    xx = (L.T @ DL)[: d - 1, : d - 1]
    J = np.block([[xx, mx.T], [mx, np.diag(1 + dP[: d - 1])]])
    return grad, J


def _trunc_tail(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw N(0,1) conditioned on > a by inverse CDF of the upper tail, in log space.

    X = -Phi^-1(U Phi(-a)) computed as -ndtri_exp(log U + log_ndtr(-a)): accurate from the
    untruncated regime (a -> -inf) to far tails (a ~ 40 and beyond).
    """
    logu = np.log(rng.random(a.shape))
    x = -special.ndtri_exp(logu + special.log_ndtr(-a))
    return np.maximum(x, a)


@dataclass(frozen=True)
class _Tilting:
    """Botev's proposal for P(s_i f_i > 0 for all i), f ~ N(0, K), in whitened coordinates.

    Lfull: permuted Cholesky factor of diag(s) K diag(s) (rows/columns in `perm` order);
    L = Lfull / diag - I and lo = bounds / diag, Botev's scaled form; mu: the minimax tilt.
    """

    Lfull: np.ndarray
    L: np.ndarray
    lo: np.ndarray
    perm: np.ndarray
    mu: np.ndarray
    converged: bool
    n_iter: int


def _tilting_setup(K: np.ndarray, s: np.ndarray, max_newton: int, mean: np.ndarray | None = None) -> _Tilting:
    """Reorder, factor and solve Botev's minimax problem for the tilt mu (none needed if d = 1);
    with a mean m, for the orthant of N(m, K) (lower limits -s m, see the module doc)."""
    d = len(s)
    Lfull, lo, perm = _cholperm(K * np.outer(s, s), np.zeros(d) if mean is None else -s * mean)
    D = np.diag(Lfull).copy()
    L = Lfull / D[:, None] - np.eye(d)
    lo = lo / D
    mu = np.zeros(d)
    if d == 1:
        return _Tilting(Lfull, L, lo, perm, mu, True, 0)
    sol = optimize.root(
        _psi_grad_jac, np.zeros(2 * (d - 1)), args=(L, lo), jac=True, method="hybr",
        options={"maxfev": max_newton},
    )
    finite = bool(np.all(np.isfinite(sol.x)))
    if finite:
        mu[: d - 1] = sol.x[d - 1 :]
    return _Tilting(Lfull, L, lo, perm, mu, bool(sol.success) and finite, int(sol.nfev))


def _tilting_draw(t: _Tilting, n_samples: int, rng: np.random.Generator):
    """Whitened samples Z [d, n_samples] with Lfull Z > 0, and their log importance weights.

    Coordinates 0..d-2 come from the tilted truncated normals; the last one from its exact
    truncated conditional, whose mass Phibar(tl) is the last weight factor. mean(exp(log_w))
    is an unbiased estimate of the orthant probability.
    """
    d = len(t.lo)
    Z = np.zeros((d, n_samples))
    logw = np.zeros(n_samples)
    for k in range(d - 1):
        tl = t.lo[k] - t.mu[k] - t.L[k, :k] @ Z[:k]
        Z[k] = t.mu[k] + _trunc_tail(tl, rng)
        logw += special.log_ndtr(-tl) + 0.5 * t.mu[k] ** 2 - t.mu[k] * Z[k]
    tl = t.lo[d - 1] - t.L[d - 1, : d - 1] @ Z[: d - 1]
    Z[d - 1] = _trunc_tail(tl, rng)
    logw += special.log_ndtr(-tl)
    return Z, logw


def _tilting_one(
    K: np.ndarray, s: np.ndarray, n_samples: int, rng: np.random.Generator, max_newton: int,
    mean: np.ndarray | None = None,
):
    """log P(s_i f_i > 0 for all i), f ~ N(mean, K), by minimax tilting importance sampling."""
    t = _tilting_setup(K, s, max_newton, mean)
    _, logw = _tilting_draw(t, n_samples, rng)
    m = logw.max()
    w = np.exp(logw - m)
    mean = w.mean()
    rel_se = w.std(ddof=1) / mean / math.sqrt(n_samples)
    return m + math.log(mean), rel_se, t.converged, t.n_iter


def tilting_batch(
    K: np.ndarray,
    Y: np.ndarray,
    *,
    n_samples: int = 10_000,
    rng=None,
    max_newton: int = 2000,
    mean: np.ndarray | None = None,
) -> BatchEstimate:
    """Tilting estimates for each row of Y (independent samples per row).

    rng: a numpy Generator or seed (None = fresh entropy). converged = the minimax root was
    found; the estimate is unbiased regardless, only its variance depends on the tilting.
    mean: a prior mean [n] for all rows (orthants of N(mean, K)); None: zero.
    """
    if n_samples < 2:
        raise ValueError("n_samples must be >= 2")
    mean = as_mean(mean, K.shape[0])
    rng = np.random.default_rng(rng)
    F = len(Y)
    res = [_tilting_one(K, 2.0 * Y[i] - 1.0, n_samples, rng, max_newton, mean) for i in range(F)]
    return BatchEstimate(
        log_p=np.array([r[0] for r in res]),
        stderr=np.array([r[1] for r in res]),
        converged=np.array([r[2] for r in res], dtype=bool),
        n_iter=np.array([r[3] for r in res], dtype=np.int64),
        n_samples=np.full(F, n_samples, dtype=np.int64),
        method="tilting",
    )


# --------------------------------------------------------------------------------------------
# Samples of f_E under the exact (Heaviside) posterior
# --------------------------------------------------------------------------------------------


def posterior_test_samples(
    K,
    y_train,
    train_idx,
    test_idx,
    n_samples: int,
    rng: np.random.Generator | int | None,
    jitter: float = DEFAULT_JITTER,
) -> tuple[np.ndarray, np.ndarray]:
    """Importance-weighted draws of sign f_E under P_B(f_E | S), the exact step-likelihood posterior.

    f_S comes from Botev's tilted proposal for the orthant {sign f_S = labels} (the tilting
    estimator's machinery), then f_E | f_S from the exact Gaussian conditional. Returns
    bits [n_samples, |E|] (f_E > 0) and log_w [n_samples]: self-normalised weights give
    P_B(f_E | S); mean(exp(log_w)) estimates P(S). Unlike sampling an EP approximation of the
    posterior on S (the authors' "GP_EP" route), this is consistent as n_samples grows.
    K is the kernel on all inputs, jittered on S u E as in `log_prob_labels`; rng: a numpy
    Generator or seed.
    """
    rng = np.random.default_rng(rng)
    train_idx = np.asarray(train_idx, dtype=np.int64).ravel()
    test_idx = np.asarray(test_idx, dtype=np.int64).ravel()
    y_train = as_labels(y_train)
    if not len(train_idx) or not len(test_idx) or y_train.shape != train_idx.shape:
        raise ValueError("need non-empty train_idx / test_idx and y_train of train_idx's shape")
    if np.intersect1d(train_idx, test_idx).size:
        raise ValueError("train_idx and test_idx overlap")
    if n_samples < 2:
        raise ValueError("n_samples must be >= 2")
    idx = np.concatenate([train_idx, test_idx])
    K = to_numpy(K)[np.ix_(idx, idx)]
    K = prepare_kernel(K, len(idx), None, jitter)
    m = len(train_idx)
    s = 2.0 * y_train - 1.0
    t = _tilting_setup(K[:m, :m], s, max_newton=2000)
    Z, log_w = _tilting_draw(t, n_samples, rng)
    # K_SS[p, p] = C C^T with C = diag(s_p) Lfull, and C^-1 f_S[p] = Z: so with
    # W = C^-1 K_SE[p], the conditional mean is W^T Z and the covariance K_EE - W^T W.
    sp = s[t.perm]
    W = linalg.solve_triangular(t.Lfull, sp[:, None] * K[:m, m:][t.perm], lower=True)
    mean = Z.T @ W  # [n_samples, |E|]
    evals, evecs = np.linalg.eigh(K[m:, m:] - W.T @ W)
    root = evecs * np.sqrt(np.clip(evals, 0, None))  # PSD square root, robust when singular
    f_E = mean + rng.standard_normal((n_samples, len(test_idx))) @ root.T
    return f_E > 0, log_w
