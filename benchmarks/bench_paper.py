"""The paper preset's heavy stages, measured on this device and projected to their full size.

For each stage the `paper` scale runs (config.yaml, scale=paper), a short run measures the
throughput of the library code the rule calls, on whatever device is here (CUDA if present):
  * prior sampling: every prior sample set (nets/s; useful GFLOP/s and its fraction of this
    device's measured fp32 GEMM rate),
  * training: every (task, variant) of sgd_bayes. Boolean and digits tasks: runs/s to 100%
    training accuracy at full size. MNIST / Fashion-MNIST tasks (28x28, |S| = 10^4) are too slow
    for that: --image-runs nets train on the first --image-m (FCN) or --cnn-m (CNN) images of S,
    capped at --image-epochs; the projection is (seconds per run-epoch, scaled by |S| / probe m:
    an epoch's cost is linear in |S|) x (the probe's median epochs + epochs_after_fit). A median
    at the cap is a lower bound, marked `censored`,
  * ABI: rejection sampling for the tasks that have it (nets/s),
  * P_B on the full route (Boolean, digits): task_kernel + EP on S u E per function,
  * P_B on the two-stage route (pb_route: two_stage): the kernel on S u E (CNN-GP pairs/s on
    --kernel-points images, projected to N (N + 1) / 2 pairs, N = |S| + |E|, once per CNN-GP
    the posterior job builds; the FCN's NNGP likewise on --nngp-points), the first stage (one EP
    on S) timed at |S| = --first-m and scaled by (|S| / first-m)^3, once per EP on S the job runs
    (matched, tilting, each baseline, log P(S)); a CNN task's first stage is timed on the NNGP of
    the same inputs (a CNN-GP at that |S| is itself hours), and the second stage per function.
MNIST / Fashion-MNIST not in the cache (or data.images.root): the preset is planned with a
stand-in cache (empty files: the planner only checks presence) and timed on stand-in images of
the real shapes (60000 + 10000, 28x28, uniform pixels, labels of a fixed random linear teacher:
separable, so training ends). Rows measured on them say `stand-in`: their per-epoch and
per-pair costs are right, their epoch counts are not MNIST's.
Each probe runs as the rule's job does: one thread, the rule's batch sizes and the trainer's
default (fused) engine. The projection is work / throughput per stage: hours of one job after
another, and the wall time with --jobs of them side by side. The CPU share (CPU seconds per wall
second per thread) says how much of its cores the run had: on a shared machine every rate is low
by about that factor. Usage:
  python benchmarks/bench_paper.py [--probe N] [--train-runs N] [--image-runs N] [--jobs J] [--json out.json]
"""

import dataclasses
import os
import tempfile
import time
from functools import partial
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch
import yaml
from common import gemm_gflops, parse, parser, rate, timed, write_json

from nnbayes.core.boolean import boolean_cube, target_function
from nnbayes.core.errors import DataError
from nnbayes.core.networks import layer_widths
from nnbayes.core.runs import train_shard
from nnbayes.core.specs import expand_grids
from nnbayes.core.tasks import Task, load_task
from nnbayes.data.download import REGISTRY, default_cache, is_cached
from nnbayes.data.images import IDX_SOURCES, load_images
from nnbayes.gp.ep import ep_batch
from nnbayes.gp.prob import log_posterior_batch
from nnbayes.gp.two_stage import condition_on_train
from nnbayes.prior.sampler import sample_shard
from nnbayes.sgd_bayes.abi import abi_shard
from nnbayes.sgd_bayes.plan import image_source
from nnbayes.sgd_bayes.posterior import baseline_net, task_kernel
from nnbayes.workflow.config import resolve

REPO = Path(__file__).resolve().parents[1]
# CPU s of one first stage at |S| = 10^4: bench_two_stage --n-train 10000 (808 with EP's B-form)
HAND_FIRST_STAGE_S = 441.0
PAPER_M = 10_000


def local(images: dict, source: str) -> bool:
    """Whether an IDX set is on this machine: under data.images.root, or complete in the cache."""
    if images.get("root") is not None:
        return (Path(images["root"]) / source).is_dir()
    return is_cached(source, default_cache(images.get("cache")))


