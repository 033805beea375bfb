"""A hand-written forward and backward pass for train.train_networks' batched MLPs.

Autograd spends most of a step on bookkeeping for these tiny per-net matrices: recording the
graph, saving tensors and copying every weight gradient from the transposed layout its bmm
leaves it in into the parameter's own layout. Here the backward pass is written out with the
very kernels autograd runs (baddbmm forward, threshold_backward / tanh_backward, the
losses' derivatives in autograd's order, the mean's 1/b scale), so the numbers are the same
bit for bit, including the weight gradient (h^T dz)^T. (Computing it as dz^T h, or folding the
SGD update into that matmul, was no faster and, being rounded differently, changed 40% of the
stopping epochs of 2000 float32 nets at lr 0.01.) Two things autograd cannot do make it fast:
- each weight [B, out, in] is stored in-major (`engine_layout`), so the gradient h^T dz, which
  bmm writes in-major, meets it as is; autograd copies it into the parameter's layout (a quarter
  of its step);
- the nets step in chunks whose parameters fit in cache (`CHUNK_BYTES`), each chunk through its
  forward, backward and update before the next, and the optimiser updates each layer as soon as
  its gradients are known (SGD, Adam), while they are still in cache.
Neither changes a bit: the same kernels see the same numbers (tests/core/test_fast_train.py;
training shards are byte-identical to the unchunked engine's).
"""

from collections.abc import Iterable, Iterator
from typing import Protocol

import torch

from nnbayes.core.networks import ACTIVATIONS, Params

# A chunk's parameters take about 2 MiB, so they, the reused gradient buffers and the optimiser
# state stay in L2/L3 from the forward to the update: 256 nets of 7-40-40-1 (bench_train) ran
# 1.07-1.10x faster than 128 (best while each chunk's gradients were fresh tensors) and 1.02x
# faster than 512. A chunk is a multiple of CHUNK_ALIGN nets: MKL's batched matmul treats the
# batch in small groups and rounds a group that falls short differently, so chunks that cut a
# group would change the nets next to their ends (measured: 131-net chunks moved 5-19 nets in
# 1000 after one epoch); aligned chunks leave every bit as is.
CHUNK_BYTES, CHUNK_ALIGN = 2**21, 64
# On CPU torch's bmm runs a product of fewer multiply-adds than this (rows x columns x contraction)
# through its own scalar loop, which sums each entry in order from +0 (ATen's LinearAlgebra.cpp),
# and larger ones through MKL, whose order is its own.
SMALL_BMM_MACS = 400


class Stepper(Protocol):
    """What the fused step needs of an optimiser (optimisers.Optimiser): updates from (index, gradient)
    pairs as they come, on a slice of the nets; a protocol, so this module does not import the
    trainer that imports it."""

    t: int

    def apply(self, params: list[torch.Tensor], grads: Iterable[tuple[int, torch.Tensor]]) -> None: ...

    def rows(self, rows: slice) -> "Stepper": ...


def engine_layout(flat: list[torch.Tensor]) -> list[torch.Tensor]:
    """[W0, b0, W1, b1, ...] with each weight [B, out, in] a view of in-major storage [B, in, out]:
    the layout of bmm's weight gradient h^T dz, so the update needs no transposing copy. Values,
    shapes and indexing are unchanged (p[keep] keeps the layout)."""
    return [p.mT.contiguous().mT if k % 2 == 0 else p for k, p in enumerate(flat)]


