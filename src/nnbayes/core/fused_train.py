"""A hand-written forward and backward pass for train.train_networks' batched MLPs.

Autograd spends most of a step on bookkeeping for these tiny per-net matrices: recording the
graph, saving tensors and copying every weight gradient from the transposed layout its bmm
leaves it in into the parameter's own layout. Here the backward pass is written out with the
very kernels autograd runs (baddbmm forward, threshold_backward / tanh_backward, the
losses' derivatives in autograd's order, the mean's 1/b scale), so the numbers are the same
bit for bit, including the weight gradient (h^T dz)^T. (Computing it as dz^T h, or folding the
SGD update into that matmul, was no faster and, being rounded differently, changed 40% of the
stopping epochs of 2000 float32 nets at lr 0.01.) The optimiser updates each layer as soon as
its gradients are known (SGD, Adam), while they are still in cache.
"""

from collections.abc import Iterable, Iterator
from typing import Protocol

import torch

from nnbayes.core.networks import ACTIVATIONS, Params


class Stepper(Protocol):
    """What the fused step needs of an optimiser (optimisers.Optimiser): updates from (index, gradient)
    pairs as they come; a protocol, so this module does not import the trainer that imports it."""

    t: int

    def apply(self, params: list[torch.Tensor], grads: Iterable[tuple[int, torch.Tensor]]) -> None: ...


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
    scale = (torch.ones((1, 1), dtype=out.dtype, device=out.device) / out.shape[1]).expand_as(out)
    y = y.expand_as(out)
    if loss == "ce":
        return (torch.sigmoid(out) - y) * scale
    if loss == "mse":
        return scale * (2 * (out - (2 * y - 1)))
    raise ValueError(f"loss {loss!r} is not one of ['ce', 'mse']")


def _activation_backward(grad: torch.Tensor, a: torch.Tensor, activation: str) -> torch.Tensor:
    """Gradient through relu or tanh from its output a, with autograd's own kernels."""
    if activation == "relu":
        return torch.ops.aten.threshold_backward(grad, a, 0)
    return torch.ops.aten.tanh_backward(grad, a)


def backward(flat: list[torch.Tensor], hs: list[torch.Tensor], dout: torch.Tensor,
             activation: str) -> Iterator[tuple[int, torch.Tensor]]:
    """(index into flat, gradient) pairs from the last layer to the first. A layer's pairs are
    yielded only once the gradient flowing below it has been computed, so the consumer may update
    that layer's parameters in place."""
    dz = dout.unsqueeze(-1)
    for k in range(len(flat) - 2, -1, -2):
        h, W = hs[k // 2], flat[k]
        gW, gb = torch.bmm(h.transpose(1, 2), dz).transpose(1, 2).contiguous(), dz.sum(1)
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
    """One optimiser step of every net on its mini-batch (x [B, b, d], y [B, b]), without
    autograd. All nets in one pass: splitting them into cache-sized chunks ran ~15% faster but
    changed results, since MKL's batched matmul rounds differently for another batch count
    (65% of the epochs of 10-layer tanh nets at sigma_w = 8 moved)."""
    opt.t += 1
    hs = forward_saved(flat, x, activation)
    opt.apply(flat, backward(flat, hs, output_grad(hs[-1], y, loss), activation))