def paper_config() -> tuple[dict, set[str]]:
    """(the resolved paper preset, the IDX sets planned from a stand-in cache). Offline the planner
    refuses a set that is not local; a temporary cache of empty files lets it plan (it checks
    presence only), and the resolved config keeps the real cache setting for loading."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["scale"] = "paper"
    images = config["data"]["images"]
    missing = {s for s in IDX_SOURCES if not local(images, s)}
    schema = REPO / "workflow/schemas/config.schema.yaml"
    if not missing:
        return resolve(config, schema), missing
    with tempfile.TemporaryDirectory() as folder:
        for name, remote in REGISTRY.items():
            (Path(folder) / name).mkdir()
            for f in remote.files:
                (Path(folder) / name / f).touch()
        resolved = resolve(config, schema, {"data": {"images": {"cache": folder, "root": None}}})
    resolved["data"]["images"].update(cache=images.get("cache"), root=images.get("root"))
    return resolved, missing


def stand_in_images(source: str, n_train: int = 60_000, n_test: int = 10_000, side: int = 28) -> dict:
    """Images of an IDX set's shapes, learnable: uniform pixels, labels = sign of a fixed random
    linear teacher on the centred pixels (separable, so every run can reach 100%)."""
    rng = np.random.default_rng(sum(map(ord, source)))
    w = rng.standard_normal(side * side)
    X = rng.random((n_train + n_test, side * side), dtype=np.float32)
    y = ((X - 0.5) @ w > 0).astype(np.uint8)
    return {"X": X[:n_train], "y": y[:n_train], "X_test": X[n_train:], "y_test": y[n_train:]}


def image_set(config: dict, source: str) -> tuple[dict, bool]:
    """(arrays of one image set, whether they are a stand-in): a local set is loaded (checksummed);
    one that is not local, or fails its checksum, is stood in for."""
    images = {**config["data"]["images"], "source": source}
    if source in IDX_SOURCES and not local(images, source):
        return stand_in_images(source), True
    try:
        return load_images(**images), False
    except (DataError, ValueError, OSError):
        return stand_in_images(source), True


def tasks(config: dict) -> tuple[dict[str, Task], set[str]]:
    """({task name: Task}, the names of the tasks on stand-in images); each image set loaded once."""
    cube = boolean_cube(config["data"]["n"])
    targets = {k: target_function(v, config["data"]["n"]) for k, v in config["data"]["targets"].items()}
    sets, out, stand_in = {}, {}, set()
    for name, t in config["sgd_bayes"]["tasks"].items():
        images = None
        if t["data"]["kind"] == "images":
            source = image_source(config, t["data"])
            if source not in sets:
                sets[source] = image_set(config, source)
            images, fake = sets[source]
            if fake:
                stand_in.add(name)
        out[name] = load_task(t["data"], cube=cube, targets=targets, images=images)
    return out, stand_in


def subset(task: Task, m: int, n_test: int | None = None) -> Task:
    """The first m images of S (and n_test of E): a smaller problem of the same kind."""
    n_test = len(task.y_test) if n_test is None else n_test
    return dataclasses.replace(task, X_train=task.X_train[:m], y_train=task.y_train[:m], X_test=task.X_test[:n_test],
                               y_test=task.y_test[:n_test], order=task.order[: m + n_test])


def row(stage: str, item: str, work: float, unit: str, per_s: float, fake: bool = False, **extra) -> dict:
    """One table row; a stand-in row says so in its name and JSON."""
    return {"stage": stage, "item": item + (" stand-in" if fake else ""), "work": work, "unit": unit,
            "per_s": per_s, "stand_in": fake, **extra}


def prior_rows(config, device, kw, probe, gemm) -> list[dict]:
    cube = boolean_cube(config["data"]["n"])
    rows = []
    for exp_name, exp in config["prior"]["experiments"].items():
        for point, spec in expand_grids(exp, config["prior"]["defaults"]).items():
            n = max(1, min(probe, exp["samples"]))
            r = rate(partial(sample_shard, spec, cube, n, exp["record"], batch=config["prior"]["batch"], **kw), n,
                     device)
            flop = 0.0
            if spec["kind"] == "fcn":
                w = layer_widths(cube.shape[1], spec["depth"], spec["width"])
                flop = 2 * len(cube) * sum(i * o for i, o in pairwise(w))
            rows.append(row("prior", f"{exp_name}/{point}", exp["samples"], "nets", r,
                            gemm_fraction=r * flop / 1e9 / gemm))
    return rows


def variant_of(config: dict, name: str, task: Task) -> dict:
    """The variant as the rule passes it: batch_size "full" = all of S."""
    variant = dict(config["sgd_bayes"]["variants"][name])
    if variant["batch_size"] == "full":
        variant["batch_size"] = len(task.y_train)
    return variant


def epoch_probe_row(config, kw, name, t, v, task, a, fake) -> dict:
    """A 28x28 task's training row: seconds per run-epoch on a subset of S, scaled to |S|, times
    the probe's median epochs to the fit plus the epochs after it (module doc)."""
    m = a.cnn_m if t["net"].get("arch") == "cnn" else a.image_m
    small = subset(task, m)
    variant = variant_of(config, v, small)
    n = min(a.image_runs, t["runs"])
    df, dt = timed(lambda: train_shard(small, t["net"], variant, n, batch_nets=n, max_epochs=a.image_epochs, **kw),
                   kw["device"])
    after = variant.get("epochs_after_fit", 0)
    run_epochs = float((df.epochs + after * df.converged).sum())
    s_per_run_epoch = dt / run_epochs * len(task.y_train) / m
    median = float(np.median(df.epochs))
    return row("train", f"{name}/{v}", t["runs"], "runs", 1 / (s_per_run_epoch * (median + after)), fake,
               probe_m=m, probe_runs=n, s_per_run_epoch=s_per_run_epoch, median_epochs=median,
               epochs_after_fit=after, converged=float(df.converged.mean()),
               censored=bool(median >= a.image_epochs))


