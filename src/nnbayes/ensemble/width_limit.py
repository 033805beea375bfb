"""Wide one-hidden-layer ReLU nets fitted to 4 points in 2-D, and their kernel-regression limits
(Hebbar 2023's width experiment made quantitative; research note §3.4).

Net (NTK parametrisation, every raw parameter ~ N(0, 1), the sigmas of `networks`/`nngp`):

    h = (sigma_w / sqrt(d)) W x + sigma_b b,   f(x) = (sigma_w / sqrt(N)) a . relu(h) + sigma_b c.

At init f is a GP with the NNGP kernel K = nngp_kernel(depth=1). Full-batch gradient descent on
the squared loss, as N -> infinity, is kernel gradient descent with the NTK

    Theta(x, x') = K(x, x') + sigma_w^2 K0(x, x') (pi - theta) / (2 pi),

K0 = sigma_b^2 + sigma_w^2 x.x'/d and theta the angle under K0 (Jacot et al. 2018), so the trained
function converges to f0(x) + Theta(x, X) Theta(X, X)^-1 (y - f0(X)). Two regimes:

* `ntk`: every layer trained at the same rate -> the NTK interpolant.
* `last_layer`: the hidden layer's rate is 1/N of the read-out's (the post's "ensemble of random
  features" picture), so its share of the tangent kernel vanishes -> the NNGP interpolant.

Two inits: `antisymmetric` (units in pairs with opposite read-out weights, c = 0: f0 = 0, so
the limit is the deterministic interpolant) and `plain` (f0 ~ GP(0, K): the trained function
keeps a random offset f0 - A f0(X) with A = Theta(x, X) Theta(X, X)^-1, whose variance
`kernel_limits` gives in closed form). Every net of one width trains in one batched program.
"""

import math

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.device import generator
from nnbayes.core.seeds import shard_seed

REGIMES = ("ntk", "last_layer")
INITS = ("antisymmetric", "plain")
F64 = torch.float64
GRID_CHUNK_ENTRIES = 1 << 22  # nets x points x units per grid-evaluation chunk (memory only)
Params = dict[str, torch.Tensor]  # W [B, N, d], b [B, N], a [B, N], c [B]


