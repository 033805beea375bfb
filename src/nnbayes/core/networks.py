"""Batched parameter -> function maps: B random fully connected nets evaluated at once.

Parameters follow the papers' init (arXiv 1805.08522, 2006.15191): weights
W ~ N(0, sigma_w^2 / fan_in), biases b ~ N(0, sigma_b^2), biases on every layer including
the read-out. Depth 0 is the perceptron (a bias-free one when sigma_b = 0). The hot path is
one random draw per batch and one (b)mm per layer; there is no Python loop over nets. A sampler
that runs batch after batch passes buffers (`out`) to both, so that no batch allocates: fresh
multi-MB temporaries come back from the kernel as new pages, ~10 page faults per net.
"""

from collections.abc import Sequence

import numpy as np
import torch

Params = list[tuple[torch.Tensor, torch.Tensor | None]]  # per layer: W[B, out, in], b[B, out] or None
ACTIVATIONS = {"relu": torch.relu_, "tanh": torch.tanh_}  # in place: h is not needed after


def numpy_tanh_(h: torch.Tensor) -> torch.Tensor:
    """tanh in place through numpy's SIMD kernel, for a CPU sampling pass (no autograd). torch's
    CPU tanh ran at 0.4 Gelem/s here, half of a 10-layer tanh net's sampling time; numpy's runs
    at 4.5. Both are within 1 ulp of tanh; a third of float32 values differ by that ulp, which
    moves a net's sign only when its output is within ~1e-7 of zero (tests/core/test_networks)."""
    np.tanh(h.numpy(), out=h.numpy())
    return h


SAMPLING_ACTIVATIONS = {"relu": torch.relu_, "tanh": numpy_tanh_}


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
    out: torch.Tensor | None = None,
) -> Params:
    """Draw n_nets nets from the init prior with one `randn` call (gen lives on device), into
    `out` [n_nets, n_params] when given: the same numbers, without a fresh allocation."""
    shape = (n_nets, n_params(widths))
    flat = (torch.randn(shape, generator=gen, device=device, dtype=dtype) if out is None
            else torch.randn(shape, generator=gen, out=out))
    params, k = [], 0
    for i, o in zip(widths[:-1], widths[1:]):
        W = flat[:, k : k + o * i].view(n_nets, o, i).mul_(sigma_w / i**0.5)
        b = flat[:, k + o * i : k + o * (i + 1)].mul_(sigma_b)
        params.append((W, b))
        k += o * (i + 1)
    return params


def take_rows(p: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """p[rows] of a batched tensor [B, ...] (rows: 1-D indices), in p's layout: index_select
    copies whole rows (2.7x faster than p[rows] on 2000 nets of 7-40-40-1, the trainer's
    compaction), and a weight stored in-major (a transposed view, fused_train.engine_layout)
    stays in-major."""
    return p.index_select(0, rows) if p.is_contiguous() or p.dim() < 3 else p.mT.index_select(0, rows).mT


def forward(
    params: Params, X: torch.Tensor, activation: str = "relu", out: Sequence[torch.Tensor] | None = None
) -> torch.Tensor:
    """Every net on its inputs: X[N, d] (shared) or X[B, N, d] (per net) -> outputs [B, N].

    out: one [B, N, width] buffer per layer to write into, for a sampling pass (the buffers
    take no autograd): on a CPU its tanh then runs through numpy (`numpy_tanh_`). A None bias
    is left out rather than added as zeros (a prior with sigma_b = 0: no copy of a zero bias
    into every output).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")
    sampling = out is not None and X.device.type == "cpu"
    act = (SAMPLING_ACTIVATIONS if sampling else ACTIVATIONS)[activation]
    h = X if X.dim() == 3 else X.expand(params[0][0].shape[0], *X.shape)
    for k, ((W, b), o) in enumerate(zip(params, out or [None] * len(params))):
        h = h if k == 0 else act(h)
        h = (torch.bmm(h, W.transpose(1, 2), out=o) if b is None
             else torch.baddbmm(b.unsqueeze(1), h, W.transpose(1, 2), out=o))
    return h.squeeze(-1)
