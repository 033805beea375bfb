"""P_B(f|S) by two stages (nnbayes.gp.two_stage) against the full route, as times measured in one run.

Kernel: the depth-2 relu NNGP (sigma_w = sigma_b = 1) on standard-normal inputs in 20 dimensions;
labels: the signs of one draw of that GP (a learnable target), on S then E. Functions on E: the
target's signs on E with 0..9 random flips (the near-target functions SGD finds).

  first stage   : condition_on_train at |S| = --n-train, |E| = --n-test: EP on S once, then
                  q(f_E | S) = N(m_E, C_E) (a one-time cost per training set)
  second EP     : the orthant of q for each function by EP (ep_batch with a mean), batched
  second tilting: the same by minimax tilting (--n-samples importance samples), one at a time
  full EP       : log_posterior_batch "ep" (EP on S u E for every function, plus one on S) at
                  the smaller |S| = --n-small, where it still runs; two-stage on the same
                  problem for the ratios (two-stage with its first stage shared by --full
                  functions; the second stage alone, whose cost does not depend on |S|) and
                  for |two-stage - full| log P_B, over all functions and over those with
                  full log P_B > -5 (the two differ on improbable functions: see the tests)

Times are process CPU seconds (user + sys) at --threads (default 1), so neighbours on a shared
machine do not count; each is one call after a warm-up.
Usage: python benchmarks/bench_two_stage.py [--n-train N] [--n-test N] [--functions F]
"""

import time

import numpy as np
import torch
from common import parse, parser, report

from nnbayes.gp.ep import ep_batch
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.gp.prob import log_posterior_batch
from nnbayes.gp.tilting import tilting_batch
from nnbayes.gp.two_stage import condition_on_train, two_stage_log_posterior_batch


def problem(n_train: int, n_test: int, n_functions: int, seed: int = 0):
    """(K, y_train, functions [F, n_test] in {0, 1}) as described in the module doc."""
    rng = np.random.default_rng(seed)
    X = torch.as_tensor(rng.standard_normal((n_train + n_test, 20)))
    K = nngp_kernel(X, depth=2, sigma_w=1.0, sigma_b=1.0).numpy()
    L = np.linalg.cholesky(K + 1e-8 * np.mean(np.diag(K)) * np.eye(len(K)))
    y = (L @ rng.standard_normal(len(K)) > 0).astype(np.int8)
    Y = np.repeat(y[None, n_train:], n_functions, 0)
    for i in range(n_functions):
        Y[i, rng.choice(n_test, i % 10, replace=False)] ^= 1
    return K, y[:n_train], Y


def cpu_time(fn):
    """(fn(), CPU seconds of this process)."""
    t0 = time.process_time()
    out = fn()
    return out, time.process_time() - t0


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--n-train", type=int, default=2000, help="|S| of the first-stage timing")
    p.add_argument("--n-test", type=int, default=100, help="|E|")
    p.add_argument("--functions", type=int, default=256, help="functions for the second-stage EP")
    p.add_argument("--tilting", type=int, default=8, help="functions for the second-stage tilting")
    p.add_argument("--n-samples", type=int, default=10_000, help="tilting importance samples")
    p.add_argument("--n-small", type=int, default=300, help="|S| where full EP per function still runs")
    p.add_argument("--full", type=int, default=32, help="functions for the full-EP comparison")
    a, _ = parse(p, threads=1, device="cpu")
    K, y, Y = problem(a.n_train, a.n_test, a.functions)
    (m, C, log_z_s, conv), t_first = cpu_time(lambda: condition_on_train(K, y, a.n_train))
    ep_batch(C, Y[:4], mean=m)  # warm-up
    second, t_ep = cpu_time(lambda: ep_batch(C, Y, mean=m))
    tilt, t_tilt = cpu_time(lambda: tilting_batch(C, Y[: a.tilting], mean=m, n_samples=a.n_samples, rng=0))
    Ks, ys, Ys = problem(a.n_small, a.n_test, a.full, seed=1)
    idx_s, idx_e = np.arange(a.n_small), np.arange(a.n_small, a.n_small + a.n_test)
    full, t_full = cpu_time(lambda: log_posterior_batch(Ks, ys, Ys, idx_s, idx_e, "ep"))
    two, t_two = cpu_time(lambda: two_stage_log_posterior_batch(Ks, a.n_small, ys, Ys))
    diff = np.abs(two.log_p - full.log_p)
    near = full.log_p > -5
    report({
        "threads": a.threads,
        "first_stage_s": t_first,
        "first_stage_n_train": a.n_train,
        "first_stage_converged": bool(conv),
        "log_P_S": float(log_z_s),
        "second_ep_ms_per_function": 1e3 * t_ep / len(Y),
        "second_ep_converged": float(second.converged.mean()),
        "second_tilting_ms_per_function": 1e3 * t_tilt / len(tilt),
        "tilting_minus_ep_max": float(np.max(np.abs(tilt.log_p - second.log_p[: a.tilting]))),
        "tilting_stderr_max": float(tilt.stderr.max()),
        "full_ep_ms_per_function": 1e3 * t_full / a.full,
        "two_stage_ms_per_function": 1e3 * t_two / a.full,
        "full_over_two_stage": t_full / t_two,
        "full_over_second_stage": (t_full / a.full) / (t_ep / len(Y)),
        "two_vs_full_median_abs": float(np.median(diff)),
        "two_vs_full_max_abs": float(diff.max()),
        "two_vs_full_max_abs_logP_gt_-5": float(diff[near].max()) if near.any() else float("nan"),
        "full_converged": float(full.converged.mean()),
    }, a.json, width=32)


if __name__ == "__main__":
    main()