def train_rows(config, kw, task_data, stand_in, a) -> list[dict]:
    rows, device = [], kw["device"]
    for name, t in config["sgd_bayes"]["tasks"].items():
        task, fake = task_data[name], name in stand_in
        for v in t["variants"]:
            if t["data"]["kind"] == "images" and image_source(config, t["data"]) in IDX_SOURCES:
                rows.append(epoch_probe_row(config, kw, name, t, v, task, a, fake))
                continue
            variant = variant_of(config, v, task)
            n = min(a.cnn_runs if t["net"].get("arch") == "cnn" else a.train_runs, t["runs"])
            nets = min(n, config["sgd_bayes"]["batch_nets"])  # the rule's batch and engine (fused)
            r = rate(partial(train_shard, task, t["net"], variant, n, batch_nets=nets, max_epochs=t["max_epochs"],
                             **kw), n, device)
            rows.append(row("train", f"{name}/{v}", t["runs"], "runs", r))
        if "abi" in t:
            n = 10 * a.probe
            r = rate(partial(abi_shard, task, t["net"], n, batch=16384, **kw), n, device)
            rows.append(row("abi", name, t["abi"]["samples"], "nets", r))
    return rows


def near_target(y: np.ndarray, n: int) -> np.ndarray:
    """n functions on E: the labels with 0..9 flipped (the near-target functions SGD finds)."""
    rng = np.random.default_rng(0)
    Y = np.repeat(y[None, :].astype(np.int8), n, 0)
    for i in range(n):
        Y[i, rng.choice(len(y), min(i % 10, len(y)), replace=False)] ^= 1
    return Y


def kernel_row(name, net, task, points, copies, fake) -> dict:
    """Kernel pairs/s on `points` inputs of S, projected to the N (N + 1) / 2 pairs of S u E,
    `copies` times (one kernel per prior the posterior job scores with)."""
    small = subset(task, points, 0)
    task_kernel(subset(task, 2, 0), net)  # warm-up
    _, dt = timed(lambda: task_kernel(small, net))
    N = len(task.y_train) + len(task.y_test)
    kind = "cnngp" if net.get("arch") == "cnn" else "nngp"
    return row("kernel", f"{name}/{kind} x{copies}", copies * N * (N + 1) / 2, "pairs",
               points * (points + 1) / 2 / dt, fake, probe_points=points)


