"""Mean-field (MF) theory of the two-layer posterior that `sgld` samples, and its N -> inf
limit, kernel ridge regression (KRR) with the NNGP kernel (note sections 2.3-2.8).

Each neuron sees the others only through the mean training prediction fbar. Integrating out
its read-out weight a leaves the single-neuron measure over w,

    q(w) ~ exp(-V(w)),  V = sum_j prec_j w_j^2 / 2 + log(A)/2 - B^2 / (2A),
    A(w) = 1/sigma_a + N^-2gamma sum_mu phi_mu(w)^2 / kappa,
    B(w) = N^-gamma sum_mu phi_mu(w) r_mu / kappa,   r = y - fbar,

with prec_j = d / sigma_w (isotropic prior) or the learned ARD precisions rho_j. For fixed q
the self-consistency is linear in fbar: KRR with the data-adapted kernel
K_q = N^(1-2gamma) E_q[phi phi' / A], i.e. fbar_X = K_q (K_q + kappa I)^-1 y and r = kappa alpha
with alpha = (K_q + kappa I)^-1 y. Solving it by that linear solve instead of iterating fbar
avoids the naive iteration's Jacobian ~ -sigma_a lambda_max(K) / kappa (hundreds), which
diverges unless damped below 2 / (1 + sigma_a lambda_max / kappa).

The solver is the particle algorithm: M particles follow Langevin dynamics in V; every
`resolve_every` steps K_q is re-estimated from them (an EMA during burn-in, a running mean over
the snapshots after) and alpha re-solved. Test predictions use the same form with the final
kernels, fbar(x) = Kbar(x, X) (Kbar(X, X) + kappa I)^-1 y, both averaged over the same stored
snapshots: 3-6x closer to the exact answer than averaging N^(1-gamma) E_q[(B/A) phi(w.x)] with
the intermediate, noisier alphas (measured against KRR at N = 10^6).
"""

import math

import numpy as np
import torch
from tqdm import tqdm

from nnbayes.gp.nngp import nngp_kernel
from nnbayes.meanfield.sgld import Prior, WeightStats

KERNEL_EMA = 0.2  # burn-in kernel estimate: mean over the last ~5 snapshots (lags, but less noisy)


def krr_kernel(X, X2, prior: Prior, width: float) -> torch.Tensor:
    """N^(1-2gamma) sigma_a E_w[phi(w.x) phi(w.x')], w ~ N(0, sigma_w I / d) (float64).

    `nngp.nngp_kernel` at depth 1, sigma_b = 0, sigma_w = 1 is E[phi phi'] with w ~ N(0, I / d)
    and no read-out factor; relu is 1-homogeneous, so the prior variance sigma_w and the
    read-out variance sigma_a enter as plain factors.
    """
    k = nngp_kernel(X, X2, depth=1, sigma_w=1.0, sigma_b=0.0, activation="relu")
    return k * (prior.sigma_a * prior.sigma_w * width ** (1 - 2 * prior.gamma))


def krr_predict(X, y, X_test, *, kappa: float, prior: Prior, width: float, device="cpu") -> np.ndarray:
    """The N -> inf posterior mean: GP regression with the NNGP kernel and noise variance kappa
    (float64 on `device`: at the paper's P ~ 3e4 the kernel and its solve belong on the GPU)."""
    X, y, X_test = (torch.as_tensor(np.asarray(v), dtype=torch.float64, device=device) for v in (X, y, X_test))
    K = krr_kernel(X, None, prior, width)
    K.diagonal().add_(kappa)
    alpha = torch.linalg.solve(K, y)
    return (krr_kernel(X_test, X, prior, width) @ alpha).cpu().numpy()


def _features(w, X, width, kappa, prior):
    """phi [M, P], relu' [M, P] (as 0/1 floats) and A [M] of every particle on the training inputs."""
    phi = (w @ X.T).relu_()
    A = 1 / prior.sigma_a + width ** (-2 * prior.gamma) * (phi * phi).sum(1) / kappa
    return phi, phi.sign(), A


def _alpha(K: torch.Tensor, y: torch.Tensor, kappa: float) -> torch.Tensor:
    """(K + kappa I)^-1 y without a second P x P identity in memory."""
    reg = K.clone()
    reg.diagonal().add_(kappa)
    return torch.linalg.solve(reg, y)


def _grad_v(w, X, phi, active, A, B, r_over_kappa, prec, width, kappa, prior):
    """grad V = prec w + (1/(2A) + B^2/(2A^2)) grad A - (B/A) grad B, as one product with X
    (computed as X^T @ coef^T: a skinny [d, P] @ [P, M] is ~4x faster than coef @ X)."""
    gA = (0.5 / A + 0.5 * B * B / (A * A)) * (2 * width ** (-2 * prior.gamma) / kappa)
    coef = gA[:, None] * phi - (B / A)[:, None] * (width**-prior.gamma * r_over_kappa)
    coef.mul_(active)
    return (X.T @ coef.T).T.add_(prec * w)


