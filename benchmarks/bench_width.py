"""Width-experiment training throughput (net-steps/s) as a ratio measured in one run.

  batched : nnbayes.ensemble.width_limit.train, every net of one width as 3-D tensors with hand-written
            gradients (4 XOR points in 2-D, NTK parametrisation, full-batch GD)
  naive   : one nn.Module + torch.optim.SGD (autograd) per net, the same steps and rates

Both run a fixed number of steps (tol = 0), so the ratio is per unit of work.
Usage: python benchmarks/bench_width.py [--width N] [--nets B] [--naive-nets B] [--steps S]
"""

import math
import time

import torch
from common import parse, parser, per_second, report, sync

from nnbayes.ensemble.width_limit import init_nets, train, xor_data

NET = {"sigma_w": 2**0.5, "sigma_b": 1.0}
DATA = {"labels": "xor", "half_side": 0.8, "jitter": 0.05, "seed": 0}
LR = 0.02


def data(device):
    X, y = xor_data(DATA)
    return (torch.as_tensor(X, dtype=torch.float32, device=device),
            torch.as_tensor(y, dtype=torch.float32, device=device))


def draw(width, n, device):
    return init_nets(width, n, 2, gen=torch.Generator(device=device).manual_seed(0), device=device,
                     dtype=torch.float32)


class Net(torch.nn.Module):
    """One net of the batched parametrisation (raw N(0, 1) parameters, scales in the forward)."""

    def __init__(self, p: dict, k: int):
        super().__init__()
        self.W, self.b, self.a = (torch.nn.Parameter(p[n][k].clone()) for n in ("W", "b", "a"))
        self.c = torch.nn.Parameter(p["c"][k].clone())

    def forward(self, X):
        h = (NET["sigma_w"] / math.sqrt(X.shape[1])) * X @ self.W.T + NET["sigma_b"] * self.b
        return (NET["sigma_w"] / math.sqrt(len(self.a))) * torch.relu(h) @ self.a + NET["sigma_b"] * self.c


def naive_rate(width, n, steps, device) -> float:
    X, y = data(device)
    p = draw(width, n, device)
    t0 = time.perf_counter()
    for k in range(n):
        net = Net(p, k)
        opt = torch.optim.SGD([{"params": [net.W, net.b], "lr": LR / width}, {"params": [net.a, net.c], "lr": LR}])
        for _ in range(steps):
            loss = 0.5 * ((net(X) - y) ** 2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
    sync(device)
    return n * steps / (time.perf_counter() - t0)


def batched_rate(width, n, steps, device) -> float:
    X, y = data(device)
    p = draw(width, n, device)
    lr = torch.full((n,), LR, device=device)
    hidden = torch.full((n,), 1 / width, device=device)
    train(draw(width, n, device), X, y, lr, hidden, **NET, tol=0.0, max_steps=5, check_every=10)  # warm-up
    return per_second(lambda: train(p, X, y, lr, hidden, **NET, tol=0.0, max_steps=steps, check_every=10), n * steps,
                      device)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--nets", type=int, default=32)
    p.add_argument("--naive-nets", type=int, default=4)
    p.add_argument("--steps", type=int, default=400)
    a, device = parse(p, threads=1)
    naive = naive_rate(a.width, a.naive_nets, a.steps, device)
    batched = batched_rate(a.width, a.nets, a.steps, device)
    res = {"device": str(device), "threads": a.threads, "width": a.width, "naive_net_steps_per_s": naive,
           "batched_net_steps_per_s": batched, "speedup_vs_naive": batched / naive}
    report(res, a.json, width=24)


if __name__ == "__main__":
    main()
