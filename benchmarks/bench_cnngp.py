"""CNN-GP kernel throughput (pairs/s) on MNIST-sized images as a ratio measured in one run.

  tiled : nnbayes.gp.cnngp.cnngp_kernel on a cross block X[:n] x X[n:2n] (no diagonal-tile
          waste), float64, tiles from the default memory budget
  naive : one pair at a time, a Python loop over output locations, numpy patch sums and math's
          arc-cosine per location (the per-pair diagonal recursion included, as a naive port would)

Architecture: the authors' default CNN (4 conv layers, filters 5x5, 2x2, 5x5, 2x2, stride 1, no
pooling, dense read-out) on random 1x28x28 images. Also prints the largest relative difference
between the two (should be ~1e-15) and the projected time of the full symmetric kernel on
10^4 + 100 points, N (N + 1) / 2 pairs at the tiled rate. Times are process CPU seconds, best of
--repeats (synced wall
time on a GPU); single thread by default.
Usage: python benchmarks/bench_cnngp.py [--pairs-side n] [--naive-pairs P] [--padding valid|same]
"""

import math
import time

import numpy as np
import torch
from common import parse, parser, report, sync

from nnbayes.gp.cnngp import cnngp_kernel

SHAPE = (1, 28, 28)
FILTERS = [(5, 5), (2, 2), (5, 5), (2, 2)]
SIGMA_W, SIGMA_B = 1.0, 1.0
N_PROJECTED = 10_000 + 100  # the authors' MNIST train + test set sizes


def naive_pair(x: np.ndarray, y: np.ndarray, padding: str) -> float:
    """K_out(x, y) for one pair of [C, H, W] images, location by location."""
    sw2, sb2 = SIGMA_W**2, SIGMA_B**2
    maps = [(x * x).mean(0), (x * y).mean(0), (y * y).mean(0)]  # V^0 of (x,x), (x,y), (y,y)
    for kh, kw in FILTERS:
        if padding == "same":  # TF / torch: the odd padded row and column go after
            maps = [np.pad(m, (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2))) for m in maps]
        H, W = maps[0].shape[0] - kh + 1, maps[0].shape[1] - kw + 1
        new = [np.empty((H, W)) for _ in maps]
        for i in range(H):
            for j in range(W):
                kxx, kxy, kyy = (sb2 + sw2 * m[i : i + kh, j : j + kw].sum() / (kh * kw) for m in maps)
                s = math.sqrt(kxx * kyy)
                t = math.acos(max(-1.0, min(1.0, kxy / s)))
                new[0][i, j], new[2][i, j] = kxx / 2, kyy / 2
                new[1][i, j] = s / (2 * math.pi) * (math.sin(t) + (math.pi - t) * math.cos(t))
        maps = new
    return sb2 + sw2 * float(maps[1].mean())


def best_seconds(fn, repeats: int, device: torch.device):
    """(last output, best seconds): process CPU time on the CPU (on a shared machine wall time
    measures the neighbours), synced wall time on a GPU."""
    clock = time.process_time if device.type == "cpu" else time.perf_counter
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = clock()
        out = fn()
        sync(device)
        best = min(best, clock() - t0)
    return out, best


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--pairs-side", type=int, default=96, help="n: the tiled kernel runs on n x n pairs")
    p.add_argument("--naive-pairs", type=int, default=16, help="pairs for the naive reference")
    p.add_argument("--padding", default="valid", choices=["valid", "same"])
    p.add_argument("--repeats", type=int, default=2)
    a, device = parse(p, threads=1, device="cpu", device_help="tiled kernel's device: auto, cpu or cuda")
    n = a.pairs_side
    X = torch.randn(2 * n, math.prod(SHAPE), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    kw = {"image_shape": SHAPE, "filters": FILTERS, "padding": [a.padding] * len(FILTERS), "sigma_w": SIGMA_W,
          "sigma_b": SIGMA_B, "device": device}
    cnngp_kernel(X[:2], X[2:4], **kw)  # warm-up
    K, t_tiled = best_seconds(lambda: cnngp_kernel(X[:n], X[n:], **kw), a.repeats, device)
    imgs = X.numpy().reshape(-1, *SHAPE)
    idx = [(i, n + (i * 7) % n) for i in range(a.naive_pairs)]
    naive, t_naive = best_seconds(lambda: [naive_pair(imgs[i], imgs[j], a.padding) for i, j in idx], 1, torch.device("cpu"))
    K = K.cpu()
    ref = np.array([float(K[i, j - n]) for i, j in idx])
    tiled_rate, naive_rate = n * n / t_tiled, len(idx) / t_naive
    pairs = N_PROJECTED * (N_PROJECTED + 1) / 2
    report({"device": str(device), "threads": a.threads, "padding": a.padding,
            "tiled_pairs_per_s": tiled_rate, "naive_pairs_per_s": naive_rate,
            "speedup_vs_naive": tiled_rate / naive_rate,
            "max_rel_diff": float(np.max(np.abs(np.array(naive) - ref) / np.abs(ref))),
            "projected_hours_10100": pairs / tiled_rate / 3600,
            "naive_projected_days_10100": pairs / naive_rate / 86400}, a.json)


if __name__ == "__main__":
    main()