def xor_data(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """4 points near the corners (+-h, +-h) of a square with seeded Gaussian jitter; labels
    sign(x1 x2) (XOR: +1, -1, -1, +1) or seeded fair coins."""
    rng = np.random.default_rng(spec["seed"])
    h = spec["half_side"]
    corners = np.array([[-h, -h], [-h, h], [h, -h], [h, h]])
    X = corners + spec["jitter"] * rng.standard_normal(corners.shape)
    if spec["labels"] == "xor":
        y = np.sign(corners[:, 0] * corners[:, 1])
    elif spec["labels"] == "random":
        y = rng.choice([-1.0, 1.0], size=4)
    else:
        raise ValueError(f"labels {spec['labels']!r} is not one of ['xor', 'random']")
    return X, y


def grid_points(spec: dict) -> np.ndarray:
    """[G*G, 2] points of a G x G grid on [-H, H]^2; row i, column j is (v[j], v[i]), so
    reshape(G, G) is an image with x1 along columns and x2 along rows."""
    v = np.linspace(-spec["half_side"], spec["half_side"], spec["points"])
    x1, x2 = np.meshgrid(v, v)
    return np.stack([x1.ravel(), x2.ravel()], 1)


def kernels(X, X2=None, *, sigma_w: float, sigma_b: float) -> dict[str, torch.Tensor]:
    """{'last_layer': NNGP K, 'ntk': Theta} of the 1-hidden-layer ReLU net, float64 [N, M]."""
    from nnbayes.gp.nngp import nngp_kernel  # imports gpytorch (slow): training jobs do without

    X = torch.as_tensor(np.asarray(X), dtype=F64)
    X2 = X if X2 is None else torch.as_tensor(np.asarray(X2), dtype=F64)
    d = X.shape[1]
    K = nngp_kernel(X, X2, depth=1, sigma_w=sigma_w, sigma_b=sigma_b, activation="relu")
    k0 = sigma_b**2 + sigma_w**2 * (X @ X2.T) / d
    n1 = (sigma_b**2 + sigma_w**2 * (X * X).sum(1) / d).sqrt()
    n2 = (sigma_b**2 + sigma_w**2 * (X2 * X2).sum(1) / d).sqrt()
    theta = torch.arccos((k0 / (n1[:, None] * n2[None, :])).clamp(-1, 1))
    return {"last_layer": K, "ntk": K + sigma_w**2 * k0 * (math.pi - theta) / (2 * math.pi)}


def kernel_limits(X, y, grid, *, sigma_w: float, sigma_b: float) -> pd.DataFrame:
    """Per regime, on the grid: the interpolant A y (A = Theta(x, X) Theta(X, X)^-1, the limit of
    antisymmetric-init nets) and the std of the plain-init offset f0 - A f0(X), f0 ~ GP(0, K):
    var = K(x,x) - 2 A K(X,x) + A K(X,X) A^T. Also the limit's train residual (should be ~0)."""
    from nnbayes.gp.nngp import nngp_diag

    both = np.concatenate([np.asarray(grid), np.asarray(X)])
    kx = kernels(both, X, sigma_w=sigma_w, sigma_b=sigma_b)  # [G + P, P]
    kxx = kernels(X, sigma_w=sigma_w, sigma_b=sigma_b)
    diag = nngp_diag(np.asarray(grid), depth=1, sigma_w=sigma_w, sigma_b=sigma_b)
    yt = torch.as_tensor(np.asarray(y), dtype=F64)
    G = len(grid)
    rows = []
    for regime in REGIMES:
        A = torch.linalg.solve(kxx[regime], kx[regime].T).T  # [G + P, P]
        f = A @ yt
        Kg = kx["last_layer"][:G]  # prior covariance between the grid and X
        var = diag - 2 * (A[:G] * Kg).sum(1) + ((A[:G] @ kxx["last_layer"]) * A[:G]).sum(1)
        rows.append({"regime": regime, "limit": f[:G].numpy(), "offset_std": var.clamp_min(0).sqrt().numpy(),
                     "train_residual": float((f[G:] - yt).abs().max())})
    return pd.DataFrame(rows)


def init_nets(width: int, n_nets: int, d: int, *, gen: torch.Generator, device: torch.device,
              dtype: torch.dtype) -> Params:
    """n_nets nets with every raw parameter ~ N(0, 1), from one draw."""
    flat = torch.randn(n_nets, width * (d + 2) + 1, generator=gen, device=device, dtype=dtype)
    split = flat.split([width * d, width, width, 1], dim=1)
    return {"W": split[0].reshape(n_nets, width, d), "b": split[1], "a": split[2], "c": split[3].squeeze(1)}


def antisymmetrize(p: Params) -> Params:
    """A copy whose second half of hidden units repeats the first half with negated read-out
    weights, and c = 0: the function at init is 0 (up to float rounding of the read-out sum)."""
    width = p["a"].shape[1]
    if width % 2:
        raise ValueError(f"antisymmetric init pairs hidden units: width {width} must be even")
    half = width // 2
    return {"W": p["W"][:, :half].repeat(1, 2, 1), "b": p["b"][:, :half].repeat(1, 2),
            "a": torch.cat([p["a"][:, :half], -p["a"][:, :half]], 1), "c": torch.zeros_like(p["c"])}


def _hidden(p: Params, X: torch.Tensor, sigma_w: float, sigma_b: float) -> torch.Tensor:
    """Pre-activations h [B, P, N] for inputs X [P, d] shared by all nets."""
    scale = sigma_w / math.sqrt(X.shape[1])
    return torch.baddbmm((sigma_b * p["b"]).unsqueeze(1), X.expand(len(p["W"]), *X.shape),
                         p["W"].transpose(1, 2), alpha=scale)


def forward(p: Params, X: torch.Tensor, *, sigma_w: float, sigma_b: float) -> torch.Tensor:
    """Every net on X [P, d] -> [B, P]; the grid is done in chunks so memory stays bounded."""
    B, N = p["a"].shape
    rows = max(1, GRID_CHUNK_ENTRIES // (B * N))
    out = []
    for X_part in X.split(rows):
        act = _hidden(p, X_part, sigma_w, sigma_b).relu_()
        out.append(torch.bmm(act, p["a"].unsqueeze(-1)).squeeze(-1) * (sigma_w / math.sqrt(N))
                   + sigma_b * p["c"].unsqueeze(-1))
    return torch.cat(out, 1)


def tangent_kernel(p: Params, X: torch.Tensor, hidden_lr: torch.Tensor, *, sigma_w: float,
                   sigma_b: float) -> torch.Tensor:
    """Empirical tangent kernel [B, P, P] of each net, its hidden block scaled by `hidden_lr` [B]
    (the kernel that drives gradient descent with those per-layer rates)."""
    N, d = p["a"].shape[1], X.shape[1]
    h = _hidden(p, X, sigma_w, sigma_b)
    act, grad = h.relu(), (h > 0).to(h.dtype) * p["a"].unsqueeze(1)
    readout = sigma_w**2 / N * act @ act.transpose(1, 2) + sigma_b**2
    k0 = sigma_b**2 + sigma_w**2 * (X @ X.T) / d
    hidden = sigma_w**2 / N * (grad @ grad.transpose(1, 2)) * k0
    return readout + hidden_lr.view(-1, 1, 1) * hidden


def train(p: Params, X: torch.Tensor, y: torch.Tensor, lr: torch.Tensor, hidden_lr: torch.Tensor, *,
          sigma_w: float, sigma_b: float, tol: float, max_steps: int, check_every: int,
          progress: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch gradient descent on L = 1/2 sum_i (f(x_i) - y_i)^2 for every net at once, in
    place. Net k steps with rate lr[k] (hidden layer lr[k] hidden_lr[k]) and freezes at the first
    check (every `check_every` steps) where its train MSE < tol, so each net's result does not
    depend on the others in the batch. Returns (steps taken [B], final train MSE [B])."""
    B, N = p["a"].shape
    s_out, s_in = sigma_w / math.sqrt(N), sigma_w / math.sqrt(X.shape[1])
    Xb = X.expand(B, *X.shape)
    steps = torch.full((B,), max_steps, dtype=torch.long, device=X.device)
    active = torch.ones(B, dtype=torch.bool, device=X.device)
    bar = tqdm(total=max_steps, desc=f"width {N}", disable=not progress, mininterval=1.0)
    for step in range(max_steps + 1):
        act = _hidden(p, X, sigma_w, sigma_b).relu_()
        r = torch.bmm(act, p["a"].unsqueeze(-1)).squeeze(-1) * s_out + sigma_b * p["c"].unsqueeze(-1) - y
        if step % check_every == 0 or step == max_steps:
            done = active & ((r * r).mean(1) < tol)
            steps[done] = step
            active &= ~done
            if not active.any() or step == max_steps:
                break
        eta = lr * active
        g_a = torch.bmm(r.unsqueeze(1), act).squeeze(1) * s_out
        delta = (r.unsqueeze(-1) * p["a"].unsqueeze(1)).mul_(act > 0).mul_(s_out)  # dL/dh [B, P, N]
        g_W = torch.bmm(delta.transpose(1, 2), Xb) * s_in
        g_b = delta.sum(1) * sigma_b
        eta_h = eta * hidden_lr
        p["W"].sub_(g_W * eta_h.view(-1, 1, 1))
        p["b"].sub_(g_b * eta_h.unsqueeze(-1))
        p["a"].sub_(g_a * eta.unsqueeze(-1))
        p["c"].sub_(r.sum(1) * sigma_b * eta)
        bar.update()
    bar.close()
    return steps, (r * r).mean(1)


def train_width(width: int, spec: dict, seed: int, *, device: torch.device, dtype: torch.dtype,
                progress: bool = False) -> pd.DataFrame:
    """Every (regime, init) of `spec` (the config's ensemble.width) x seeds at one width, trained
    in one program; one row per net with its function on the grid (`f`, float32 list).

    Nets with the same init kind and seed start from the same parameters in both regimes
    (common random numbers), so regime differences are not init noise. Each net's rate is
    lr / lambda_max of its own tangent kernel at init (stable at every width).
    """
    for key, allowed in (("regimes", REGIMES), ("inits", INITS)):
        for name in spec[key]:
            if name not in allowed:
                raise ValueError(f"{key}: {name!r} is not one of {list(allowed)}")
    X_np, y_np = xor_data(spec["data"])
    X = torch.as_tensor(X_np, device=device, dtype=dtype)
    y = torch.as_tensor(y_np, device=device, dtype=dtype)
    S = spec["seeds"]
    gen = generator(shard_seed(seed, f"width/{width}", 0), device)
    start = {"plain": init_nets(width, S, X.shape[1], gen=gen, device=device, dtype=dtype)}
    if "antisymmetric" in spec["inits"]:
        start["antisymmetric"] = antisymmetrize(start["plain"])
    combos = [(r, i) for r in spec["regimes"] for i in spec["inits"]]
    p = {k: torch.cat([start[i][k] for _, i in combos]) for k in start["plain"]}
    hidden_lr = torch.tensor([1.0 if r == "ntk" else 1.0 / width for r, _ in combos for _ in range(S)],
                             device=device, dtype=dtype)
    lam = torch.linalg.eigvalsh(tangent_kernel(p, X, hidden_lr, **spec["net"]).to(F64))[:, -1]
    lr = (spec["lr"] / lam).to(dtype)
    steps, mse = train(p, X, y, lr, hidden_lr, **spec["net"], tol=spec["tol"], max_steps=spec["max_steps"],
                       check_every=spec["check_every"], progress=progress)
    grid = torch.as_tensor(grid_points(spec["grid"]), device=device, dtype=dtype)
    f = forward(p, grid, **spec["net"]).float().cpu().numpy()
    return pd.DataFrame({
        "regime": [r for r, _ in combos for _ in range(S)],
        "init": [i for _, i in combos for _ in range(S)],
        "width": width,
        "seed": list(range(S)) * len(combos),
        "lr": lr.double().cpu().numpy(),
        "steps": steps.cpu().numpy(),
        "converged": (mse < spec["tol"]).cpu().numpy(),
        "train_mse": mse.double().cpu().numpy(),
        "f": list(f),
    })
