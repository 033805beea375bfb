"""P_opt(f|S): train many networks at once from random init to zero training error.

B nets train side by side as batched tensors (networks.Params). Training goes in rounds,
and a net stops at the end of the first round after which it classifies all of S correctly
(the authors' EarlyStoppingByAccuracy, with one threshold, output > 0, for both accuracy
and the recorded function), or, with `epochs_after_fit` = k > 0 (the paper's overtraining),
k rounds later: its function at fit time and after the k extra rounds are both recorded. Two
mini-batch samplers: `shuffle` (a round is an epoch, each net with its own order) and
`adversarial` (the authors' advSGD, arXiv 1805.08522: a round is one step on a batch drawn
without replacement with probabilities softmax(sum of each point's last `history` losses), so
points the net keeps getting wrong come back sooner). Finished nets are compacted out of the
batch; nets still training after `max_epochs` are reported as not converged, never dropped.
Optimisers act per net (optimisers.py). The architecture is a `Model`: the MLP of networks.py
by default (with fused_train's hand-written step), or any batched forward, trained by autograd.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch

from nnbayes.core.functions import pack_bits
from nnbayes.core.fused_train import chunk_size, engine_layout, fused_step
from nnbayes.core.networks import Params, forward, take_rows
from nnbayes.core.optimisers import Optimiser

LOSSES = ("ce", "mse")
SAMPLERS = ("shuffle", "adversarial")
ENGINES = ("fused", "autograd")


@dataclass
class TrainResult:
    """Per net, in input order: function on E at fit time (ids), whether it fit S, epochs used,
    final params and the function on E they compute (after the extra epochs; = test_ids at k = 0)."""

    test_ids: np.ndarray  # uint64 [B, 2]
    converged: np.ndarray  # bool [B]
    epochs: np.ndarray  # int64 [B]
    params: Params
    test_ids_after: np.ndarray  # uint64 [B, 2]


Forward = Callable[[list[torch.Tensor], torch.Tensor, str], torch.Tensor]


@dataclass(frozen=True)
class Model:
    """An architecture as the trainer sees it: forward(flat, X, activation) -> outputs [B, N] of
    nets given as [W0, b0, W1, b1, ...] on X [N, d] or [B, N, d]; `fused` its hand-written step
    (None: autograd only) and `layout` the storage that step wants its parameters in; `dense`
    whether every weight is a [B, out, in] matrix (AGD needs it)."""

    forward: Forward
    fused: Callable | None = None
    dense: bool = False
    layout: Callable[[list[torch.Tensor]], list[torch.Tensor]] | None = None


def pairs(flat: list[torch.Tensor]) -> Params:
    """[W0, b0, W1, b1, ...] -> [(W0, b0), (W1, b1), ...]."""
    return list(zip(flat[0::2], flat[1::2]))


def _mlp_forward(flat: list[torch.Tensor], X: torch.Tensor, activation: str) -> torch.Tensor:
    return forward(pairs(flat), X, activation)


MLP = Model(_mlp_forward, fused_step, dense=True, layout=engine_layout)


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
            "sampler": variant.get("sampler", "shuffle"), "epochs_after_fit": variant.get("epochs_after_fit", 0)}


def side_generator(gen: torch.Generator) -> torch.Generator:
    """A generator seeded from a hash of gen's state, without drawing from gen: the batches of
    nets in their extra epochs come from it, so gen's stream, and with it every batch of the
    nets still fitting, is the same as in a run without extra epochs."""
    digest = hashlib.blake2b(gen.get_state().numpy().tobytes(), digest_size=8).digest()
    return torch.Generator(device=gen.device).manual_seed(int.from_bytes(digest, "little") >> 1)


class MiniBatches:
    """Mini-batch indices [B_active, b] of each round; the adversarial sampler keeps, per net and
    training point, its last `history` losses (initially 0.5, so the first batch is uniform).
    `side` (side_generator) draws for the nets that `round` is told are past their fit."""

    def __init__(self, name: str, n_nets: int, m: int, bs: int, history: int, gen: torch.Generator,
                 device: torch.device, side: torch.Generator | None = None):
        if name not in SAMPLERS:
            raise ValueError(f"sampler {name!r} is not one of {list(SAMPLERS)}")
        self.adversarial, self.m, self.bs, self.gen, self.device = name == "adversarial", m, bs, gen, device
        self.side = side
        if self.adversarial:
            self.losses = torch.full((n_nets, m, history), 0.5, device=device)
            self.slot = torch.zeros((n_nets, m), dtype=torch.long, device=device)  # next to overwrite

    def _draw(self, n: int, gen: torch.Generator, rows: torch.Tensor | None = None) -> torch.Tensor:
        """n nets' batch draws [n, bs] (adversarial; the nets `rows`, or all) or orders [n, m]."""
        if self.adversarial:
            probs = torch.softmax((self.losses if rows is None else self.losses[rows]).sum(2), dim=1)
            return torch.multinomial(probs, self.bs, replacement=False, generator=gen)
        return torch.rand(n, self.m, generator=gen, device=self.device).argsort(1)

    def round(self, n_active: int, after: torch.Tensor | None = None) -> list[torch.Tensor]:
        """This round's batches; `after` [n_active] bool marks the nets past their fit."""
        if after is None or not after.any():
            draw = self._draw(n_active, self.gen)
        else:
            draw = torch.empty((n_active, self.bs if self.adversarial else self.m), dtype=torch.long,
                               device=self.device)
            for rows, gen in ((~after, self.gen), (after, self.side)):
                if rows.any():
                    draw[rows] = self._draw(int(rows.sum()), gen, rows)
        if self.adversarial:
            return [draw]
        return [draw[:, s : s + self.bs] for s in range(0, self.m, self.bs)]

    def record(self, idx: torch.Tensor, losses: torch.Tensor) -> None:
        """Each net's losses [B, b] on its batch idx [B, b], just after the step (as the authors)."""
        rows = torch.arange(len(idx), device=idx.device)[:, None]
        slot = self.slot[rows, idx]
        self.losses[rows, idx, slot] = losses.to(self.losses.dtype)
        self.slot[rows, idx] = (slot + 1) % self.losses.shape[2]

    def keep(self, idx: torch.Tensor) -> None:
        if self.adversarial:
            self.losses, self.slot = self.losses[idx], self.slot[idx]


