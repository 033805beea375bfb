"""The paper preset's heavy stages, measured on this device and projected to their full size.

For each stage the `paper` scale runs (config.yaml, scale=paper), a short run measures the
throughput of the library code the rule calls, on whatever device is here (CUDA if present):
  * prior sampling: every prior sample set (nets/s; useful GFLOP/s and its fraction of this
    device's measured fp32 GEMM rate),
  * training: every (task, variant) of sgd_bayes (runs/s to 100% training accuracy),
  * ABI: rejection sampling for the tasks that have it (nets/s),
  * EP: P_B of the functions the posterior stage scores (functions/s at |S u E| of the task).
Each probe runs as the rule's job does: one thread (the rules' `threads: 1`), the rule's batch
sizes and the trainer's default (fused) engine. The projection is work / throughput per stage:
hours of one such job after another, and the wall time with --jobs of them side by side (the
pipeline on this machine; a cluster divides by the number of jobs running at once). The run's
CPU share (CPU seconds per wall second per thread) says how much of its cores it had: on a
shared machine every rate is low by about that factor. Usage:
  python benchmarks/bench_paper.py [--probe N] [--train-runs N] [--threads T] [--jobs J] [--device D] [--json out.json]
"""

import os
import time
from pathlib import Path

import numpy as np
import torch
import yaml
from common import gemm_gflops, parse, parser, rate, timed, write_json

from nnbayes.sgd_bayes.abi import abi_shard
from nnbayes.core.boolean import boolean_cube, target_function
from nnbayes.gp.prob import log_posterior_batch
from nnbayes.data.images import load_images
from nnbayes.core.networks import layer_widths
from nnbayes.sgd_bayes.posterior import task_kernel
from nnbayes.prior.sampler import sample_shard
from nnbayes.core.runs import train_shard
from nnbayes.core.tasks import load_task
from nnbayes.core.specs import expand_grids
from nnbayes.workflow.config import resolve

REPO = Path(__file__).resolve().parents[1]


def paper_config() -> dict:
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["scale"] = "paper"
    return resolve(config, REPO / "workflow/schemas/config.schema.yaml")


def tasks(config: dict) -> dict:
    cube = boolean_cube(config["data"]["n"])
    targets = {k: target_function(v, config["data"]["n"]) for k, v in config["data"]["targets"].items()}
    images = load_images(**config["data"]["images"])
    return {name: load_task(t["data"], cube=cube, targets=targets, images=images)
            for name, t in config["sgd_bayes"]["tasks"].items()}


def prior_rows(config, device, kw, probe, gemm) -> list[dict]:
    cube = boolean_cube(config["data"]["n"])
    rows = []
    for exp_name, exp in config["prior"]["experiments"].items():
        for point, spec in expand_grids(exp, config["prior"]["defaults"]).items():
            n = max(1, min(probe, exp["samples"]))
            r = rate(lambda: sample_shard(spec, cube, n, exp["record"], batch=config["prior"]["batch"], **kw), n,
                     device)
            flop = 0.0
            if spec["kind"] == "fcn":
                w = layer_widths(cube.shape[1], spec["depth"], spec["width"])
                flop = 2 * len(cube) * sum(i * o for i, o in zip(w[:-1], w[1:]))
            rows.append({"stage": "prior", "item": f"{exp_name}/{point}", "work": exp["samples"], "unit": "nets",
                         "per_s": r, "gemm_fraction": r * flop / 1e9 / gemm})
    return rows


def train_rows(config, device, kw, task_data, probe, abi_probe) -> list[dict]:
    rows = []
    for name, t in config["sgd_bayes"]["tasks"].items():
        for v in t["variants"]:
            variant = dict(config["sgd_bayes"]["variants"][v])
            if variant["batch_size"] == "full":
                variant["batch_size"] = len(task_data[name].y_train)
            n = min(probe, t["runs"])
            nets = min(n, config["sgd_bayes"]["batch_nets"])  # the rule's batch and engine (fused)
            r = rate(lambda: train_shard(task_data[name], t["net"], variant, n, batch_nets=nets,
                                         max_epochs=t["max_epochs"], **kw), n, device)
            rows.append({"stage": "train", "item": f"{name}/{v}", "work": t["runs"], "unit": "runs", "per_s": r})
        if "abi" in t:
            n = abi_probe
            r = rate(lambda: abi_shard(task_data[name], t["net"], n, batch=16384, **kw), n, device)
            rows.append({"stage": "abi", "item": name, "work": t["abi"]["samples"], "unit": "nets", "per_s": r})
    return rows


def ep_rows(config, task_data, probe) -> list[dict]:
    rows = []
    max_functions = config["sgd_bayes"]["posterior"]["max_functions"]
    for name, t in config["sgd_bayes"]["tasks"].items():
        task = task_data[name]
        K = task_kernel(task, t["net"])
        m, n = len(task.y_train), len(task.y_test)
        Y = np.random.default_rng(0).integers(0, 2, (probe, n))
        _, dt = timed(lambda: log_posterior_batch(K, task.y_train, Y, np.arange(m), np.arange(m, m + n), "ep"))
        rows.append({"stage": "ep", "item": name, "work": max_functions, "unit": "functions", "per_s": probe / dt})
    return rows


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--probe", type=int, default=20_000, help="prior (and ABI: x10) nets per probe")
    p.add_argument("--train-runs", type=int, default=500, help="training runs per probe, trained side by side")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="jobs side by side in the wall-time projection")
    a, device = parse(p, threads=1, json_help="also write the table here")
    clock = time.perf_counter(), time.process_time()
    kw = {"gen": torch.Generator(device=device).manual_seed(0), "device": device, "dtype": torch.float32}
    config = paper_config()
    gemm = gemm_gflops(device, size=4096)
    task_data = tasks(config)
    rows = (prior_rows(config, device, kw, a.probe, gemm)
            + train_rows(config, device, kw, task_data, a.train_runs, 10 * a.probe)
            + ep_rows(config, task_data, max(a.probe // 1000, 8)))
    for r in rows:
        r["projected_h"] = r["work"] / r["per_s"] / 3600
    total = sum(r["projected_h"] for r in rows)
    cpu_share = (time.process_time() - clock[1]) / (time.perf_counter() - clock[0]) / a.threads
    print(f"device {device} ({a.threads} threads, CPU share {cpu_share:.2f}), fp32 GEMM {gemm:.1f} GFLOP/s")
    print(f"{'stage':<6} {'item':<44} {'work':>10} {'per s':>10} {'hours':>8} {'GEMM %':>7}")
    for r in rows:
        frac = f"{100 * r['gemm_fraction']:.1f}" if r.get("gemm_fraction") else ""
        print(f"{r['stage']:<6} {r['item']:<44} {r['work']:>10.3g} {r['per_s']:>10.4g} {r['projected_h']:>8.3f} {frac:>7}")
    by_stage = {s: sum(r["projected_h"] for r in rows if r["stage"] == s) for s in dict.fromkeys(r["stage"] for r in rows)}
    print("projected hours by stage:", {k: round(v, 2) for k, v in by_stage.items()},
          f"total {total:.2f} h one job after another, {total / a.jobs:.2f} h wall with {a.jobs} jobs at once")
    write_json({"device": str(device), "threads": a.threads, "cpu_share": cpu_share, "gemm_gflops": gemm, "rows": rows,
                "hours_by_stage": by_stage, "hours_total": total, "jobs": a.jobs, "hours_wall": total / a.jobs}, a.json)


if __name__ == "__main__":
    main()
