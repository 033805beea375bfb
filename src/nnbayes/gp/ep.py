"""Expectation Propagation with the step (Heaviside) likelihood, batched over label vectors on
one kernel: the authors' estimator of log P(y) (GPy's `Bernoulli(Heaviside())`), parallel or
sequential site updates with damping.

A prior mean m (the second stage of `two_stage`, an orthant of N(m, K)) is handled in the
centred coordinates g = f - m ~ N(0, K): the likelihood 1[s f > 0] becomes 1[s (g + m) > 0], so
only the tilted moments see m (cavity mean shifted by m, tilted mean shifted back). Sites,
posterior and the log Z formula are the zero-mean ones in g; without a mean no operation changes."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import torch
from scipy.linalg import lapack

from nnbayes.gp.base import LOG_2PI, SCHEDULES, BatchEstimate, as_mean


def _tilted_moments(mu_c, var_c, s):
    """Moments of N(f; mu_c, var_c) * 1[s f > 0] (s = +-1): log Z, mean, variance.

    r = phi(z)/Phi(z) is taken from erfcx for z < 0 (no cancellation in the far tail); the
    variance factor 1 - r (z + r) switches to its asymptotic series 1/z^2 - 6/z^4 for z < -1e4.
    """
    sd_c = torch.sqrt(var_c)
    z = s * mu_c / sd_c
    log_z = torch.special.log_ndtr(z)
    neg = z < 0
    r_neg = math.sqrt(2 / math.pi) / torch.special.erfcx(-torch.where(neg, z, 0) / math.sqrt(2))
    r_pos = torch.exp(-0.5 * z**2 - 0.5 * LOG_2PI - log_z)
    r = torch.where(neg, r_neg, r_pos)
    v = 1 - r * (z + r)
    zz = torch.where(z < -1e4, z, -1e4) ** 2
    v = torch.where(z < -1e4, (1 - 6 / zz) / zz, v).clamp_min(1e-300)
    return log_z, mu_c + s * sd_c * r, var_c * v


def _posterior(K, tau, nu):
    """Stable EP posterior (R&W Alg. 3.5): B = I + S^1/2 K S^1/2 = L L^T, no K^-1 needed.

    Returns log|B| / 2 [F], diag(Sigma) [F,n], mu [F,n] and V = L^-1 S^1/2 K (Sigma = K - V^T V).
    The arithmetic of `engine="reference"`.
    """
    sw = torch.sqrt(tau)
    n = K.shape[-1]
    B = sw[:, :, None] * K * sw[:, None, :] + torch.eye(n, dtype=K.dtype, device=K.device)
    L = torch.linalg.cholesky(B)
    V = torch.linalg.solve_triangular(L, sw[:, :, None] * K, upper=False)
    var = torch.diagonal(K).unsqueeze(0) - (V * V).sum(1)
    mu = nu @ K - ((V @ nu.unsqueeze(-1)).transpose(1, 2) @ V).squeeze(1)
    return _half_logdet(L), var, mu, V


def _posterior_lean(K, tau, nu):
    """`_posterior` with half the [F,n,n] temporaries: K S^1/2 is formed once, B from it in
    place, and the triangular solve reads its transpose S^1/2 K as a column-major view."""
    sw = torch.sqrt(tau)
    KS = K * sw[:, None, :]
    B = KS * sw[:, :, None]
    B.diagonal(dim1=1, dim2=2).add_(1)
    L = torch.linalg.cholesky(B)
    V = torch.linalg.solve_triangular(L, KS.mT, upper=False)
    var = torch.diagonal(K) - (V * V).sum(1)
    mu = nu @ K - (V.mT @ (V @ nu.unsqueeze(-1))).squeeze(-1)
    return _half_logdet(L), var, mu, V


def _half_logdet(L: torch.Tensor) -> torch.Tensor:
    """log|B| / 2 from B's Cholesky factors [F,n,n]."""
    return torch.log(torch.diagonal(L, dim1=1, dim2=2)).sum(1)


