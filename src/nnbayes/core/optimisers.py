"""Per-net optimisers on stacked tensors: every parameter is [B, ...], one slice per net, and each
rule acts elementwise (or per net), so B nets step at once exactly as B separate torch.optim
optimisers would.

SGD (optional momentum), Adam, Adagrad, Adadelta and RMSprop follow torch.optim's formulas
and defaults: Adagrad eps 1e-10, initial accumulator 0; Adadelta rho 0.9, eps 1e-6 (eps inside
both square roots); RMSprop alpha 0.99, eps 1e-8 (outside the root), no momentum, not centred.
The authors (arXiv 2006.15191) trained with Keras optimisers, whose defaults differ
(tf.keras 2.x): Adagrad initial accumulator 0.1, eps 1e-7; Adadelta rho 0.95, eps 1e-7;
RMSprop rho 0.9, eps 1e-7 (TensorFlow's kernel adds it inside the square root); and every
Keras learning rate defaults to 1e-3. We chose torch's, so that each rule is checked against
torch.optim itself (tests/core/test_optimisers.py); the learning rate is the variant's `lr`.
AGD (Bernstein, Mingard et al., arXiv 2304.05187) groups the biases per layer as in
`agd_prime`; it is defined for fully connected layers only.
"""

import copy
from collections.abc import Iterable

import torch

from nnbayes.core.networks import take_rows

OPTIMIZERS = ("sgd", "adam", "agd", "adagrad", "adadelta", "rmsprop")
EPS = {"adam": 1e-8, "adagrad": 1e-10, "adadelta": 1e-6, "rmsprop": 1e-8}  # torch.optim's defaults
ADADELTA_RHO, RMSPROP_ALPHA = 0.9, 0.99
N_STATE = {"adam": 2, "agd": 0, "adagrad": 1, "adadelta": 2, "rmsprop": 1}  # SGD: 1 with momentum


def _frob(g: torch.Tensor) -> torch.Tensor:
    """Per-net Frobenius norm, broadcastable against g."""
    return g.flatten(1).norm(dim=1).view(-1, *([1] * (g.dim() - 1)))


class Optimiser:
    """Per-net optimiser state on stacked tensors; `keep` compacts it with the batch.
    `eps` None: the optimiser's torch default (EPS)."""

    def __init__(self, name: str, params: list[torch.Tensor], lr: float, momentum: float = 0.0,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float | None = None):
        if name not in OPTIMIZERS:
            raise ValueError(f"optimizer {name!r} is not one of {list(OPTIMIZERS)}")
        self.name, self.lr, self.momentum, self.betas = name, lr, momentum, betas
        self.eps = EPS.get(name, 0.0) if eps is None else eps
        n_state = int(momentum != 0) if name == "sgd" else N_STATE[name]
        self.state = [[torch.zeros_like(p) for p in params] for _ in range(n_state)]
        self.t = 0
        self._rule = None if name == "agd" else getattr(self, f"_{name}")

    def keep(self, idx: torch.Tensor) -> None:
        self.state = [[take_rows(s, idx) for s in group] for group in self.state]

    def rows(self, rows: slice) -> "Optimiser":
        """This optimiser on the nets `rows` alone (a chunk of fused_train's step): its state is
        views into this one's, so the chunk's updates land here. Without state (SGD without
        momentum, AGD) that is this optimiser itself."""
        if not self.state:
            return self
        part = copy.copy(self)
        part.state = [[s[rows] for s in group] for group in self.state]
        part._rule = None if self.name == "agd" else getattr(part, f"_{self.name}")
        return part

    def step(self, params: list[torch.Tensor], grads: Iterable[tuple[int, torch.Tensor]]) -> None:
        """One update of every net."""
        self.t += 1
        self.apply(params, grads)

    @torch.no_grad()
    def apply(self, params: list[torch.Tensor], grads: Iterable[tuple[int, torch.Tensor]]) -> None:
        """Update every net from (index into params, gradient) pairs, leaving `t` to the caller.
        All but AGD apply each pair as it comes, so a fused backward updates a layer while its
        gradient is still in cache; AGD needs every layer's norm first. The gradients are spent:
        SGD scales them in place."""
        if self.name == "agd":
            by_index = dict(grads)
            self._agd(params, [by_index[i] for i in range(len(params))])
            return
        for i, g in grads:
            self._rule(params[i], g, [group[i] for group in self.state])

    def _sgd(self, p: torch.Tensor, g: torch.Tensor, state: list[torch.Tensor]) -> None:
        """Velocity v <- momentum v + g, skipped at momentum 0 where v = g, which is then scaled in
        place (the same product lr * g, without a temporary the size of the parameters)."""
        if state:
            p.sub_(self.lr * state[0].mul_(self.momentum).add_(g))
        else:
            p.sub_(g.mul_(self.lr))

    def _adam(self, p: torch.Tensor, g: torch.Tensor, state: list[torch.Tensor]) -> None:
        (b1, b2), (m, v) = self.betas, state
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (v / (1 - b2**self.t)).sqrt_().add_(self.eps)
        p.addcdiv_(m, denom, value=-self.lr / (1 - b1**self.t))

    def _adagrad(self, p: torch.Tensor, g: torch.Tensor, state: list[torch.Tensor]) -> None:
        """Sum of squared gradients s; p <- p - lr g / (sqrt(s) + eps)."""
        s = state[0].addcmul_(g, g, value=1)
        p.addcdiv_(g, s.sqrt().add_(self.eps), value=-self.lr)

    def _adadelta(self, p: torch.Tensor, g: torch.Tensor, state: list[torch.Tensor]) -> None:
        """Running means of g^2 (v) and of the squared steps (u); step sqrt(u + eps)/sqrt(v + eps) g."""
        v, u = state
        v.mul_(ADADELTA_RHO).addcmul_(g, g, value=1 - ADADELTA_RHO)
        delta = u.add(self.eps).sqrt_().div_(v.add(self.eps).sqrt_()).mul_(g)
        u.mul_(ADADELTA_RHO).addcmul_(delta, delta, value=1 - ADADELTA_RHO)
        p.add_(delta, alpha=-self.lr)

    def _rmsprop(self, p: torch.Tensor, g: torch.Tensor, state: list[torch.Tensor]) -> None:
        """Running mean v of g^2; p <- p - lr g / (sqrt(v) + eps)."""
        v = state[0].mul_(RMSPROP_ALPHA).addcmul_(g, g, value=1 - RMSPROP_ALPHA)
        p.addcdiv_(g, v.sqrt().add_(self.eps), value=-self.lr)

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
