"""GP orthant probabilities on |S u E| = 128: time per function as ratios measured in one run.

  EP batched : nnbayes.gp.prob.log_prob_labels_batch, method "ep" (parallel updates, all label
               vectors in one batched Cholesky per sweep), on the 7-40-40-1 relu NNGP
               (sigma_w = sigma_b = 1) over the whole cube, random + the two constant labellings
  EP looped  : log_prob_labels, one label vector at a time, in a Python loop (a subset)
  tilting    : method "tilting" (Botev 2017), one label vector at a time (a subset)

scipy's multivariate_normal.cdf is not a reference here: at n = 128 and P ~ 1e-40 its absolute
error target (1e-5 at best) leaves no digits. Also reports the largest |log P| difference
between the batched and looped EP (should be ~0) and EP's mean offset from tilting.
Usage: python benchmarks/bench_ep.py [--functions N] [--looped N] [--tilting N] [--threads T]
"""

import numpy as np
from common import parse, parser, sync, timed, write_json

from nnbayes.core.boolean import boolean_cube
from nnbayes.gp.prob import log_prob_labels, log_prob_labels_batch
from nnbayes.gp.nngp import nngp_kernel


def labellings(n_random: int, seed: int = 0) -> np.ndarray:
    """[n_random + 2, 128]: random labels, then all-zero and all-one (EP's hardest case)."""
    Y = np.random.default_rng(seed).integers(0, 2, (n_random, 128))
    return np.concatenate([Y, np.zeros((1, 128), int), np.ones((1, 128), int)])


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--functions", type=int, default=256, help="random labellings for batched EP")
    p.add_argument("--looped", type=int, default=16, help="labellings for one-at-a-time EP")
    p.add_argument("--tilting", type=int, default=8, help="labellings for tilting")
    p.add_argument("--n-samples", type=int, default=10_000, help="tilting importance samples")
    a, device = parse(p, threads=2, device="cpu", device_help="EP device: auto, cpu or cuda")
    K = nngp_kernel(boolean_cube(7), depth=2, sigma_w=1.0, sigma_b=1.0).numpy()
    Y = labellings(a.functions)
    sub = Y[-a.looped :]  # the constants and the last random ones
    log_prob_labels_batch(K, Y[:4], "ep", device=device)  # warm-up
    sync(device)
    batch, t_batch = timed(lambda: log_prob_labels_batch(K, Y, "ep", device=device), device)
    looped, t_loop = timed(lambda: [log_prob_labels(K, y, "ep", device=device) for y in sub])
    tilt, t_tilt = timed(lambda: [log_prob_labels(K, y, "tilting", n_samples=a.n_samples, rng=i)
                                  for i, y in enumerate(Y[-a.tilting :])])
    per = {"EP batched": t_batch / len(Y), "EP looped": t_loop / len(sub), "tilting": t_tilt / len(tilt)}
    print(f"device {device}, threads {a.threads}, K: 7-40-40-1 relu NNGP on 128 points\n")
    print("| method | functions | ms / function | vs EP batched |\n|---|---:|---:|---:|")
    for (name, t), n in zip(per.items(), (len(Y), len(sub), len(tilt))):
        print(f"| {name} | {n} | {1e3 * t:.1f} | {t / per['EP batched']:.1f}x |")
    diff = max(abs(r.log_p - batch.log_p[len(Y) - len(sub) + i]) for i, r in enumerate(looped))
    offset = np.array([r.log_p for r in tilt]) - batch.log_p[-a.tilting :]
    print(f"\nEP batched converged: {batch.converged.mean():.3f}; "
          f"max |log P batched - looped|: {diff:.1e}")
    print(f"EP - tilting log P on the tilting subset: mean {-offset.mean():.3f}, "
          f"constants {-offset[-2]:.3f}, {-offset[-1]:.3f}; tilting stderr <= "
          f"{max(r.stderr for r in tilt):.3f}")
    write_json({"device": str(device), "threads": a.threads, "s_per_function": per,
                "max_abs_diff_batched_looped": diff, "ep_minus_tilting": (-offset).tolist()}, a.json)


if __name__ == "__main__":
    main()