def _precision_factor(K: torch.Tensor) -> tuple[np.ndarray, float] | None:
    """(K^-1, log|K| / 2) for `_posterior_precision`, or None where K^-1 would cost digits: K
    not positive definite, or LAPACK's 1-norm condition estimate (O(n^2) from the Cholesky
    factor; at most ~n x the 2-norm one) above `MAX_PRECISION_COND`; or K on a GPU."""
    if K.device.type != "cpu":
        return None
    Kn = K.numpy()
    c, info = lapack.dpotrf(Kn, lower=1, clean=1)
    if info:
        return None
    rcond, _ = lapack.dpocon(c, np.abs(Kn).sum(0).max(), uplo="L")
    if rcond * MAX_PRECISION_COND < 1:
        return None
    L = torch.from_numpy(c)
    return torch.cholesky_inverse(L).numpy(), float(torch.log(torch.diagonal(L)).sum())


def _posterior_precision(P: tuple[np.ndarray, float], tau: torch.Tensor, nu: torch.Tensor):
    """The EP posterior from its precision A = K^-1 + diag(tau) = L L^T, by LAPACK in place:
    Sigma = L^-T L^-1, so diag(Sigma) is a column norm of L^-1 and mu = L^-T (L^-1 nu).

    2 n^3 / 3 flops per label vector (Cholesky + triangular inverse) against `_posterior`'s
    4 n^3 / 3 (Cholesky + a triangular solve with n right-hand sides), and no [F,n,n] torch
    temporaries. Each A[k] is C-contiguous and symmetric, so its transpose is a Fortran-order
    view of the same matrix: LAPACK's lower factor lands in the C upper triangle (as L^T, then
    L^-T) and `clean` zeros the C lower one. log|B| / 2 = log|A| / 2 + log|K| / 2.
    Returns (log|B| / 2 [F], diag Sigma [F,n], mu [F,n], None)."""
    K_inv, half_logdet_k = P
    F, n = tau.shape
    A = np.empty((F, n, n))
    A[:] = K_inv
    A.reshape(F, n * n)[:, :: n + 1] += tau.numpy()
    half_logdet = np.empty(F)
    for k in range(F):  # LAPACK has no batched Cholesky: one call per label vector (16 a chunk)
        c, info = lapack.dpotrf(A[k].T, lower=1, overwrite_a=1, clean=1)
        if info:
            raise np.linalg.LinAlgError(f"EP precision not positive definite (LAPACK dpotrf info {info})")
        half_logdet[k] = np.log(np.diagonal(c)).sum()
        lapack.dtrtri(c, lower=1, overwrite_c=1)  # info > 0 only for a zero diagonal: excluded above
    # A now holds M = L^-T (upper triangular in C order); numpy's matmul loops BLAS gemv per
    # matrix, ~8x torch's batched matvec at this size
    var = np.einsum("fij,fij->fi", A, A)
    mu = (A @ (nu.numpy()[:, None, :] @ A).transpose(0, 2, 1))[..., 0]
    return torch.from_numpy(half_logdet + half_logdet_k), torch.from_numpy(var), torch.from_numpy(mu), None


def _shift(x, m):
    """x + m, or x itself (the same tensor, so the zero-mean path is bit-identical) if m is None."""
    return x if m is None else x + m


def _log_z_ep(S, tau, nu, post, m=None):
    """Full EP log marginal likelihood (R&W eq. 3.65 in GPML's stable split, zero mean in g).

    All terms are included: tilted normalisers, the cavity/site Gaussian normalisers and the
    Gaussian integral (the omission of two of these was GPy bug #296). post: the posterior
    (tau, nu) -> (log|B| / 2, ...) of the chunk's engine. m: the prior mean [1, n] or None;
    only the tilted normalisers depend on it (see the module doc).
    """
    logdet_half, var, mu, _ = post(tau, nu)
    var = var.clamp_min(1e-300)
    tau_c = (1 / var - tau).clamp_min(1e-300)
    nu_c = mu / var - nu
    log_zhat, _, _ = _tilted_moments(_shift(nu_c / tau_c, m), 1 / tau_c, S)
    return (
        log_zhat.sum(1)
        - logdet_half
        + 0.5 * (nu * mu).sum(1)
        + 0.5 * (nu_c * (tau / tau_c * nu_c - 2 * nu) / (tau + tau_c)).sum(1)
        - 0.5 * (nu**2 / (tau_c + tau)).sum(1)
        + 0.5 * torch.log1p(tau / tau_c).sum(1)
    )


