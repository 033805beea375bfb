"""NNGP kernel: the infinite-width limit of the fully connected nets that `networks` draws.

Same parameterisation as `networks.init_params` (W ~ N(0, sigma_w^2 / fan_in), every bias
~ N(0, sigma_b^2), the read-out included), so the kernel is the covariance of the read-out
pre-activation `networks.forward` returns when width -> infinity (Lee et al., arXiv 1711.00165;
the recursion of the authors' `nngp_kernel/fc_kernel.py`):

    K^0(x, x')     = sigma_b^2 + sigma_w^2 x.x' / d
    K^{l+1}(x, x') = sigma_b^2 + sigma_w^2 E[phi(u) phi(v)],
                     (u, v) ~ N(0, [[K^l(x,x), K^l(x,x')], [K^l(x,x'), K^l(x',x')]]),

applied once per hidden layer, so depth 0 is the perceptron's linear kernel. The Gaussian
expectation is closed form for relu (arc-cosine kernel) and erf; tanh has none and uses a
2-D quadrature. erf is kernel-only: `networks` draws relu and tanh nets only.
Everything is float64; there is no Python loop over pairs (only over row tiles and chunks).
"""

import math
from collections.abc import Callable

import gpytorch
import numpy as np
import torch

ACTIVATIONS = ("relu", "tanh", "erf")
F64 = torch.float64
TILE_ENTRIES = 4_000_000  # kernel entries per row tile: bounds memory for large N * M
QUAD_HALF_WIDTH = 8.5  # grid covers |z| <= 8.5 standard deviations: Gaussian tail ~ 2e-17
QUAD_STEP_MAX = 0.5  # trapezoid on a Gaussian alone has error ~ exp(-2 pi^2 / h^2) < 1e-30
# tanh has poles at +-i pi/2, so tanh(s z) is analytic in |Im z| < pi / (2 s); the trapezoid
# error on such a strip is ~ exp(-pi^2 / (s h)) (Trefethen & Weideman 2014). Steps of
# 0.35 / s give ~ 1e-12 (checked against mpmath for scales s up to 9, i.e. sigma_w up to 8).
QUAD_STEP_SCALED = 0.35
QUAD_CHUNK_ELEMENTS = 1 << 22  # pairs x nodes^2 per quadrature chunk (32 MiB in float64)


def _check_activation(activation: str) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")


def _as_f64(X) -> torch.Tensor:
    X = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X)
    if X.dim() != 2:
        raise ValueError(f"inputs must be 2-D [N, d], got shape {tuple(X.shape)}")
    return X.to(F64)


