"""What every script in benchmarks/ shares: one copy of the timing, GEMM-roofline, command-line and
reporting code, so that the scripts measure and print the same way.

The scripts run as `python benchmarks/bench_x.py`, which puts this folder on sys.path, so they
import it as `from common import ...`.
"""

import argparse
import atexit
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import torch

from nnbayes.core.device import limit_threads, resolve_device


def sync(device: torch.device) -> None:
    """Wait for queued CUDA work: kernels run asynchronously, so a clock read without it times
    only the launches. A no-op on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device: torch.device | None = None):
    """(fn(), seconds it took); with a device, synced before the clock stops so that its
    asynchronous work is counted."""
    t0 = time.perf_counter()
    out = fn()
    if device is not None:
        sync(device)
    return out, time.perf_counter() - t0


def rounds(fns: dict, repeats: int, device) -> tuple[dict, dict[str, list[float]]]:
    """Run each fn `repeats` times, interleaved: (last outputs, seconds of every round). CPU
    seconds of this process on the CPU; wall seconds (synced) on a GPU."""
    clock = time.process_time if device.type == "cpu" else time.perf_counter
    out, times = {}, {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = clock()
            out[k] = fn()
            sync(device)
            times[k].append(clock() - t0)
    return out, times


def best_of(fns: dict, repeats: int, device) -> tuple[dict, dict]:
    """rounds(), keeping each fn's best seconds."""
    out, times = rounds(fns, repeats, device)
    return out, {k: min(t) for k, t in times.items()}


def package_at(rev: str, name: str = "nnbayes") -> str | None:
    """The package `name` as it was at git revision `rev`, extracted to a temporary folder and
    importable as `{name}_{rev}` (its imports of itself renamed), so that a benchmark can run
    an old engine beside today's in one process. None outside a git checkout holding rev."""
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, f"src/{name}"], capture_output=True)
    if archive.returncode:
        return None
    alias, dest = f"{name}_{rev}", Path(tempfile.mkdtemp(prefix="baseline_"))
    atexit.register(shutil.rmtree, dest, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")
    package = (dest / "src" / name).rename(dest / alias)
    for source in package.rglob("*.py"):
        source.write_text(re.sub(rf"\b{name}(?=\.)", alias, source.read_text()))
    sys.path.insert(0, str(dest))
    return alias


def per_second(fn, units: float, device: torch.device | None = None) -> float:
    """Units per second of one fn() call (synced as in timed): the throughput every ratio is built from."""
    return units / timed(fn, device)[1]


def rate(fn, units: float, device: torch.device) -> float:
    """Units per second of fn(), timed on a second call so that the first (allocation, kernel
    selection, caches) is left out."""
    fn()
    sync(device)
    return per_second(fn, units, device)


def gemm_gflops(device: torch.device, size: int = 2048, reps: int = 5) -> float:
    """This device's fp32 matmul rate in GFLOP/s: the roofline that dense work is compared with
    (a GFLOP/s figure alone says nothing across machines)."""
    a, b = (torch.randn(size, size, device=device) for _ in range(2))
    return rate(lambda: [a @ b for _ in range(reps)], 2 * size**3 * reps, device) / 1e9


def parser(doc: str) -> argparse.ArgumentParser:
    """An argument parser whose --help shows the script's docstring as written (what it measures)."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def parse(p: argparse.ArgumentParser, threads: int = 2, device: str = "auto", device_help: str | None = None,
          json_help: str = "also write the results here") -> tuple[argparse.Namespace, torch.device]:
    """Add the flags every benchmark takes (--threads, --device, --json) after the script's own,
    parse, pin torch's thread count and resolve the device: (args, device). The thread count is
    fixed so that a ratio measured on a shared machine means the same from run to run."""
    p.add_argument("--threads", type=int, default=threads)
    p.add_argument("--device", default=device, help=device_help)
    p.add_argument("--json", help=json_help)
    a = p.parse_args()
    limit_threads(a.threads)
    return a, resolve_device(a.device)


def runs_result(a: argparse.Namespace, device: torch.device, naive_rate, batched_rate) -> dict:
    """The result of a runs-to-100%-training-accuracy benchmark (bench_train, bench_occam): runs/s
    of naive_rate(a.naive_runs, device) and of batched_rate(a.runs, device) -> (runs/s, converged
    fraction), and their ratio, so both report the same keys in the same order."""
    naive = naive_rate(a.naive_runs, device)
    batched, frac = batched_rate(a.runs, device)
    return {"device": str(device), "threads": a.threads, "naive_runs_per_s": naive,
            "batched_runs_per_s": batched, "batched_converged": frac, "speedup_vs_naive": batched / naive}


def fit_one(net: torch.nn.Module, X, y, X_test, *, lr: float, batch: int, max_epochs: int) -> None:
    """The naive baseline the batched trainers are measured against: one net, torch.optim SGD on
    cross-entropy, shuffled mini-batches, stop at the first epoch that fits S, then read E."""
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    for _ in range(max_epochs):
        for idx in torch.randperm(len(X), device=X.device).split(batch):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(X[idx]).squeeze(-1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            if ((net(X).squeeze(-1) > 0) == (y > 0.5)).all():
                break
    with torch.no_grad():
        net(X_test)


def write_json(obj, path: str | None) -> None:
    """Write obj as indented JSON to path; nothing when path is None (no --json given)."""
    if path:
        with open(path, "w") as f:
            json.dump(obj, f, indent=2)


def report(res: dict, json_path: str | None, width: int = 24) -> None:
    """Print one `key: value` line per result (floats to 4 significant digits, keys right-aligned
    to width) and, with a path, write the dict there as JSON: the format every ratio benchmark ends with."""
    for k, v in res.items():
        print(f"{k:>{width}}: {v:.4g}" if isinstance(v, float) else f"{k:>{width}}: {v}")
    write_json(res, json_path)