def init_particles(particles: int, d: int, relevant, prior: Prior, init: str, *, gen, device, dtype):
    """`prior`: the isotropic (paramagnetic) start; `aligned`: every particle already a
    specialised neuron, w_S = random signs (|w_j| = 1 on S), prior noise elsewhere. Solving
    from both starts exposes coexisting branches (a first-order transition, note 2.6)."""
    w = torch.randn(particles, d, generator=gen, device=device, dtype=dtype) * math.sqrt(prior.sigma_w / d)
    if init == "aligned":
        rel = torch.as_tensor(relevant, device=device)
        signs = torch.randint(0, 2, (particles, len(rel)), generator=gen, device=device).to(dtype) * 2 - 1
        w[:, rel] = signs
    elif init != "prior":
        raise ValueError(f"init {init!r} is not one of ['prior', 'aligned']")
    return w


def solve_mf(X, y, X_test, y_test, relevant, *, width: float, kappa: float, prior: Prior,
             particles: int, steps: int, burn_in: int, lr: float, resolve_every: int,
             ard: dict | None, gen: torch.Generator, init: str = "prior",
             progress: bool = False) -> dict:
    """Plain MF (`ard=None`) or MF-ARD (`ard={"alpha0", "beta0", "ema"}`: per-input precisions
    rho_j ~ Gamma(alpha0, beta0) shared by the N neurons, updated every step by
    rho <- (1 - ema) rho + ema (alpha0 + N/2) / (beta0 + (N/2) E_q[w_j^2])).

    Returns the same observables as `sgld.run_sgld` (pred and the `WeightStats` results) plus
    `inv_rho` [d] (ARD prior variances, mean after burn-in; sigma_w / d without ARD).
    """
    device, dtype = X.device, X.dtype
    d = X.shape[1]
    yd = y.double()
    w = init_particles(particles, d, relevant, prior, init, gen=gen, device=device, dtype=dtype)
    prec = torch.full((d,), d / prior.sigma_w, dtype=dtype, device=device)
    stats = WeightStats(d, relevant, prior, device)
    K_run, snaps = None, []
    inv_rho = torch.zeros(d, dtype=torch.float64, device=device)
    amp = math.sqrt(2 * lr)
    for t in tqdm(range(steps), disable=not progress, mininterval=5, desc=f"MF kappa={kappa:g}"):
        phi, active, A = _features(w, X, width, kappa, prior)
        if t % resolve_every == 0:
            # r depends on q only through K_q: estimate it, then r = kappa alpha (section 2.3)
            K = (width ** (1 - 2 * prior.gamma) / particles) * ((phi / A[:, None]).T @ phi).double()
            if t < burn_in or K_run is None:
                K_run = K if K_run is None else (1 - KERNEL_EMA) * K_run + KERNEL_EMA * K
            else:
                snaps.append(w)
                K_run = K_run + (K - K_run) / len(snaps)
                inv_rho += 1 / prec.double()
                stats.add(w)
            r_over_kappa = _alpha(K_run, yd, kappa).to(dtype)  # (y - fbar_X) / kappa
        B = width**-prior.gamma * (phi @ r_over_kappa)
        grad = _grad_v(w, X, phi, active, A, B, r_over_kappa, prec, width, kappa, prior)
        w = w - lr * grad + amp * torch.randn(w.shape, generator=gen, device=device, dtype=dtype)
        if ard is not None:
            target = (ard["alpha0"] + width / 2) / (ard["beta0"] + (width / 2) * (w * w).mean(0))
            prec = (1 - ard["ema"]) * prec + ard["ema"] * target
    if not snaps:
        raise ValueError(f"no snapshots after burn-in: steps={steps}, burn_in={burn_in}")
    alpha = _alpha(K_run, yd, kappa)  # K_run is now the mean over exactly these snapshots
    pred = torch.zeros(len(y_test), dtype=torch.float64, device=device)
    for ws in snaps:  # Kbar(x*, X) alpha, one snapshot at a time (no [n_test, P] kernel kept)
        phi, _, A = _features(ws, X, width, kappa, prior)
        pred += ((phi.double() @ alpha) / A.double()) @ (ws @ X_test.T).relu_().double()
    pred *= width ** (1 - 2 * prior.gamma) / (particles * len(snaps))
    out = stats.result()
    return {**out, "pred": pred.cpu().numpy(), "inv_rho": (inv_rho / stats.n).cpu().numpy(), "draws": stats.n}