def _site_targets(mu, var, tau, nu, S, m=None):
    """Cavity from the posterior marginals, tilted moments, and the undamped site update
    (all in the centred coordinates when a prior mean m is given)."""
    var = var.clamp_min(1e-300)
    tau_c = (1 / var - tau).clamp_min(1e-300)
    nu_c = mu / var - nu
    _, m_hat, v_hat = _tilted_moments(_shift(nu_c / tau_c, m), 1 / tau_c, S)
    tau_new = (1 / v_hat - tau_c).clamp_min(0)
    nu_new = _shift(m_hat, None if m is None else -m) / v_hat - nu_c
    return tau_new, nu_new


def _bind_lean(K: torch.Tensor) -> Callable:
    return partial(_posterior_lean, K)


def _bind_precision(K: torch.Tensor) -> Callable:
    """`_posterior_precision` on K where K^-1 is safe (`_precision_factor`), else `_posterior_lean`."""
    P = _precision_factor(K)
    return _bind_lean(K) if P is None else partial(_posterior_precision, P)


REFERENCE_CHUNK = 256
# A = K^-1 + diag(tau) needs K^-1: above this condition number (the 1e-8 jitter caps NNGP
# kernels near 1e10) its rounding could reach log Z's 1e-10, so "fast" falls back to "lean".
MAX_PRECISION_COND = 1e9
# engine -> (K -> posterior (tau, nu), label vectors per chunk on the CPU, warm-up sweeps)
ENGINES = {"fast": (_bind_precision, 16, 3), "lean": (_bind_lean, 16, 3),
           "reference": (lambda K: partial(_posterior, K), REFERENCE_CHUNK, 1)}