def autograd_step(flat: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor, activation: str, loss: str,
                  opt: Optimiser, model_forward: Forward = _mlp_forward) -> None:
    """One step by autograd through the model's forward: the reference the fused step must match."""
    per_point_loss(model_forward(flat, x, activation), y, loss).mean(1).sum().backward()
    opt.step(flat, ((i, p.grad) for i, p in enumerate(flat)))
    for p in flat:
        p.grad = None


@dataclass
class _Active:
    """The nets still training, compacted together: their parameters [W0, b0, ...], their indices
    in the input batch, their data where it is given per net ([B, ...]; shared otherwise) and,
    with extra epochs, the epoch at which each fit S (0: not yet)."""

    flat: list[torch.Tensor]
    ids: torch.Tensor
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    fit_at: torch.Tensor | None = None

    def batch(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each net's mini-batch (x [B, b, d], y [B, b]) from its indices idx [B, b]. Shared data
        is read with index_select on the flattened indices: the same copy as X[idx], 3-4x faster."""
        flat = idx.reshape(-1)
        x = (self.X_train.gather(1, idx[..., None].expand(-1, -1, self.X_train.shape[2]))
             if self.X_train.dim() == 3 else self.X_train.index_select(0, flat).view(*idx.shape, -1))
        y = self.y_train.gather(1, idx) if self.y_train.dim() == 2 else self.y_train.index_select(0, flat).view(idx.shape)
        return x, y

    def keep(self, keep: torch.Tensor, needs_grad: bool) -> None:
        self.ids = self.ids[keep]
        self.flat = [take_rows(p.detach(), keep).requires_grad_(needs_grad) for p in self.flat]
        if self.X_train.dim() == 3:
            self.X_train = self.X_train[keep]
        if self.y_train.dim() == 2:
            self.y_train = self.y_train[keep]
        if self.X_test.dim() == 3:
            self.X_test = self.X_test[keep]
        if self.fit_at is not None:
            self.fit_at = self.fit_at[keep]

    def test_ids(self, rows: torch.Tensor, model: Model, activation: str) -> np.ndarray:
        """The functions on E of the nets `rows` (a mask), as ids."""
        X = self.X_test[rows] if self.X_test.dim() == 3 else self.X_test
        return pack_bits(model.forward([p[rows] for p in self.flat], X, activation) > 0)


def _fits(nets: _Active, model: Model, activation: str) -> torch.Tensor:
    """Whether each net classifies all of S. Dense nets on a CPU are checked chunk by chunk
    (fused_train.chunk_size), so each chunk's layers stay in cache: 1.25x faster than all at once
    on 2000 nets of 7-40-40-1, and aligned chunks give the same bits."""
    n = chunk_size(nets.flat) if model.dense and nets.ids.device.type == "cpu" else len(nets.ids)
    y = nets.y_train > 0.5
    fits = []
    for rows in (slice(s, s + n) for s in range(0, len(nets.ids), n)):
        X = nets.X_train[rows] if nets.X_train.dim() == 3 else nets.X_train
        out = model.forward([p[rows] for p in nets.flat], X, activation)
        fits.append(((out > 0) == (y[rows] if y.dim() == 2 else y)).all(1))
    return torch.cat(fits)


def _record_fit(result: TrainResult, nets: _Active, rows: torch.Tensor, fit: torch.Tensor, epoch: int,
                model: Model, activation: str) -> np.ndarray:
    """Write the function on E, convergence and epochs of the nets `rows`, which just fit S or ran
    out of epochs, into `result`; their ids."""
    ids = nets.ids[rows].cpu().numpy()
    result.test_ids[ids] = test_ids = nets.test_ids(rows, model, activation)
    fitted = fit[rows].cpu().numpy()
    result.converged[ids] = fitted
    result.epochs[ids[fitted]] = epoch
    return test_ids


def _record_end(result: TrainResult, nets: _Active, done: torch.Tensor, test_ids: np.ndarray) -> None:
    """Write the final parameters of the finished nets `done`, and their function on E, into `result`."""
    result.test_ids_after[nets.ids[done].cpu().numpy()] = test_ids
    for (W, b), (pW, pb) in zip(result.params, pairs(nets.flat)):
        W[nets.ids[done]] = pW[done]
        b[nets.ids[done]] = pb[done]


def _finish(result: TrainResult, nets: _Active, fit: torch.Tensor, epoch: int, max_epochs: int, after: int,
            model: Model, activation: str) -> torch.Tensor | None:
    """Record what this round settles: which nets fit S now (or never will), and which are done
    (after `after` more rounds); the done mask, None when no net is."""
    if after == 0:
        done = fit if epoch < max_epochs else torch.ones_like(fit)
        if not done.any():
            return None
        _record_end(result, nets, done, _record_fit(result, nets, done, fit, epoch, model, activation))
        return done
    waiting = nets.fit_at == 0
    settled = waiting & fit if epoch < max_epochs else waiting
    if settled.any():
        _record_fit(result, nets, settled, fit, epoch, model, activation)
        nets.fit_at[settled & fit] = epoch
    done = (settled & ~fit) | ((nets.fit_at > 0) & (nets.fit_at + after <= epoch))
    if not done.any():
        return None
    _record_end(result, nets, done, nets.test_ids(done, model, activation))
    return done


def _stepper(engine: str, model: Model, optimizer: str, epochs_after_fit: int) -> tuple[Callable, bool]:
    """(the step function, whether it is the model's fused one) of checked train_networks options."""
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r} is not one of {list(ENGINES)}")
    if optimizer == "agd" and not model.dense:
        raise ValueError("optimizer 'agd' is defined for fully connected nets only; choose another optimizer")
    if epochs_after_fit < 0:
        raise ValueError(f"epochs_after_fit must be >= 0, got {epochs_after_fit}")
    if engine == "fused" and model.fused is not None:
        return model.fused, True
    return partial(autograd_step, model_forward=model.forward), False


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
    eps: float | None = None,
    engine: str = "fused",
    epochs_after_fit: int = 0,
    model: Model = MLP,
) -> TrainResult:
    """Train every net in `params` on (X_train, y_train in {0,1}); see module doc. `lr` multiplies
    the AGD step too (1.0 is the paper's AGD); `eps` None is the optimiser's torch default.
    `max_epochs` bounds the rounds, epochs (shuffle) or steps (adversarial), that `epochs` counts up
    to the fit; a net fit at round e trains on to round e + `epochs_after_fit`, past max_epochs if
    need be. Only `gen` draws randomness (batch orders or draws; past the fit, a generator seeded
    from it). X_train [m, d], y_train [m], X_test [N, d] may each be per net ([B, m, d], [B, m],
    [B, N, d]): nets on different targets or training sets train in one batch. `engine` "fused"
    runs the model's hand-written step if it has one (the MLP), else autograd, the reference."""
    step, fused = _stepper(engine, model, optimizer, epochs_after_fit)
    n_nets, m, after = params[0][0].shape[0], y_train.shape[-1], epochs_after_fit
    flat = [p.detach().clone().requires_grad_(not fused) for Wb in params for p in Wb]
    nets = _Active(model.layout(flat) if fused and model.layout else flat,
                   torch.arange(n_nets, device=X_train.device), X_train, y_train, X_test,
                   torch.zeros(n_nets, dtype=torch.long, device=X_train.device) if after else None)
    opt = Optimiser(optimizer, nets.flat, lr, momentum, betas, eps)
    result = TrainResult(np.zeros((n_nets, 2), dtype=np.uint64), np.zeros(n_nets, dtype=bool),
                         np.full(n_nets, max_epochs, dtype=np.int64), pairs([p.detach().clone() for p in nets.flat]),
                         np.zeros((n_nets, 2), dtype=np.uint64))
    batches = MiniBatches(sampler, n_nets, m, min(batch_size, m), history, gen, X_train.device,
                          side_generator(gen) if after else None)
    for epoch in range(1, max_epochs + after + 1):
        for idx in batches.round(len(nets.ids), None if nets.fit_at is None else nets.fit_at > 0):
            x_batch, y_batch = nets.batch(idx)
            step(nets.flat, x_batch, y_batch, activation, loss, opt)
            if batches.adversarial:
                with torch.no_grad():
                    batches.record(idx, per_point_loss(model.forward(nets.flat, x_batch, activation), y_batch, loss))
        with torch.no_grad():
            fit = _fits(nets, model, activation)
            done = _finish(result, nets, fit, epoch, max_epochs, after, model, activation)
            if done is not None:
                keep = (~done).nonzero().flatten()
                nets.keep(keep, not fused)
                opt.keep(keep)
                batches.keep(keep)
        if len(nets.ids) == 0:
            break
    return result