def chunk_size(flat: list[torch.Tensor]) -> int:
    """Nets per chunk: a multiple of CHUNK_ALIGN, as many as fit CHUNK_BYTES of parameters, and at
    least CHUNK_ALIGN, so wide nets still step as batches rather than one by one."""
    per_net = sum(p[0].numel() * p.element_size() for p in flat)
    return max(1, CHUNK_BYTES // per_net // CHUNK_ALIGN) * CHUNK_ALIGN


def forward_saved(flat: list[torch.Tensor], x: torch.Tensor, activation: str) -> list[torch.Tensor]:
    """Every layer's input and the output [B, b] of nets [W0, b0, W1, b1, ...] on x [B, b, d]
    (or a shared x [b, d]): the backward pass needs each layer's input, and the activation
    backward needs only the activation's output, so nothing else is kept."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} is not one of {list(ACTIVATIONS)}")
    act = ACTIVATIONS[activation]
    hs = [x if x.dim() == 3 else x.expand(flat[0].shape[0], *x.shape)]
    for k in range(0, len(flat), 2):
        z = torch.baddbmm(flat[k + 1].unsqueeze(1), hs[-1], flat[k].transpose(1, 2))
        hs.append(act(z) if k + 2 < len(flat) else z.squeeze(-1))
    return hs


def output_grad(out: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """d/d out [B, b] of the sum over nets of each net's mean loss on its b points, by the
    formulas autograd uses (same bits): the mean's backward is 1/b, then the loss's backward."""
    scale = 1 / out.shape[1]  # autograd's float32 ones / b: the same number, so the same bits
    y = y.expand_as(out)
    if loss == "ce":
        return (torch.sigmoid(out) - y).mul_(scale)
    if loss == "mse":
        return (2 * (out - (2 * y - 1))).mul_(scale)
    raise ValueError(f"loss {loss!r} is not one of ['ce', 'mse']")


def _activation_backward(grad: torch.Tensor, a: torch.Tensor, activation: str) -> torch.Tensor:
    """Gradient through relu or tanh from its output a, with autograd's own kernels, written over
    grad (a temporary of the backward pass)."""
    if activation == "relu":
        return torch.ops.aten.threshold_backward.grad_input(grad, a, 0, grad_input=grad)
    return torch.ops.aten.tanh_backward.grad_input(grad, a, grad_input=grad)


def _weight_grad(h: torch.Tensor, dz: torch.Tensor, out: torch.Tensor | None) -> torch.Tensor:
    """h^T dz [B, in, out] with bmm's bits. Where bmm would run its scalar loop on a single output
    column (the last layer of a small batch), the same products are summed in the same order,
    vectorised across the inputs: 3x faster for 256 nets of 7-40-40-1 on batches of 8."""
    if dz.shape[2] > 1 or h.device.type != "cpu" or h.shape[1] * h.shape[2] >= SMALL_BMM_MACS:
        return torch.bmm(h.transpose(1, 2), dz, out=out)
    prod = h * dz
    acc = prod[:, :4].sum(1)  # torch sums up to four rows in order from +0, as the loop does
    for k in range(4, prod.shape[1]):
        acc.add_(prod[:, k])
    return acc.unsqueeze(-1)


def backward(flat: list[torch.Tensor], hs: list[torch.Tensor], dout: torch.Tensor, activation: str,
             grad_out: list[torch.Tensor] | None = None) -> Iterator[tuple[int, torch.Tensor]]:
    """(index into flat, gradient) pairs from the last layer to the first. A layer's pairs are
    yielded only once the gradient flowing below it has been computed, so the consumer may update
    that layer's parameters in place. `grad_out`: per layer, a buffer [B, in, out] for the weight
    gradient, which the consumer then owns until the next call."""
    dz = dout.unsqueeze(-1)
    for k in range(len(flat) - 2, -1, -2):
        h, W, out = hs[k // 2], flat[k], None if grad_out is None else grad_out[k // 2]
        gW, gb = _weight_grad(h, dz, out).transpose(1, 2), dz.sum(1)  # in-major, as W
        if k:  # a single output column makes the bmm an outer product: one multiply each
            da = dz * W if W.shape[1] == 1 else torch.bmm(dz, W)
            dz = _activation_backward(da, h, activation)
        yield k, gW
        yield k + 1, gb


def net_gradients(params: Params, X: torch.Tensor, y: torch.Tensor, activation: str,
                  loss: str) -> list[torch.Tensor]:
    """Each net's gradient of its mean loss on (X, y), as [gW0, gb0, gW1, gb1, ...] shaped like
    the parameters: what the fused step feeds the optimiser, exposed so tests can hold it
    against torch.autograd."""
    flat = [t for Wb in params for t in Wb]
    hs = forward_saved(flat, X, activation)
    grads = dict(backward(flat, hs, output_grad(hs[-1], y, loss), activation))
    return [grads[i] for i in range(len(flat))]


def fused_step(flat: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str, loss: str,
               opt: Stepper) -> None:
    """One optimiser step of every net on its mini-batch (x [B, b, d] or shared [b, d], y [B, b]),
    without autograd, chunk by chunk (chunk_size); weights in engine_layout."""
    opt.t += 1
    n = chunk_size(flat)
    # the weight gradients of every chunk land in the same buffers, which stay in cache (fresh
    # tensors per chunk came from colder memory; the optimiser spends them before the next chunk)
    grad_out = [torch.empty((min(n, W.shape[0]), W.shape[2], W.shape[1]), dtype=W.dtype, device=W.device)
                for W in flat[0::2]]
    for start in range(0, flat[0].shape[0], n):
        rows = slice(start, start + n)
        part = [p[rows] for p in flat]
        # one-point batches make every matmul a matrix-vector product, whose rounding depends on
        # the weight's layout: there the step reads a copy in autograd's layout, as autograd does
        read = part if x.shape[-2] > 1 else [p.contiguous() for p in part]
        hs = forward_saved(read, x[rows] if x.dim() == 3 else x, activation)
        grads = backward(read, hs, output_grad(hs[-1], y[rows], loss), activation,
                         grad_out if len(part[0]) == len(grad_out[0]) else [g[: len(part[0])] for g in grad_out])
        opt.rows(rows).apply(part, grads)
