"""Batched parameter -> function maps: B random fully connected nets evaluated at once.

Parameters follow the papers' init (arXiv 1805.08522, 2006.15191): weights
W ~ N(0, sigma_w^2 / fan_in), biases b ~ N(0, sigma_b^2), biases on every layer including
the read-out. Depth 0 is the perceptron (a bias-free one when sigma_b = 0). The hot path is
one random draw per batch and one (b)mm per layer; there is no Python loop over nets.
"""

from collections.abc import Sequence

import torch

Params = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: W[B, out, in], b[B, out]
ACTIVATIONS = {"relu": torch.relu_, "tanh": torch.tanh_}  # in place: h is not needed after


def layer_widths(n_in: int, depth: int, width: int) -> list[int]:
    """[n_in, width x depth, 1]: the papers' n -> w -> ... -> w -> 1 nets."""
    return [n_in] + [width] * depth + [1]


def n_params(widths: Sequence[int]) -> int:
    return sum(o * (i + 1) for i, o in zip(widths[:-1], widths[1:]))


def init_params(
    widths: Sequence[int],
    n_nets: int,
    *,
    sigma_w: float,
    sigma_b: float,
    gen: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
) -> Params:
    """Draw n_nets nets from the init prior with one `randn` call (gen lives on device)."""
    flat = torch.randn(n_nets, n_params(widths), generator=gen, device=device, dtype=dtype)
    params, k = [], 0
    for i, o in zip(widths[:-1], widths[1:]):
        W = flat[:, k : k + o * i].view(n_nets, o, i).mul_(sigma_w / i**0.5)
        b = flat[:, k + o * i : k + o * (i + 1)].mul_(sigma_b)
        params.append((W, b))
        k += o * (i + 1)
    return params


def forward(params: Params, X: torch.Tensor, activation: str = "relu") -> torch.Tensor:
    """Every net on its inputs: X[N, d] (shared) or X[B, N, d] (per net) -> outputs [B, N]."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")
    act = ACTIVATIONS[activation]
    W0, b0 = params[0]
    X = X if X.dim() == 3 else X.expand(W0.shape[0], *X.shape)
    h = torch.baddbmm(b0.unsqueeze(1), X, W0.transpose(1, 2))
    for W, b in params[1:]:
        h = torch.baddbmm(b.unsqueeze(1), act(h), W.transpose(1, 2))
    return h.squeeze(-1)
