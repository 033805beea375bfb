"""P_opt(f|S): train many networks at once from random init to zero training error.

B nets train side by side as batched tensors (networks.Params). Training goes in rounds,
and a net stops at the end of the first round after which it classifies all of S correctly
(the authors' EarlyStoppingByAccuracy, with one threshold, output > 0, for both accuracy
and the recorded function). Two mini-batch samplers: `shuffle` (a round is an epoch, each
net with its own order) and `adversarial` (the authors' advSGD, arXiv 1805.08522: a round
is one step on a batch drawn without replacement with probabilities softmax(sum of each
point's last `history` losses), so points the net keeps getting wrong come back sooner).
Finished nets are compacted out of the batch; nets still training after `max_epochs` are
reported as not converged, never dropped. Optimisers act per net: SGD (with optional
momentum), Adam, and AGD (Bernstein, Mingard et al., arXiv 2304.05187) with biases grouped
per layer as in `agd_prime`.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import torch

from nnbayes.core.functions import pack_bits
from nnbayes.core.fused_train import fused_step
from nnbayes.core.networks import Params, forward

OPTIMIZERS = ("sgd", "adam", "agd")
LOSSES = ("ce", "mse")
SAMPLERS = ("shuffle", "adversarial")


@dataclass
class TrainResult:
    """Per net, in input order: function on E (ids), whether it fit S, epochs used, final params."""

    test_ids: np.ndarray  # uint64 [B, 2]
    converged: np.ndarray  # bool [B]
    epochs: np.ndarray  # int64 [B]
    params: Params


def per_point_loss(out: torch.Tensor, y: torch.Tensor, loss: str) -> torch.Tensor:
    """Loss of each net on each of its mini-batch points [B, b]; y in {0,1} (MSE: +-1 targets)."""
    if loss == "ce":
        return torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none")
    if loss == "mse":
        return (out - (2 * y - 1)) ** 2
    raise ValueError(f"loss {loss!r} is not one of {list(LOSSES)}")


def variant_options(variant: dict, m: int) -> dict:
    """train_networks keywords of a config variant; batch_size "full" means all m points of S."""
    return {"optimizer": variant["optimizer"], "lr": variant["lr"], "loss": variant["loss"],
            "batch_size": m if variant["batch_size"] == "full" else variant["batch_size"],
            "sampler": variant.get("sampler", "shuffle")}


def _frob(g: torch.Tensor) -> torch.Tensor:
    """Per-net Frobenius norm, broadcastable against g."""
    return g.flatten(1).norm(dim=1).view(-1, *([1] * (g.dim() - 1)))


class _Optimiser:
    """Per-net optimiser state on stacked tensors; `keep` compacts it with the batch."""

    def __init__(self, name: str, params: list[torch.Tensor], lr: float, momentum: float,
                 betas: tuple[float, float], eps: float):
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer {name!r} is not one of {list(OPTIMIZERS)}")
        self.name, self.lr, self.momentum, self.betas, self.eps = name, lr, momentum, betas, eps
        n_state = {"sgd": int(momentum != 0), "adam": 2, "agd": 0}[name]  # velocity / m, v
        self.state = [[torch.zeros_like(p) for p in params] for _ in range(n_state)]
        self.t = 0

    def keep(self, idx: torch.Tensor) -> None:
        self.state = [[s[idx] for s in group] for group in self.state]

    def step(self, params: list[torch.Tensor], grads: Iterable[tuple[int, torch.Tensor]]) -> None:
        """One update of every net."""
        self.t += 1
        self.apply(params, grads)

    @torch.no_grad()
    def apply(self, params: list[torch.Tensor], grads: Iterable[tuple[int, torch.Tensor]]) -> None:
        """Update every net from (index into params, gradient) pairs, leaving `t` to the caller.
        SGD and Adam apply each pair as it comes, so a fused backward updates a layer while its
        gradient is still in cache; AGD needs every layer's norm first."""
        if self.name == "agd":
            by_index = dict(grads)
            self._agd(params, [by_index[i] for i in range(len(params))])
            return
        for i, g in grads:
            self._update(params[i], g, [group[i] for group in self.state])

    def _update(self, p: torch.Tensor, g: torch.Tensor, state: list[torch.Tensor]) -> None:
        """SGD (velocity v <- momentum v + g, skipped at momentum 0 where v = g) or Adam."""
        if self.name == "sgd":
            if state:
                g = state[0].mul_(self.momentum).add_(g)
            p.sub_(self.lr * g)
            return
        (b1, b2), (m, v) = self.betas, state
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (v / (1 - b2**self.t)).sqrt_().add_(self.eps)
        p.addcdiv_(m, denom, value=-self.lr / (1 - b1**self.t))

    def _agd(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        """AGD: eta = log((1 + sqrt(1 + 4G)) / 2), G the mean scaled weight-gradient norm."""
        weights, n_layers = grads[0::2], len(grads) // 2
        scale = [(W.shape[1] / W.shape[2]) ** 0.5 for W in params[0::2]]  # sqrt(d_out / d_in)
        G = sum(s * _frob(g).flatten() for s, g in zip(scale, weights)) / n_layers
        eta = torch.log((1 + torch.sqrt(1 + 4 * G)) / 2)
        for k, (s, gw) in enumerate(zip(scale, weights)):
            norm = _frob(gw).flatten()
            step = torch.nan_to_num(eta / n_layers * s / norm)  # zero gradient: layer stays
            for p, g in ((params[2 * k], gw), (params[2 * k + 1], grads[2 * k + 1])):
                p.sub_(g * step.view(-1, *([1] * (g.dim() - 1))) * self.lr)


class MiniBatches:
    """Mini-batch indices [B_active, b] of each round; the adversarial sampler keeps, per net and
    training point, its last `history` losses (initially 0.5, so the first batch is uniform)."""

    def __init__(self, name: str, n_nets: int, m: int, bs: int, history: int, gen: torch.Generator,
                 device: torch.device):
        if name not in SAMPLERS:
            raise ValueError(f"sampler {name!r} is not one of {list(SAMPLERS)}")
        self.adversarial, self.m, self.bs, self.gen, self.device = name == "adversarial", m, bs, gen, device
        if self.adversarial:
            self.losses = torch.full((n_nets, m, history), 0.5, device=device)
            self.slot = torch.zeros((n_nets, m), dtype=torch.long, device=device)  # next to overwrite

    def round(self, n_active: int) -> list[torch.Tensor]:
        if self.adversarial:
            probs = torch.softmax(self.losses.sum(2), dim=1)
            return [torch.multinomial(probs, self.bs, replacement=False, generator=self.gen)]
        order = torch.rand(n_active, self.m, generator=self.gen, device=self.device).argsort(1)
        return [order[:, s : s + self.bs] for s in range(0, self.m, self.bs)]

    def record(self, idx: torch.Tensor, losses: torch.Tensor) -> None:
        """Each net's losses [B, b] on its batch idx [B, b], just after the step (as the authors)."""
        rows = torch.arange(len(idx), device=idx.device)[:, None]
        slot = self.slot[rows, idx]
        self.losses[rows, idx, slot] = losses.to(self.losses.dtype)
        self.slot[rows, idx] = (slot + 1) % self.losses.shape[2]

    def keep(self, idx: torch.Tensor) -> None:
        if self.adversarial:
            self.losses, self.slot = self.losses[idx], self.slot[idx]


def pairs(flat: list[torch.Tensor]) -> Params:
    """[W0, b0, W1, b1, ...] -> [(W0, b0), (W1, b1), ...]."""
    return list(zip(flat[0::2], flat[1::2]))


def autograd_step(flat: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str, loss: str,
                  opt: _Optimiser) -> None:
    """One step by autograd through networks.forward: the reference the fused step must match."""
    per_point_loss(forward(pairs(flat), x, activation), y, loss).mean(1).sum().backward()
    opt.step(flat, ((i, p.grad) for i, p in enumerate(flat)))
    for p in flat:
        p.grad = None


ENGINES = {"fused": fused_step, "autograd": autograd_step}


@dataclass
class _Active:
    """The nets still training, compacted together: their parameters [W0, b0, ...], their indices
    in the input batch, and their data where it is given per net ([B, ...]; shared otherwise)."""

    flat: list[torch.Tensor]
    ids: torch.Tensor
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each net's mini-batch (x [B, b, d], y [B, b]) from its indices idx [B, b]."""
        x = (self.X_train.gather(1, idx[..., None].expand(-1, -1, self.X_train.shape[2]))
             if self.X_train.dim() == 3 else self.X_train[idx])
        y = self.y_train.gather(1, idx) if self.y_train.dim() == 2 else self.y_train[idx]
        return x, y

    def keep(self, keep: torch.Tensor, needs_grad: bool) -> None:
        self.ids = self.ids[keep]
        self.flat = [p[keep].detach().requires_grad_(needs_grad) for p in self.flat]
        if self.X_train.dim() == 3:
            self.X_train = self.X_train[keep]
        if self.y_train.dim() == 2:
            self.y_train = self.y_train[keep]
        if self.X_test.dim() == 3:
            self.X_test = self.X_test[keep]


def _record(result: TrainResult, nets: _Active, done: torch.Tensor, fit: torch.Tensor, epoch: int,
            activation: str) -> None:
    """Write the finished nets' function on E, convergence, epochs and parameters into `result`."""
    ids = nets.ids[done].cpu().numpy()
    X_done = nets.X_test[done] if nets.X_test.dim() == 3 else nets.X_test
    result.test_ids[ids] = pack_bits(forward(pairs([p[done] for p in nets.flat]), X_done, activation) > 0)
    fitted = fit[done].cpu().numpy()
    result.converged[ids] = fitted
    result.epochs[ids[fitted]] = epoch
    for (W, b), (pW, pb) in zip(result.params, pairs(nets.flat)):
        W[nets.ids[done]] = pW[done]
        b[nets.ids[done]] = pb[done]


def train_networks(
    params: Params,
    X_train: torch.Tensor,
    y_train: torch.Tensor,
    X_test: torch.Tensor,
    *,
    activation: str,
    optimizer: str,
    lr: float,
    batch_size: int,
    loss: str,
    max_epochs: int,
    gen: torch.Generator,
    sampler: str = "shuffle",
    history: int = 3,
    momentum: float = 0.0,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    engine: str = "fused",
) -> TrainResult:
    """Train every net in `params` on (X_train, y_train in {0,1}); see module doc.

    `lr` multiplies the AGD step too (AGD's optional gain; 1.0 is the paper's AGD).
    `max_epochs` bounds the rounds: epochs (shuffle) or steps (adversarial); `epochs` in the
    result counts the same rounds. Only `gen` draws randomness (the batch orders or draws).
    Each of X_train [m, d], y_train [m] and X_test [N, d] may instead be given per net
    ([B, m, d], [B, m], [B, N, d]), so nets on different targets, label noise or training
    sets train in one batch. `engine` "fused" (fused_train's hand-written backward) or
    "autograd" (the reference) computes the steps; both draw the same batches from `gen`.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r} is not one of {list(ENGINES)}")
    step, needs_grad = ENGINES[engine], engine == "autograd"
    n_nets, m = params[0][0].shape[0], y_train.shape[-1]
    nets = _Active([p.detach().clone().requires_grad_(needs_grad) for Wb in params for p in Wb],
                   torch.arange(n_nets, device=X_train.device), X_train, y_train, X_test)
    opt = _Optimiser(optimizer, nets.flat, lr, momentum, betas, eps)
    result = TrainResult(np.zeros((n_nets, 2), dtype=np.uint64), np.zeros(n_nets, dtype=bool),
                         np.full(n_nets, max_epochs, dtype=np.int64), pairs([p.detach().clone() for p in nets.flat]))
    batches = MiniBatches(sampler, n_nets, m, min(batch_size, m), history, gen, X_train.device)
    for epoch in range(1, max_epochs + 1):
        for idx in batches.round(len(nets.ids)):
            x_batch, y_batch = nets.batch(idx)
            step(nets.flat, x_batch, y_batch, activation, loss, opt)
            if batches.adversarial:
                with torch.no_grad():
                    batches.record(idx, per_point_loss(forward(pairs(nets.flat), x_batch, activation), y_batch, loss))
        with torch.no_grad():
            fit = ((forward(pairs(nets.flat), nets.X_train, activation) > 0) == (nets.y_train > 0.5)).all(1)
            done = fit if epoch < max_epochs else torch.ones_like(fit)
            if done.any():
                _record(result, nets, done, fit, epoch, activation)
                keep = (~done).nonzero().flatten()
                nets.keep(keep, needs_grad)
                opt.keep(keep)
                batches.keep(keep)
        if len(nets.ids) == 0:
            break
    return result
