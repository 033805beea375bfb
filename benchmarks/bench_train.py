"""Training throughput (runs/s to 100% training accuracy) as ratios measured in one run.

  batched  : nnbayes.core.train.train_networks with its default engine, fused_train's hand-written
             backward on in-major weights, nets stepped in cache-sized chunks (arXiv 2006.15191
             setup: 7-40-40-1 ReLU, sigma_w = sigma_b = 1, m = 32, SGD lr 0.01 batch 8, CE); all
             nets as 3-D tensors; the same bits as autograd
  autograd : the same with engine="autograd", the reference the fused engine replaced
  baseline : train_networks as it was at git revision --baseline (827cc0f: the trainer before
             the fused engine, which issue 13's "twice as fast" is measured against), imported
             beside today's package from the git history; per-round ratios, as the machine's
             neighbours move single rounds by up to 1.5x
  naive    : one nn.Module + torch.optim.SGD per run, trained to 100% training accuracy
  GEMM     : this machine's fp32 matmul rate, the roofline for the batched trainer's useful
             GFLOP/s (the matmuls of its steps and of its per-epoch check on S)

Usage: python benchmarks/bench_train.py [--runs N] [--naive-runs N] [--repeats R] [--baseline REV] [--threads T]
"""

import importlib
import math
import statistics
import time
from functools import partial

import torch
from common import fit_one, gemm_gflops, package_at, parse, parser, report, rounds, runs_result

from nnbayes.core.boolean import boolean_cube, target_function, train_mask
from nnbayes.core.networks import init_params, layer_widths
from nnbayes.core.train import TrainResult, train_networks

TARGET = {"kind": "bits", "bits": "00001111" * 16}  # the note's best smoke target (C_LZ 31.5)
LR, BATCH, MAX_EPOCHS = 0.01, 8, 2000


def data(device):
    X = torch.as_tensor(boolean_cube(7), dtype=torch.float32, device=device)
    y = torch.as_tensor(target_function(TARGET, 7), dtype=torch.float32, device=device)
    mask = torch.as_tensor(train_mask(128, 32, 0), device=device)
    return X[mask], y[mask], X[~mask]


def draw(n, device, seed=0):
    gen = torch.Generator(device=device).manual_seed(seed)
    return init_params(layer_widths(7, 2, 40), n, sigma_w=1.0, sigma_b=1.0, gen=gen, device=device,
                       dtype=torch.float32)


def naive_rate(n, device) -> float:
    X, y, X_test = data(device)
    params = draw(n, device)
    t0 = time.perf_counter()
    for k in range(n):
        layers = []
        for i, (W, b) in enumerate(params):
            lin = torch.nn.Linear(W.shape[2], W.shape[1], device=device)
            lin.weight.data, lin.bias.data = W[k].clone(), b[k].clone()
            layers += [lin] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
        net = torch.nn.Sequential(*layers)
        fit_one(net, X, y, X_test, lr=LR, batch=BATCH, max_epochs=MAX_EPOCHS)
    return n / (time.perf_counter() - t0)


def useful_flop(res: TrainResult, m: int, widths: list[int]) -> float:
    """Matmul FLOP the runs needed: per step, forward, weight gradients and the input gradients
    of all but the first layer on a batch; per epoch, the forward on all of S that checks the fit."""
    layers = [i * o for i, o in zip(widths[:-1], widths[1:])]
    step = 2 * BATCH * (2 * sum(layers) + sum(layers[1:]))
    epoch = math.ceil(m / BATCH) * step + 2 * m * sum(layers)
    return float(res.epochs.sum()) * epoch


def trainer_rates(n, device, repeats: int, baseline: str | None) -> tuple[dict, dict]:
    """Per trainer: (runs/s, converged fraction, useful GFLOP/s) of train_networks, the best of
    `repeats` interleaved rounds by process CPU time (on a shared machine wall time mostly
    measures the neighbours; measured here, wall-time ratios moved by +-30 % between runs); and
    the fused engine against the others round by round, and whether their runs are the same."""
    X, y, X_test = data(device)
    nets = draw(n, device)
    opts = dict(activation="relu", optimizer="sgd", lr=LR, batch_size=BATCH, loss="ce", max_epochs=MAX_EPOCHS)
    fns = {engine: partial(train_networks, nets, X, y, X_test, engine=engine, **opts)
           for engine in ("fused", "autograd")}
    if baseline:
        fns["baseline"] = partial(importlib.import_module(f"{baseline}.core.train").train_networks, nets, X, y,
                                  X_test, **opts)
    out, times = rounds({k: lambda f=f: f(gen=torch.Generator(device=device).manual_seed(1)) for k, f in fns.items()},
                        repeats, device)
    rates = {k: (n / min(times[k]), float(out[k].converged.mean()),
                 useful_flop(out[k], len(y), layer_widths(7, 2, 40)) / min(times[k]) / 1e9) for k in fns}
    versus = {}
    for k in fns.keys() - {"fused"}:
        ratios = [t / f for t, f in zip(times[k], times["fused"])]
        versus[k] = {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios),
                     "same": bool((out[k].test_ids == out["fused"].test_ids).all()
                                  and (out[k].epochs == out["fused"].epochs).all())}
    return rates, versus


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--runs", type=int, default=2000)
    p.add_argument("--naive-runs", type=int, default=20)
    p.add_argument("--repeats", type=int, default=5, help="interleaved rounds of the trainers")
    p.add_argument("--baseline", default="827cc0f", help="git revision of the baseline trainer; '' for none")
    a, device = parse(p, threads=2)
    gemm = gemm_gflops(device)
    baseline = package_at(a.baseline) if a.baseline else None
    rates, versus = trainer_rates(a.runs, device, a.repeats, baseline)
    fused = rates["fused"]
    res = runs_result(a, device, naive_rate, lambda n, device: fused[:2])
    res.update({"gemm_gflops": gemm, "batched_gflops": fused[2], "fraction_of_gemm": fused[2] / gemm})
    for k, v in versus.items():
        res.update({f"{k}_runs_per_s": rates[k][0], f"speedup_vs_{k}": fused[0] / rates[k][0],
                    f"speedup_vs_{k}_rounds": f"median {v['median']:.3f} ({v['min']:.2f}-{v['max']:.2f})",
                    f"{k}_same_runs": v["same"]})
    if a.baseline and not baseline:
        res["baseline"] = f"{a.baseline} not in this checkout's git history: not measured"
    report(res, a.json, width=24)


if __name__ == "__main__":
    main()