def quadrature_grid(scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes z and weights w (summing to 1) with sum_i w_i f(z_i) ~ E[f(z)], z ~ N(0, 1).

    A truncated trapezoid rule rather than Gauss-Hermite: for an integrand as sharp as
    tanh(8 z) (sigma_w = 8), 64 Gauss-Hermite nodes give only ~1e-3, because their spacing near
    0 is ~ pi / sqrt(n) and they waste nodes in the tails; the trapezoid converges
    geometrically in 1 / step for integrands analytic in a strip. `scale` is the largest
    standard deviation the activation sees; the step shrinks as 1 / scale.
    """
    step = min(QUAD_STEP_MAX, QUAD_STEP_SCALED / max(scale, 1e-300))
    n_half = math.ceil(QUAD_HALF_WIDTH / step)
    z = torch.arange(-n_half, n_half + 1, dtype=F64) * step
    w = torch.exp(-0.5 * z * z)
    return z, w / w.sum()


def gaussian_expectation(
    fn: Callable[[torch.Tensor], torch.Tensor],
    k11: torch.Tensor,
    k12: torch.Tensor,
    k22: torch.Tensor,
    scale: float | None = None,
) -> torch.Tensor:
    """E[fn(u) fn(v)], (u, v) ~ N(0, [[k11, k12], [k12, k22]]), elementwise over 1-D arrays.

    2-D trapezoid quadrature over u = sqrt(k11) z1, v = rho sqrt(k22) z1 + sqrt(1 - rho^2)
    sqrt(k22) z2, vectorised over pairs and chunked so memory stays bounded. Accurate to
    ~1e-12 for tanh when `scale` >= sqrt(max(k11, k22)) (default: that maximum); fn should be
    analytic in |Im| < pi/2 like tanh (erf, entire, also converges; relu's kink does not).
    """
    k11, k12, k22 = (torch.as_tensor(k, dtype=F64).reshape(-1) for k in (k11, k12, k22))
    s1, s2 = k11.clamp_min(0).sqrt(), k22.clamp_min(0).sqrt()
    denom = s1 * s2
    rho = torch.where(denom > 0, k12 / denom.clamp_min(1e-300), torch.zeros_like(k12)).clamp(-1, 1)
    a, b = rho * s2, (1 - rho * rho).clamp_min(0).sqrt() * s2
    if scale is None:
        scale = float(torch.maximum(s1, s2).max()) if len(s1) else 1.0
    z, w = quadrature_grid(scale)
    out = torch.empty_like(k12)
    chunk = max(1, QUAD_CHUNK_ELEMENTS // len(z) ** 2)
    for i in range(0, len(k12), chunk):
        sl = slice(i, i + chunk)
        fu = fn(s1[sl, None] * z)  # [P, n]
        fv = fn(a[sl, None, None] * z[:, None] + b[sl, None, None] * z)  # [P, n(z1), n(z2)]
        out[sl] = ((fu * w) * (fv @ w)).sum(1)
    return out


def _tanh_expectation(k11, k12, k22, scale: float) -> torch.Tensor:
    """Quadrature on the distinct (k11, k12, k22) triples only: on the Boolean cube the kernel
    depends on (|x|^2, |x'|^2, x.x') alone, so a 128 x 128 kernel has ~100 distinct triples.

    Each triple is ordered k11 <= k22 first (the expectation is symmetric in u, v; the
    quadrature is not, to ~1e-11), so K(x, x') and K(x', x) are the same number.
    """
    k11, k12, k22 = torch.broadcast_tensors(k11, k12, k22)
    k11, k22 = torch.minimum(k11, k22), torch.maximum(k11, k22)
    triples = torch.stack([k11.reshape(-1), k12.reshape(-1), k22.reshape(-1)], 1)
    uniq, inverse = torch.unique(triples, dim=0, return_inverse=True)
    e = gaussian_expectation(torch.tanh, uniq[:, 0], uniq[:, 1], uniq[:, 2], scale=scale)
    return e[inverse].reshape(k12.shape)


def _expectation(activation: str, k11, k12, k22, scale: float) -> torch.Tensor:
    """E[phi(u) phi(v)] elementwise (k11, k22 broadcast against k12)."""
    if activation == "relu":
        # Arc-cosine kernel of degree 1 (Cho & Saul 2009): (1/2pi) s (sin t + (pi - t) cos t).
        s = (k11 * k22).clamp_min(0).sqrt()
        cos = torch.where(s > 0, k12 / s.clamp_min(1e-300), torch.ones_like(k12)).clamp(-1, 1)
        theta = torch.arccos(cos)
        return s / (2 * math.pi) * (torch.sin(theta) + (math.pi - theta) * cos)
    if activation == "erf":
        # Williams (1998): E[erf(u) erf(v)] = (2/pi) arcsin(2 k12 / sqrt((1+2k11)(1+2k22))).
        arg = 2 * k12 / ((1 + 2 * k11) * (1 + 2 * k22)).sqrt()
        return 2 / math.pi * torch.arcsin(arg.clamp(-1, 1))
    if activation == "tanh":
        return _tanh_expectation(k11, k12, k22, scale)
    raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")


def _diag_expectation(activation: str, k: torch.Tensor, scale: float) -> torch.Tensor:
    """E[phi(u)^2], u ~ N(0, k): the diagonal recursion (relu: k/2)."""
    if activation == "relu":
        return k / 2
    if activation == "erf":
        return 2 / math.pi * torch.arcsin((2 * k / (1 + 2 * k)).clamp(-1, 1))
    z, w = quadrature_grid(scale)
    return (torch.tanh(k.clamp_min(0).sqrt()[:, None] * z) ** 2) @ w


def _diag_layers(X: torch.Tensor, depth: int, sigma_w: float, sigma_b: float, activation: str):
    """[K^0(x,x), ..., K^depth(x,x)] for every row x of X."""
    sw2, sb2 = sigma_w**2, sigma_b**2
    k = sb2 + sw2 * (X * X).sum(1) / X.shape[1]
    layers = [k]
    for _ in range(depth):
        k = sb2 + sw2 * _diag_expectation(activation, k, _scale(k))
        layers.append(k)
    return layers


def _scale(*diags: torch.Tensor) -> float:
    """Largest standard deviation among the diagonals: sets the quadrature step."""
    m = max((float(t.max()) for t in diags if t.numel()), default=1.0)
    return math.sqrt(max(m, 0.0))


def _recurse(k0, d1, d2, scales, depth, sigma_w, sigma_b, activation) -> torch.Tensor:
    """K^depth from K^0 (any shape) and per-layer diagonals d1, d2 broadcastable to it.

    `scales` come from the full diagonals, so a tile's values do not depend on the tiling.
    """
    sw2, sb2 = sigma_w**2, sigma_b**2
    k = k0
    for layer in range(depth):
        k = sb2 + sw2 * _expectation(activation, d1[layer], k, d2[layer], scales[layer])
    return k


def _prepare(X, X2, depth, activation):
    _check_activation(activation)
    if not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth must be an int >= 0, got {depth!r}")
    X = _as_f64(X)
    X2 = None if X2 is None else _as_f64(X2).to(X.device)
    if X2 is not None and X.shape[1] != X2.shape[1]:
        raise ValueError(f"input dimensions differ: {X.shape[1]} vs {X2.shape[1]}")
    return X, X2


def nngp_kernel(
    X,
    X2=None,
    *,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    activation: str = "relu",
) -> torch.Tensor:
    """K^depth(X, X2) [N, M] in float64: the read-out covariance of infinitely wide nets.

    X [N, d], X2 [M, d] (None: X, whose diagonal is then set from the diagonal recursion).
    Computed on row tiles of <= TILE_ENTRIES entries so memory stays bounded for large N * M.
    """
    X, X2 = _prepare(X, X2, depth, activation)
    same = X2 is None
    X2 = X if same else X2
    diag1 = _diag_layers(X, depth, sigma_w, sigma_b, activation)
    diag2 = diag1 if same else _diag_layers(X2, depth, sigma_w, sigma_b, activation)
    scales = [_scale(a, b) for a, b in zip(diag1, diag2)]
    N, M, d = X.shape[0], X2.shape[0], X.shape[1]
    out = torch.empty(N, M, dtype=F64, device=X.device)
    rows = max(1, TILE_ENTRIES // max(M, 1))
    for i in range(0, N, rows):
        sl = slice(i, i + rows)
        k0 = sigma_b**2 + sigma_w**2 * (X[sl] @ X2.T) / d
        d1 = [t[sl, None] for t in diag1]
        d2 = [t[None, :] for t in diag2]
        out[sl] = _recurse(k0, d1, d2, scales, depth, sigma_w, sigma_b, activation)
    if same:
        out.diagonal().copy_(diag1[-1])
    return out


def nngp_diag(
    X,
    X2=None,
    *,
    depth: int,
    sigma_w: float,
    sigma_b: float,
    activation: str = "relu",
) -> torch.Tensor:
    """K^depth(x_i, x2_i) [N] for paired rows (X2 None: the variances K^depth(x_i, x_i))."""
    X, X2 = _prepare(X, X2, depth, activation)
    diag1 = _diag_layers(X, depth, sigma_w, sigma_b, activation)
    if X2 is None:
        return diag1[-1]
    if X2.shape[0] != X.shape[0]:
        raise ValueError(f"paired inputs need equal row counts: {X.shape[0]} vs {X2.shape[0]}")
    diag2 = _diag_layers(X2, depth, sigma_w, sigma_b, activation)
    scales = [_scale(a, b) for a, b in zip(diag1, diag2)]
    k0 = sigma_b**2 + sigma_w**2 * (X * X2).sum(1) / X.shape[1]
    return _recurse(k0, diag1, diag2, scales, depth, sigma_w, sigma_b, activation)


class NNGPKernel(gpytorch.kernels.Kernel):
    """`nngp_kernel` as a gpytorch kernel, for exact GP inference with the NNGP prior.

    depth, sigma_w, sigma_b and activation are fixed attributes, not trainable parameters:
    the prior is that of the nets the sampler draws, not something to fit. Computed in
    float64 and returned in x1's dtype (so a float32 GP keeps working).
    """

    is_stationary = False
    has_lengthscale = False

    def __init__(
        self, depth: int, sigma_w: float, sigma_b: float, activation: str = "relu", **kwargs
    ) -> None:
        _check_activation(activation)
        if not isinstance(depth, int) or depth < 0:
            raise ValueError(f"depth must be an int >= 0, got {depth!r}")
        super().__init__(**kwargs)
        self.depth, self.sigma_w, self.sigma_b = depth, float(sigma_w), float(sigma_b)
        self.activation = activation

    def _hyper(self) -> dict:
        return dict(depth=self.depth, sigma_w=self.sigma_w, sigma_b=self.sigma_b, activation=self.activation)

    def forward(
        self, x1: torch.Tensor, x2: torch.Tensor, diag: bool = False, last_dim_is_batch: bool = False, **params
    ) -> torch.Tensor:
        if last_dim_is_batch:  # each input dimension is its own 1-D problem
            x1, x2 = x1.transpose(-1, -2).unsqueeze(-1), x2.transpose(-1, -2).unsqueeze(-1)
        same = x1 is x2 or (x1.shape == x2.shape and torch.equal(x1, x2))
        batch = torch.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
        a = x1.expand(*batch, *x1.shape[-2:]).reshape(-1, *x1.shape[-2:])
        b = x2.expand(*batch, *x2.shape[-2:]).reshape(-1, *x2.shape[-2:])
        if diag:
            res = [nngp_diag(p, None if same else q, **self._hyper()) for p, q in zip(a, b)]
        else:
            res = [nngp_kernel(p, None if same else q, **self._hyper()) for p, q in zip(a, b)]
        out = torch.stack(res).reshape(*batch, *res[0].shape)
        return out.to(dtype=x1.dtype, device=x1.device)
