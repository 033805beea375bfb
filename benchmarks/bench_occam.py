"""Occam runs throughput (runs/s to 100% training accuracy) as a ratio measured in one run.

  batched : nnbayes.occam.training.boolean_runs: every (target, run) pair, each with its own training set,
            in one batch (per-net data in train.train_networks)
  naive   : the same trainer called once per run (one net, shared data) - what training one
            (target, S) at a time costs

Setup of arXiv 2304.06670 Fig. 1c: 10-layer width-40 tanh, sigma_w = 1, sigma_b = 0.1, m = 64,
Adam lr 0.001 batch 16, CE; the three seed-10 targets.

Usage: python benchmarks/bench_occam.py [--runs N] [--naive-runs N] [--threads T]
"""

import time

import numpy as np
import torch
from common import parse, parser, report, runs_result, timed

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.networks import init_params, layer_widths
from nnbayes.occam.training import boolean_runs
from nnbayes.occam.targets import graded_targets, run_masks
from nnbayes.core.train import train_networks

NET = {"depth": 10, "width": 40, "activation": "tanh", "sigma_w": 1.0, "sigma_b": 0.1}
ADAM = {"optimizer": "adam", "batch_size": 16, "lr": 0.001, "loss": "ce"}
M, MAX_EPOCHS, SEED = 64, 2000, 0
TARGETS = graded_targets({"ones": [2, 10, 21], "seed": 10, "random": 0}, 128)


def batched_rate(runs_per_target: int, device) -> tuple[float, float]:
    df, dt = timed(lambda: boolean_runs(boolean_cube(7), TARGETS, NET, ADAM, M,
                                        {t: range(runs_per_target) for t in TARGETS}, seed=SEED, batch_nets=10_000,
                                        max_epochs=MAX_EPOCHS, gen=torch.Generator(device=device).manual_seed(1),
                                        device=device, dtype=torch.float32))
    return len(df) / dt, float(df["converged"].mean())


def naive_rate(runs_per_target: int, device) -> float:
    cube = torch.as_tensor(boolean_cube(7), dtype=torch.float32, device=device)
    gen = torch.Generator(device=device).manual_seed(1)
    widths = layer_widths(7, NET["depth"], NET["width"])
    n = 0
    t0 = time.perf_counter()
    for name, y in TARGETS.items():
        for mask in run_masks(SEED, name, M, np.arange(runs_per_target), 128):
            params = init_params(widths, 1, sigma_w=NET["sigma_w"], sigma_b=NET["sigma_b"], gen=gen, device=device,
                                 dtype=torch.float32)
            s = torch.as_tensor(mask, device=device)
            train_networks(params, cube[s], torch.as_tensor(y, dtype=torch.float32, device=device)[s], cube,
                           activation=NET["activation"], optimizer=ADAM["optimizer"], lr=ADAM["lr"],
                           batch_size=ADAM["batch_size"], loss=ADAM["loss"], max_epochs=MAX_EPOCHS, gen=gen)
            n += 1
    return n / (time.perf_counter() - t0)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--runs", type=int, default=200, help="runs per target, batched")
    p.add_argument("--naive-runs", type=int, default=3, help="runs per target, one at a time")
    a, device = parse(p, threads=1)
    report(runs_result(a, device, naive_rate, batched_rate), a.json, width=20)


if __name__ == "__main__":
    main()
