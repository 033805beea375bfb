"""SGLD throughput (chain-steps/s) as a ratio measured in one run.

  batched : nnbayes.meanfield.sgld.step, all chains as 3-D tensors a [C, N], W [C, N, d], hand-written
            gradients (the default-scale setting: parity d = 10, N = 64, P = 128)
  naive   : one two-layer nn.Module per chain, autograd for grad U, the same Langevin update,
            chains advanced one after another

Usage: python benchmarks/bench_sgld.py [--chains C] [--naive-chains C] [--steps S] [--threads T]
"""

import math
import time

import torch
from common import parse, parser, per_second, report

from nnbayes.meanfield.sgld import Prior, init_chains, step
from nnbayes.meanfield.sparse_tasks import make_task

D, K, WIDTH, P, KAPPA = 10, 2, 64, 128, 0.05
LR = 0.4 / P


def data(device):
    task = make_task({"kind": "parity", "d": D, "k": K}, P, 1, seed=0)
    as_t = lambda v: torch.as_tensor(v, dtype=torch.float32, device=device)  # noqa: E731
    return as_t(task.X_train), as_t(task.y_train)


def naive_rate(chains: int, steps: int, device) -> float:
    X, y = data(device)
    prior = Prior()
    gen = torch.Generator(device=device).manual_seed(0)
    a0, W0 = init_chains(chains, WIDTH, D, prior, gen=gen, device=device, dtype=torch.float32)
    t0 = time.perf_counter()
    for c in range(chains):
        hidden = torch.nn.Linear(D, WIDTH, bias=False, device=device)
        out = torch.nn.Linear(WIDTH, 1, bias=False, device=device)
        hidden.weight.data, out.weight.data = W0[c].clone(), a0[c : c + 1].clone()
        params = [hidden.weight, out.weight]
        for _ in range(steps):
            f = out(torch.relu(hidden(X))).squeeze(-1) / math.sqrt(WIDTH)
            U = 0.5 * ((f - y) ** 2).sum() + 0.5 * KAPPA * ((out.weight**2).sum() + D * (hidden.weight**2).sum())
            grads = torch.autograd.grad(U, params)
            with torch.no_grad():
                for p, g in zip(params, grads):
                    p.add_(g, alpha=-LR).add_(torch.randn(p.shape, generator=gen, device=device),
                                              alpha=math.sqrt(2 * LR * KAPPA))
    return chains * steps / (time.perf_counter() - t0)


def batched_rate(chains: int, steps: int, device) -> float:
    X, y = data(device)
    prior = Prior()
    gen = torch.Generator(device=device).manual_seed(1)
    a, W = init_chains(chains, WIDTH, D, prior, gen=gen, device=device, dtype=torch.float32)
    return per_second(lambda: [step(a, W, X, y, torch.randn(a.shape, generator=gen, device=device),
                                    torch.randn(W.shape, generator=gen, device=device), lr=LR, kappa=KAPPA,
                                    prior=prior) for _ in range(steps)], chains * steps, device)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--chains", type=int, default=64)
    p.add_argument("--naive-chains", type=int, default=4)
    p.add_argument("--steps", type=int, default=500)
    a, device = parse(p, threads=1)
    naive = naive_rate(a.naive_chains, a.steps, device)
    batched = batched_rate(a.chains, a.steps, device)
    res = {"device": str(device), "threads": a.threads, "chains": a.chains, "naive_chain_steps_per_s": naive,
           "batched_chain_steps_per_s": batched, "speedup_vs_naive": batched / naive}
    report(res, a.json, width=26)


if __name__ == "__main__":
    main()