def two_stage_rows(config, name, t, task, a, fake) -> list[dict]:
    """The kernel, the first stage (cubic in |S|) and the second stage per function (module doc)."""
    post, net = config["sgd_bayes"]["posterior"], t["net"]
    baselines = [baseline_net(net, c) for c in post["baselines"].values()]
    cnn = net.get("arch") == "cnn"
    other = [b for b in baselines if b.get("arch") != net.get("arch")]  # a CNN's perceptron baseline: an FCN
    rows = [kernel_row(name, net, task, a.kernel_points if cnn else a.nngp_points,
                       1 + len(baselines) - len(other), fake)]
    if other:
        rows.append(kernel_row(name, other[0], task, a.nngp_points, len(other), fake))
    m, n1 = len(task.y_train), min(a.first_m, len(task.y_train))
    small = subset(task, n1)
    K = task_kernel(small, baseline_net(net, {"depth": 2}) if cnn else net)
    (mean, cov, _, conv), dt = timed(lambda: condition_on_train(K, small.y_train, n1))
    scaled = dt * (m / n1) ** 3
    first_stages = 3 + len(baselines)  # EP and tilting routes, each baseline, EP's log P(S)
    rows.append(row("ep1", f"{name}/first@{n1}->{m}", first_stages, "EPs on S", 1 / scaled, fake,
                    measured_s=dt, measured_m=n1, converged=bool(conv), projected_s=scaled,
                    hand_s_at_1e4=HAND_FIRST_STAGE_S))
    Y = near_target(task.y_test, a.functions)
    ep_batch(cov, Y[:4], mean=mean)  # warm-up
    _, dt = timed(lambda: ep_batch(cov, Y, mean=mean))
    rows.append(row("ep2", f"{name}/second |E|={len(task.y_test)}", post["max_functions"] * (1 + len(baselines)),
                    "functions", a.functions / dt, fake))
    return rows


