"""SGLD for two-layer ReLU nets f(x) = N^-gamma sum_i a_i relu(w_i.x), all chains at once.

Convention (note section 2.2; the paper's own constants are unknown): the energy is

    U(a, W) = 1/2 sum_mu (f(x_mu) - y_mu)^2 + (kappa/2) (|a|^2 / sigma_a + d |W|^2 / sigma_w),

a SUM over samples, and the chain  theta <- theta - lr grad U + sqrt(2 lr kappa) xi  has the
Bayesian posterior exp(-U / kappa) as its stationary law (up to O(lr)): likelihood
N(y; f, kappa), priors a_i ~ N(0, sigma_a), w_i ~ N(0, sigma_w I / d) (variances).
Chains are 3-D tensors a [C, N], W [C, N, d]; gradients are written out (no autograd, two
batched matmuls per step) because this is the hot path. Observables are accumulated on the
fly at every `thin`-th step after `burn_in`, so memory does not grow with the run.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

HIST_EDGES = np.linspace(-10.0, 10.0, 101)  # weight histograms, in units of the prior std


@dataclass(frozen=True)
class Prior:
    """Variances of the priors and the output scaling exponent (gamma = 1/2: NTK/NNGP)."""

    sigma_a: float = 1.0
    sigma_w: float = 1.0
    gamma: float = 0.5


def init_chains(chains: int, width: int, d: int, prior: Prior, *, gen, device, dtype):
    """Draw every chain from the prior, where directions the data do not touch start at
    equilibrium (their relaxation time ~ 1 / (lr kappa) is the slowest of the chain)."""
    a = torch.randn(chains, width, generator=gen, device=device, dtype=dtype) * math.sqrt(prior.sigma_a)
    W = torch.randn(chains, width, d, generator=gen, device=device, dtype=dtype)
    return a, W * math.sqrt(prior.sigma_w / d)


def forward(a: torch.Tensor, W: torch.Tensor, X: torch.Tensor, gamma: float) -> torch.Tensor:
    """f for every chain on shared inputs: a [C, N], W [C, N, d], X [P, d] -> [C, P]."""
    phi = torch.matmul(W, X.T).relu_()  # [C, N, P]
    return torch.bmm(a.unsqueeze(1), phi).squeeze(1) * a.shape[1] ** -gamma


def gradients(a, W, X, y, kappa: float, prior: Prior):
    """grad U with respect to (a, W), and the training residuals f - y [C, P].

    Layouts are chosen for speed on small tensors: activations [C, N, P], and the first-layer
    gradient as X^T @ coef^T (a skinny [d, P] @ [P, C N] product is ~4x faster than
    coef @ X with its 10-wide output)."""
    C, N, d = W.shape
    scale = N**-prior.gamma
    phi = torch.matmul(W, X.T).relu_()  # [C, N, P]
    r = torch.bmm(a.unsqueeze(1), phi).squeeze(1) * scale - y  # [C, P]
    ga = (phi * r.unsqueeze(1)).sum(2).mul_(scale).add_(a, alpha=kappa / prior.sigma_a)
    coef = phi.sign_().mul_(r.unsqueeze(1)).mul_((scale * a).unsqueeze(2))  # relu' r a / N^gamma
    gW = (X.T @ coef.view(C * N, -1).T).T.view(C, N, d)
    gW = gW.add(W, alpha=kappa * d / prior.sigma_w)
    return ga, gW, r


def step(a, W, X, y, noise_a, noise_W, *, lr: float, kappa: float, prior: Prior,
         train_w: bool = True) -> torch.Tensor:
    """One Euler-Maruyama step in place with the given standard-normal noise; returns f - y.

    `train_w=False` freezes the first layer: the posterior of `a` is then Gaussian (the
    closed-form check of the sampler)."""
    ga, gW, r = gradients(a, W, X, y, kappa, prior)
    amp = math.sqrt(2 * lr * kappa)
    a.add_(ga, alpha=-lr).add_(noise_a, alpha=amp)
    if train_w:
        W.add_(gW, alpha=-lr).add_(noise_W, alpha=amp)
    return r


def hist_counts(values: torch.Tensor) -> torch.Tensor:
    """Counts of `values` (in prior-std units) in the HIST_EDGES bins; outliers join the end bins."""
    lo, hi, bins = HIST_EDGES[0], HIST_EDGES[-1], len(HIST_EDGES) - 1
    idx = ((values.flatten() - lo) * (bins / (hi - lo))).floor().clamp(0, bins - 1).long()
    return torch.bincount(idx, minlength=bins).double()


class WeightStats:
    """First-layer statistics shared by SGLD draws and MF particles (note section 2.9):
    <w_j^2> per input, the share of specialised neurons (|w_S|^2 > |w|^2 / 2) and histograms
    of the first relevant and the last input weight, in units of the prior std."""

    def __init__(self, d: int, relevant, prior: Prior, device) -> None:
        self.rel = torch.zeros(d, dtype=torch.bool, device=device)
        self.rel[torch.as_tensor(relevant, device=device)] = True
        self.cols = (int(relevant[0]), d - 1)
        self.std = math.sqrt(prior.sigma_w / d)
        self.w2 = torch.zeros(d, dtype=torch.float64, device=device)
        self.hist = torch.zeros(2, len(HIST_EDGES) - 1, dtype=torch.float64, device=device)
        self.spec, self.n = 0.0, 0

    def add(self, W: torch.Tensor) -> None:
        """One draw of neurons, W [..., d] (all chains or all particles)."""
        W = W.reshape(-1, W.shape[-1])
        sq = W.double() ** 2
        self.w2 += sq.mean(0)
        self.spec += float((sq[:, self.rel].sum(1) > 0.5 * sq.sum(1)).double().mean())
        for row, j in enumerate(self.cols):
            self.hist[row] += hist_counts(W[:, j] / self.std)
        self.n += 1

    def result(self) -> dict:
        if self.n == 0:
            raise ValueError("no draws were kept: check steps, burn_in and thin")
        return {"w2": (self.w2 / self.n).cpu().numpy(), "spec_frac": self.spec / self.n,
                "hist_rel": self.hist[0].cpu().numpy(), "hist_irr": self.hist[1].cpu().numpy()}


def split_rhat(trace: np.ndarray) -> float:
    """Split-R-hat (Gelman et al. 2013) of a [chains, draws] trace: ~1 when the chains agree."""
    half = trace.shape[1] // 2
    if half < 2:
        return float("nan")
    parts = np.concatenate([trace[:, :half], trace[:, half:2 * half]])
    within = parts.var(axis=1, ddof=1).mean()
    between = half * parts.mean(axis=1).var(ddof=1)
    var = (half - 1) / half * within + between / half
    return float(np.sqrt(var / within)) if within > 0 else float("nan")


def run_sgld(X, y, X_test, y_test, relevant, *, width: int, chains: int, kappa: float, lr: float,
             steps: int, burn_in: int, thin: int, prior: Prior, gen: torch.Generator,
             train_w: bool = True, progress: bool = False) -> dict:
    """Sample the posterior; return the posterior-mean test predictor and weight statistics.

    Returns numpy arrays/floats: `pred` [n_test] (mean over chains and kept draws), `gibbs_mse`
    (mean test MSE of single draws), the `WeightStats` results, and `rhat_m` (split-R-hat of
    the per-chain order parameter m = <f y> / <y^2> across chains).
    """
    device, dtype = X.device, X.dtype
    a, W = init_chains(chains, width, X.shape[1], prior, gen=gen, device=device, dtype=dtype)
    stats = WeightStats(X.shape[1], relevant, prior, device)
    pred_sum = torch.zeros(chains, len(y_test), dtype=torch.float64, device=device)
    mse, m_trace = [], []
    ysq = float((y_test**2).mean())
    for t in tqdm(range(steps), disable=not progress, mininterval=5, desc=f"SGLD kappa={kappa:g}"):
        noise_a = torch.randn(a.shape, generator=gen, device=device, dtype=dtype)
        noise_W = torch.randn(W.shape, generator=gen, device=device, dtype=dtype)
        step(a, W, X, y, noise_a, noise_W, lr=lr, kappa=kappa, prior=prior, train_w=train_w)
        if t < burn_in or (t - burn_in) % thin:
            continue
        f = forward(a, W, X_test, prior.gamma).double()  # [C, n_test]
        pred_sum += f
        mse.append(((f - y_test) ** 2).mean(1))
        m_trace.append((f * y_test).mean(1) / ysq)
        stats.add(W)
    out = stats.result()
    m_trace = torch.stack(m_trace, 1).cpu().numpy()
    return {
        **out,
        "pred": (pred_sum.sum(0) / (stats.n * chains)).cpu().numpy(),
        "gibbs_mse": float(torch.stack(mse).mean()),
        "rhat_m": split_rhat(m_trace),
        "draws": stats.n,
    }
