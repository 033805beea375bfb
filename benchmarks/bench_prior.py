"""Prior-sampling throughput as ratios measured in one run (arXiv 1805.08522's 7-40-40-1 net).

  batched  : nnbayes.prior.sampler.sample_shard (draw, forward, sign, pack to ids, count)
  naive    : one torch.nn.Sequential built and run per sample, the papers' style
  GEMM     : this machine's fp32 matmul rate, the roofline for dense work

Reports samples/s, batched/naive, and the batched sampler's useful GFLOP/s as a fraction
of the GEMM rate. Usage: python benchmarks/bench_prior.py [--samples N] [--threads T]
"""

import time

import numpy as np
import torch
from common import gemm_gflops, parse, parser, per_second, report, sync

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.functions import count_ids, pack_bits
from nnbayes.core.networks import layer_widths
from nnbayes.prior.sampler import sample_shard

SPEC = {"kind": "fcn", "depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0,
        "sigma_b": 0.0, "inputs": "binary"}


def naive_rate(cube, n, device) -> float:
    """One nn.Module per sample: init, forward, sign, pack, then count."""
    X = torch.as_tensor(cube, dtype=torch.float32, device=device)
    widths = layer_widths(cube.shape[1], SPEC["depth"], SPEC["width"])
    t0 = time.perf_counter()
    ids = []
    for _ in range(n):
        layers = []
        for k, (i, o) in enumerate(zip(widths[:-1], widths[1:])):
            lin = torch.nn.Linear(i, o, device=device)
            torch.nn.init.normal_(lin.weight, std=SPEC["sigma_w"] / i**0.5)
            torch.nn.init.normal_(lin.bias, std=SPEC["sigma_b"]) if SPEC["sigma_b"] else torch.nn.init.zeros_(lin.bias)
            layers += [lin] + ([torch.nn.ReLU()] if k < len(widths) - 2 else [])
        with torch.no_grad():
            ids.append(pack_bits((torch.nn.Sequential(*layers)(X).T > 0)))
    count_ids(np.concatenate(ids))
    sync(device)
    return n / (time.perf_counter() - t0)


def batched_rate(cube, n, device, batch) -> float:
    gen = torch.Generator(device=device).manual_seed(0)
    kw = dict(batch=batch, gen=gen, device=device, dtype=torch.float32)
    sample_shard(SPEC, cube, batch, "functions", **kw)  # warm-up
    sync(device)
    return per_second(lambda: sample_shard(SPEC, cube, n, "functions", **kw), n, device)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--samples", type=int, default=200_000)
    p.add_argument("--naive-samples", type=int, default=300)
    p.add_argument("--batch", type=int, default=256)
    a, device = parse(p, threads=2)
    cube = boolean_cube(7)
    widths = layer_widths(7, SPEC["depth"], SPEC["width"])
    flop = 2 * len(cube) * sum(i * o for i, o in zip(widths[:-1], widths[1:]))
    gemm = gemm_gflops(device)
    naive = naive_rate(cube, a.naive_samples, device)
    batched = batched_rate(cube, a.samples, device, a.batch)
    res = {"device": str(device), "threads": a.threads, "naive_samples_per_s": naive,
           "batched_samples_per_s": batched, "gemm_gflops": gemm,
           "batched_gflops": batched * flop / 1e9, "speedup_vs_naive": batched / naive,
           "fraction_of_gemm": batched * flop / 1e9 / gemm}
    report(res, a.json, width=24)


if __name__ == "__main__":
    main()