def ep_rows(config, task_data, stand_in, a) -> list[dict]:
    rows = []
    max_functions = config["sgd_bayes"]["posterior"]["max_functions"]
    for name, t in config["sgd_bayes"]["tasks"].items():
        task = task_data[name]
        if t.get("pb_route", "full") == "two_stage" and len(task.y_train) > a.first_m:
            rows += two_stage_rows(config, name, t, task, a, name in stand_in)
            continue
        K = task_kernel(task, t["net"])
        m, n = len(task.y_train), len(task.y_test)
        probe = max(a.probe // 1000, 8)
        Y = np.random.default_rng(0).integers(0, 2, (probe, n))
        _, dt = timed(partial(log_posterior_batch, K, task.y_train, Y, np.arange(m), np.arange(m, m + n), "ep"))
        rows.append(row("ep", name, max_functions, "functions", probe / dt))
    return rows


def image_half(config: dict, r: dict) -> bool:
    """Whether a row belongs to the image half: a task of kind images (digits included)."""
    if r["stage"] == "prior":
        return False
    task = r["item"].split("/")[0].split(" ")[0]
    return config["sgd_bayes"]["tasks"][task]["data"]["kind"] == "images"


def print_table(rows: list[dict], config: dict) -> None:
    print(f"{'stage':<6} {'item':<52} {'work':>10} {'per s':>10} {'hours':>10} {'GEMM %':>7}  note")
    last = False
    for r in sorted(rows, key=lambda r: image_half(config, r)):
        if image_half(config, r) and not last:
            print("-" * 40, "image half (tasks of kind images)", "-" * 40)
            last = True
        frac = f"{100 * r['gemm_fraction']:.1f}" if r.get("gemm_fraction") else ""
        note = ""
        if "median_epochs" in r:
            note = (f"{r['s_per_run_epoch']:.3g} s/run-epoch at |S|, median {r['median_epochs']:.0f}"
                    f"{'+' + str(r['epochs_after_fit']) if r['epochs_after_fit'] else ''} epochs (m={r['probe_m']},"
                    f" conv {r['converged']:.2f}{', censored' if r['censored'] else ''})")
        elif "measured_s" in r:
            note = (f"{r['measured_s']:.3g} s at |S|={r['measured_m']} -> {r['projected_s']:.4g} s"
                    f" (hand: {HAND_FIRST_STAGE_S:.0f} s)")
        print(f"{r['stage']:<6} {r['item']:<52} {r['work']:>10.3g} {r['per_s']:>10.4g} {r['projected_h']:>10.4g}"
              f" {frac:>7}  {note}")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--probe", type=int, default=20_000, help="prior (and ABI: x10) nets per probe")
    p.add_argument("--train-runs", type=int, default=500, help="training runs per probe (FCN, full size)")
    p.add_argument("--cnn-runs", type=int, default=16, help="training runs per probe (CNN on 8x8 digits)")
    p.add_argument("--image-runs", type=int, default=4, help="runs per 28x28 probe, side by side")
    p.add_argument("--image-m", type=int, default=1000, help="|S| of the 28x28 FCN probe")
    p.add_argument("--cnn-m", type=int, default=64, help="|S| of the 28x28 CNN probe")
    p.add_argument("--image-epochs", type=int, default=25, help="max_epochs of the 28x28 probes")
    p.add_argument("--kernel-points", type=int, default=24, help="CNN-GP probe: points (n (n + 1) / 2 pairs)")
    p.add_argument("--nngp-points", type=int, default=2000, help="NNGP probe: points")
    p.add_argument("--first-m", type=int, default=1500, help="|S| of the timed first stage")
    p.add_argument("--functions", type=int, default=64, help="functions of the timed second stage")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="jobs side by side in the wall-time projection")
    a, device = parse(p, threads=1, json_help="also write the table here")
    clock = time.perf_counter(), time.process_time()
    kw = {"gen": torch.Generator(device=device).manual_seed(0), "device": device, "dtype": torch.float32}
    config, planned_stand_in = paper_config()
    gemm = gemm_gflops(device, size=4096)
    task_data, stand_in = tasks(config)
    rows = (prior_rows(config, device, kw, a.probe, gemm) + train_rows(config, kw, task_data, stand_in, a)
            + ep_rows(config, task_data, stand_in, a))
    for r in rows:
        r["projected_h"] = r["work"] / r["per_s"] / 3600
    total = sum(r["projected_h"] for r in rows)
    cpu_share = (time.process_time() - clock[1]) / (time.perf_counter() - clock[0]) / a.threads
    print(f"device {device} ({a.threads} threads, CPU share {cpu_share:.2f}), fp32 GEMM {gemm:.1f} GFLOP/s")
    if stand_in:
        print(f"stand-in images for {sorted(planned_stand_in)} (not local; planned from a stand-in cache): rows marked"
              " stand-in have the right per-epoch / per-pair cost, but epochs-to-fit on real MNIST differ")
    print_table(rows, config)
    by_stage = {s: sum(r["projected_h"] for r in rows if r["stage"] == s) for s in dict.fromkeys(r["stage"] for r in rows)}
    by_half = {h: sum(r["projected_h"] for r in rows if image_half(config, r) == (h == "images"))
               for h in ("boolean/prior", "images")}
    print("projected hours by stage:", {k: round(v, 2) for k, v in by_stage.items()})
    print("projected hours by half:", {k: round(v, 2) for k, v in by_half.items()},
          f"total {total:.2f} h one job after another, {total / a.jobs:.2f} h wall with {a.jobs} jobs at once")
    write_json({"device": str(device), "threads": a.threads, "cpu_share": cpu_share, "gemm_gflops": gemm,
                "stand_in_sources": sorted(planned_stand_in), "stand_in_tasks": sorted(stand_in), "args": vars(a),
                "rows": rows, "hours_by_stage": by_stage, "hours_by_half": by_half, "hours_total": total,
                "jobs": a.jobs, "hours_wall": total / a.jobs}, a.json)


if __name__ == "__main__":
    main()