def ep_batch(
    K: np.ndarray,
    Y: np.ndarray,
    *,
    mean: np.ndarray | None = None,
    sites: list | None = None,
    init: tuple[np.ndarray, np.ndarray] | None = None,
    damping: float = 0.5,
    min_damping: float = 0.01,
    tol: float = 1e-7,
    max_iter: int = 1000,
    schedule: str = "parallel",
    chunk: int | None = None,
    seed: int = 0,
    device: str | torch.device | None = None,
    engine: str = "fast",
) -> BatchEstimate:
    """EP for every row of Y on K, in chunks of `chunk` label vectors.

    Sites t_i(f_i) ~ exp(-tau_i f_i^2/2 + nu_i f_i), initialised at 0. "parallel": all sites
    updated from one posterior, which is then recomputed by a batched Cholesky; "sequential":
    sites visited in a random order (fixed by `seed`, the same for every row) with rank-one
    posterior updates, then a full recompute per sweep. Damping (in natural parameters) starts
    at `damping` and is halved, per label vector, whenever the fixed-point residual grows
    (down to `min_damping`), and relaxed x1.2 (up to 1) while it shrinks. Converged when the
    largest undamped site change, made dimensionless by the posterior marginal variance
    Sigma_ii (tau Sigma_ii, nu sqrt(Sigma_ii)), is below `tol`; after `max_iter` sweeps the
    current sites are used and converged=False.

    engine "lean": `_posterior_lean`, CPU chunks of 16 label vectors (2 MiB temporaries the
    allocator reuses), 3 warm-up sweeps in which a growing residual does not halve the damping.
    "fast": lean, but parallel updates on a CPU go through K^-1 + diag(tau) where K allows
    (`_posterior_precision`). "reference": the original arithmetic, chunks of 256, 1 warm-up
    sweep. All reach the same fixed point (log Z to ~1e-11 relative). (A looser tol is no shortcut: at 1e-5 the constant
    labelling stops 3e-6 relative away in log Z.) `chunk` overrides the chunk size.

    mean: a prior mean [n] for all rows (orthants of N(mean, K)); None: zero. sites: a list to
    append each chunk's sites (tau, nu) [rows, n] to, centred (g = f - mean). init: sites
    (tau, nu), [n] or [F, n], to start from instead of 0 (the same fixed point in fewer sweeps).
    """
    _check_options(engine, schedule, damping, min_damping)
    dev = torch.device(device) if device is not None else torch.device("cpu")
    Kt = torch.as_tensor(K, dtype=torch.float64, device=dev)
    post, default_chunk, warmup = _engine(engine, schedule, Kt)
    chunk = chunk or (default_chunk if dev.type == "cpu" else REFERENCE_CHUNK)
    F, n = Y.shape
    M = _mean_row(mean, n, dev)
    out_logz, out_conv, out_iter = np.empty(F), np.zeros(F, dtype=bool), np.zeros(F, dtype=np.int64)
    perms = _sweep_orders(schedule, n, max_iter, seed)
    with np.errstate(all="ignore"):
        for a in range(0, F, chunk):
            b = min(F, a + chunk)
            S = torch.as_tensor(2.0 * Y[a:b] - 1.0, dtype=torch.float64, device=dev)
            logz, conv, nit, tau, nu = _ep_chunk(Kt, S, damping, min_damping, tol, max_iter, schedule, perms,
                                                 post, warmup, M, _rows(init, F, n, a, b, dev))
            out_logz[a:b], out_conv[a:b], out_iter[a:b] = logz, conv, nit
            if sites is not None:
                sites.append((tau.cpu().numpy(), nu.cpu().numpy()))
    return BatchEstimate(log_p=out_logz, stderr=np.full(F, np.nan), converged=out_conv, n_iter=out_iter,
                         n_samples=np.zeros(F, dtype=np.int64), method="ep")


def _engine(engine: str, schedule: str, K: torch.Tensor) -> tuple[Callable, int, int]:
    """(posterior (tau, nu) on K, CPU chunk, warm-up sweeps) of `engine`. Sequential sweeps
    need B's factor V (Sigma = K - V^T V), so "fast" is "lean" there."""
    bind, chunk, warmup = ENGINES["lean" if schedule == "sequential" and engine == "fast" else engine]
    return bind(K), chunk, warmup


def _rows(init, F: int, n: int, a: int, b: int, dev: torch.device) -> tuple | None:
    """Rows a:b of the starting sites `init` ([n] or [F, n] each), as tensors (None stays None)."""
    if init is None:
        return None
    return tuple(torch.tensor(np.broadcast_to(x, (F, n))[a:b], dtype=torch.float64, device=dev) for x in init)


def _mean_row(mean, n: int, dev: torch.device) -> torch.Tensor | None:
    """The prior mean as a [1, n] tensor that broadcasts over a chunk's rows (None stays None)."""
    mean = as_mean(mean, n)
    return None if mean is None else torch.as_tensor(mean, device=dev).reshape(1, n)


def _sweep_orders(schedule: str, n: int, max_iter: int, seed: int) -> list | None:
    """The random site order of every sequential sweep (None for parallel updates)."""
    if schedule != "sequential":
        return None
    gen = torch.Generator().manual_seed(seed)
    return [torch.randperm(n, generator=gen) for _ in range(max_iter)]


def _check_options(engine: str, schedule: str, damping: float, min_damping: float) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; allowed: {list(ENGINES)}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; allowed: {list(SCHEDULES)}")
    if not 0 < damping <= 1 or not 0 < min_damping <= damping:
        raise ValueError("need 0 < min_damping <= damping <= 1")


