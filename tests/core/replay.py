"""The independent reference for train.train_networks: every net alone, one torch.nn.Module and one
torch.optim optimiser each, stepped one at a time in Python, on the mini-batches the trainer
draws. The only thing shared with the trainer is its batch protocol: each epoch, the nets still
fitting S (in input order) take rows of torch.rand(n, m, generator=gen).argsort(1), and nets past
their fit take rows of the same draw from train.side_generator(gen)."""

from dataclasses import dataclass

import numpy as np
import torch

from nnbayes.core.functions import pack_bits
from nnbayes.core.train import side_generator

TORCH_OPTIM = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adagrad": torch.optim.Adagrad,
               "adadelta": torch.optim.Adadelta, "rmsprop": torch.optim.RMSprop}


@dataclass
class Reference:
    test_ids: np.ndarray
    converged: np.ndarray
    epochs: np.ndarray
    test_ids_after: np.ndarray
    params: list[list[torch.Tensor]]  # per net, its parameters in module order


def mlp_modules(params) -> list[torch.nn.Module]:
    """One nn.Sequential of Linear/ReLU per net of the batched MLP `params`."""
    nets = []
    for k in range(params[0][0].shape[0]):
        layers = []
        for i, (W, b) in enumerate(params):
            lin = torch.nn.Linear(W.shape[2], W.shape[1], dtype=W.dtype)
            lin.weight.data, lin.bias.data = W[k].clone(), b[k].clone()
            layers += [lin] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
        nets.append(torch.nn.Sequential(*layers))
    return nets


def _fits(net, X, y) -> bool:
    with torch.no_grad():
        return bool(((net(X).squeeze(-1) > 0) == (y > 0.5)).all())


def _ids(net, X_test) -> np.ndarray:
    with torch.no_grad():
        return pack_bits(net(X_test).squeeze(-1)[None] > 0)[0]


def reference_runs(nets: list[torch.nn.Module], X, y, X_test, *, optimizer: str, lr: float, bs: int,
                   max_epochs: int, seed: int, after: int = 0) -> Reference:
    """Train each net alone as train_networks would (see module doc); `after` extra epochs past the fit."""
    n, m = len(nets), len(y)
    gen = torch.Generator().manual_seed(seed)
    side = side_generator(gen) if after else None
    opts = [TORCH_OPTIM[optimizer](net.parameters(), lr=lr) for net in nets]
    ref = Reference(np.zeros((n, 2), np.uint64), np.zeros(n, bool), np.full(n, max_epochs), np.zeros((n, 2), np.uint64), [])
    fit_at, active = {}, list(range(n))
    for epoch in range(1, max_epochs + after + 1):
        fitting = [k for k in active if k not in fit_at]
        past = [k for k in active if k in fit_at]
        orders = dict(zip(fitting, torch.rand(len(fitting), m, generator=gen).argsort(1))) if fitting else {}
        if past:
            orders.update(zip(past, torch.rand(len(past), m, generator=side).argsort(1)))
        for k in active:
            for idx in orders[k].split(bs):
                loss = torch.nn.functional.binary_cross_entropy_with_logits(nets[k](X[idx]).squeeze(-1), y[idx])
                opts[k].zero_grad()
                loss.backward()
                opts[k].step()
        for k in list(active):
            if k not in fit_at and (_fits(nets[k], X, y) or epoch >= max_epochs):
                ref.test_ids[k], ref.converged[k] = _ids(nets[k], X_test), _fits(nets[k], X, y)
                fit_at[k] = epoch if ref.converged[k] else -after  # not converged: done now
                ref.epochs[k] = epoch if ref.converged[k] else max_epochs
            if k in fit_at and epoch >= fit_at[k] + after:
                ref.test_ids_after[k] = _ids(nets[k], X_test)
                active.remove(k)
        if not active:
            break
    ref.params = [[p.detach() for p in net.parameters()] for net in nets]
    return ref
