"""Prior-sampling throughput as ratios measured in one run (arXiv 1805.08522's 7-40-40-1 net).

  job        : `nnbayes sample-prior` in a fresh process with the flags the Snakemake rule passes
               (what a job gets; a second run of one batch measures the process's start-up)
  in-process : nnbayes.prior.sampler.sample_shard called here after a warm-up (draw, forward,
               sign, pack to ids, count); this process's big GEMMs can change the allocator's
               thresholds, so only the job's rate is the sampler's
  RNG        : torch.randn of the same parameter batches alone: the sampler's ceiling on a CPU
  naive      : one torch.nn.Sequential built and run per sample, the papers' style
  GEMM       : this machine's fp32 matmul rate, the roofline for dense work

Reports nets/s; the job's sampling rate (start-up left out) as a fraction of the RNG ceiling,
its useful GFLOP/s as a fraction of the GEMM rate, job/naive and job/in-process; and the job's
CPU seconds per wall second (below 1 the machine was shared: every rate is low, the ratios
measured in the run still hold).
Usage: python benchmarks/bench_prior.py [--samples N] [--threads T]
"""

import json
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from common import gemm_gflops, parse, parser, rate, report, sync, timed

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.functions import count_ids, pack_bits
from nnbayes.core.networks import layer_widths, n_params
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


def job_seconds(n: int, a, folder: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one fresh `nnbayes sample-prior` process on n nets, flags as the rule's."""
    cube = folder / "cube.parquet"
    if not cube.exists():
        subprocess.run([shutil.which("nnbayes"), "data", "--n", "7", "--targets", "{}", "--splits",
                        '{"m": [], "seeds": []}', "--cube", str(cube), "--targets-out", str(folder / "t.parquet"),
                        "--splits-out", str(folder / "s.parquet")], check=True)
    cmd = [shutil.which("nnbayes"), "sample-prior", "--cube", str(cube), "--spec", json.dumps(SPEC),
           "--record", "functions", "--samples", str(n), "--name", "fcn/bench", "--shard", "0", "--seed", "0",
           "--batch", str(a.batch), "--device", a.device, "--dtype", "float32", "--threads", str(a.threads),
           "--out", str(folder / "shard.parquet")]
    cpu = lambda: sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), k) for k in ("ru_utime", "ru_stime"))  # noqa: E731
    cpu0 = cpu()
    wall = timed(lambda: subprocess.run(cmd, check=True, capture_output=True))[1]
    return wall, cpu() - cpu0


def in_process_rate(cube, n, device, batch) -> float:
    gen = torch.Generator(device=device).manual_seed(0)
    kw = dict(batch=batch, gen=gen, device=device, dtype=torch.float32)
    return rate(lambda: sample_shard(SPEC, cube, n, "functions", **kw), n, device)


def rng_rate(n, device, batch) -> float:
    """Nets/s of the sampler's random draws alone: one randn per batch into one buffer."""
    gen = torch.Generator(device=device).manual_seed(0)
    buf = torch.empty(batch, n_params(layer_widths(7, SPEC["depth"], SPEC["width"])), device=device)
    return rate(lambda: [torch.randn(buf.shape, generator=gen, out=buf) for _ in range(n // batch)],
                n // batch * batch, device)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--samples", type=int, default=400_000)
    p.add_argument("--naive-samples", type=int, default=300)
    p.add_argument("--batch", type=int, default=256)
    a, device = parse(p, threads=1)  # the rule's threads
    with tempfile.TemporaryDirectory() as folder:
        (job_s, job_cpu), (startup_s, _) = (job_seconds(n, a, Path(folder)) for n in (a.samples, a.batch))
    cube = boolean_cube(7)
    widths = layer_widths(7, SPEC["depth"], SPEC["width"])
    flop = 2 * len(cube) * sum(i * o for i, o in zip(widths[:-1], widths[1:]))
    sampling = (a.samples - a.batch) / (job_s - startup_s)
    rng, in_process = rng_rate(a.samples, device, a.batch), in_process_rate(cube, a.samples, device, a.batch)
    gemm = gemm_gflops(device)
    naive = naive_rate(cube, a.naive_samples, device)
    res = {"device": str(device), "threads": a.threads, "job_samples_per_s": a.samples / job_s,
           "job_startup_s": startup_s,
           "job_cpu_share": job_cpu / job_s, "job_sampling_per_s": sampling, "in_process_samples_per_s": in_process,
           "rng_ceiling_per_s": rng, "fraction_of_rng": sampling / rng, "naive_samples_per_s": naive,
           "gemm_gflops": gemm, "job_gflops": sampling * flop / 1e9, "fraction_of_gemm": sampling * flop / 1e9 / gemm,
           "speedup_vs_naive": sampling / naive, "job_vs_in_process": sampling / in_process}
    report(res, a.json, width=26)


if __name__ == "__main__":
    main()