def _ep_chunk(K, S, damping, min_damping, tol, max_iter, schedule, perms, post, warmup, m=None, start=None):
    """EP on one chunk: S [F, n] signs (+-1), m the prior mean [1, n] or None, start the sites
    (tau, nu) [F, n] to begin from (None: 0). Returns log Z, converged, sweeps, sites tau, nu."""
    F, n = S.shape
    if start is None:
        tau = torch.zeros(F, n, dtype=K.dtype, device=K.device)
        nu = torch.zeros_like(tau)
    else:
        tau, nu = (x.clone() for x in start)
    delta = torch.full((F,), float(damping), dtype=K.dtype, device=K.device)
    prev = torch.full((F,), math.inf, dtype=K.dtype, device=K.device)
    conv = torch.zeros(F, dtype=torch.bool, device=K.device)
    nit = torch.zeros(F, dtype=torch.int64, device=K.device)
    active = torch.arange(F, device=K.device)
    for it in range(max_iter):
        if len(active) == 0:
            break
        t, v, s, d = tau[active], nu[active], S[active], delta[active]
        if schedule == "parallel":
            _, var, mu, _ = post(t, v)
            t_new, v_new = _site_targets(mu, var, t, v, s, m)
            resid = _residual(t_new - t, v_new - v, var)
            t = t + d[:, None] * (t_new - t)
            v = v + d[:, None] * (v_new - v)
        else:
            t, v, resid = _sequential_sweep(K, t, v, s, d, perms[it], post, m)
        tau[active], nu[active] = t, v
        nit[active] = it + 1
        p = prev[active]
        grew = (resid > p) & (it >= warmup)
        d = torch.where(grew, (d * 0.5).clamp_min(min_damping), (d * 1.2).clamp_max(1.0))
        delta[active], prev[active] = d, resid
        done = resid < tol
        conv[active[done]] = True
        active = active[~done]
    logz = torch.empty(F, dtype=K.dtype, device=K.device)
    for a in range(0, F, 64):
        logz[a : a + 64] = _log_z_ep(S[a : a + 64], tau[a : a + 64], nu[a : a + 64], post, m)
    return logz.cpu().numpy(), conv.cpu().numpy(), nit.cpu().numpy(), tau, nu


def _residual(dtau, dnu, var):
    """Largest undamped site change in posterior units: dtau * Sigma_ii, dnu * sqrt(Sigma_ii)."""
    var = var.clamp_min(0)
    return torch.maximum((dtau.abs() * var).amax(-1), (dnu.abs() * var.sqrt()).amax(-1))


def _sequential_sweep(K, tau, nu, S, delta, perm, post, m=None):
    """One sequential EP sweep with rank-one updates of Sigma [F,n,n]; returns new sites and
    the largest undamped site change of the sweep (dimensionless, as in `ep_batch`)."""
    _, _, _, V = post(tau, nu)
    Sigma = K.unsqueeze(0) - V.transpose(1, 2) @ V
    mu = (Sigma @ nu.unsqueeze(-1)).squeeze(-1)
    resid = torch.zeros(tau.shape[0], dtype=K.dtype, device=K.device)
    tau, nu = tau.clone(), nu.clone()
    for i in perm.tolist():
        var_i = Sigma[:, i, i]
        t_new, v_new = _site_targets(mu[:, i : i + 1], var_i[:, None], tau[:, i : i + 1],
                                     nu[:, i : i + 1], S[:, i : i + 1], None if m is None else m[:, i : i + 1])
        dt_full = t_new[:, 0] - tau[:, i]
        dv_full = v_new[:, 0] - nu[:, i]
        resid = torch.maximum(resid, _residual(dt_full, dv_full, var_i))
        dt, dv = delta * dt_full, delta * dv_full
        # keep tau >= 0 after damping (targets are >= 0, so the damped value is too)
        tau[:, i] += dt
        nu[:, i] += dv
        si = Sigma[:, :, i].clone()
        coef = dt / (1 + dt * var_i)
        Sigma = Sigma - coef[:, None, None] * si[:, :, None] * si[:, None, :]
        mu = (Sigma @ nu.unsqueeze(-1)).squeeze(-1)
    return tau, nu, resid
