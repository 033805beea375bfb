"""GP orthant probabilities on |S u E| = 128: time per function as ratios measured in one run.

  EP batched : nnbayes.gp.prob.log_prob_labels_batch, method "ep" (parallel updates, one
               Cholesky + triangular inverse of the precision K^-1 + diag(tau) per label vector
               and sweep), engine "fast" (the default), on the 7-40-40-1 relu NNGP
               (sigma_w = sigma_b = 1) over the whole cube, random + the two constant labellings
  EP batched (lean) : the same, engine "lean" (the B-form, torch's batched Cholesky and
               triangular solve: "fast" before the precision form)
  EP batched (reference) : the same, engine "reference" (the arithmetic, chunks and damping
               warm-up before the fast engine), on the same labellings
  EP looped (lean) : log_prob_labels, one label vector at a time, in a Python loop (a subset),
               engine "lean" (looped EP as it was before the precision form)
  tilting    : method "tilting" (Botev 2017), one label vector at a time (a subset)
  P_B found (warm / lean / cold / reference) : the pipeline's use, log_posterior_batch on functions
               like those SGD finds (the target on a random half S of the cube, E with 0-19 of
               the target's bits flipped): EP on S u E warm-started from S's sites (the
               default), the same with engine "lean", from zero sites, and with engine
               "reference"; per function, the one
               EP on S included

Times are process CPU seconds (user + sys), the best of --repeats interleaved rounds: on a
shared machine wall time mostly measures the neighbours. scipy's multivariate_normal.cdf is not
a reference here: at n = 128 and P ~ 1e-40 its absolute error target (1e-5 at best) leaves no
digits. Also reports the largest relative |log P| difference fast vs reference and batched vs
looped (both should be ~1e-12), the mean EP sweeps per engine, and EP's offset from tilting.
Usage: python benchmarks/bench_ep.py [--functions N] [--looped N] [--tilting N] [--threads T]
"""

import numpy as np
from common import best_of, parse, parser, write_json

from nnbayes.core.boolean import boolean_cube
from nnbayes.gp.prob import log_posterior_batch, log_prob_labels, log_prob_labels_batch
from nnbayes.gp.nngp import nngp_kernel


def labellings(n_random: int, seed: int = 0) -> np.ndarray:
    """[n_random + 2, 128]: random labels, then all-zero and all-one (EP's hardest case)."""
    Y = np.random.default_rng(seed).integers(0, 2, (n_random, 128))
    return np.concatenate([Y, np.zeros((1, 128), int), np.ones((1, 128), int)])


def found_functions(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(S, E, the target's labels on S, [n, |E|] labels on E): functions that fit S, as SGD's do."""
    rng = np.random.default_rng(seed)
    order, target = rng.permutation(128), rng.integers(0, 2, 128)
    S, E = order[:64], order[64:]
    Y = np.tile(target[E], (n, 1))
    for row in Y:
        row[rng.choice(64, rng.integers(0, 20), replace=False)] ^= 1
    return S, E, target[S], Y


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--functions", type=int, default=256, help="random labellings for batched EP")
    p.add_argument("--looped", type=int, default=16, help="labellings for one-at-a-time EP")
    p.add_argument("--tilting", type=int, default=8, help="labellings for tilting")
    p.add_argument("--n-samples", type=int, default=10_000, help="tilting importance samples")
    p.add_argument("--repeats", type=int, default=2, help="interleaved rounds of the EP timings")
    a, device = parse(p, threads=2, device="cpu", device_help="EP device: auto, cpu or cuda")
    K = nngp_kernel(boolean_cube(7), depth=2, sigma_w=1.0, sigma_b=1.0).numpy()
    Y = labellings(a.functions)
    sub = Y[-a.looped :]  # the constants and the last random ones
    log_prob_labels_batch(K, Y[:4], "ep", device=device)  # warm-up
    out, t = best_of({
        "EP batched": lambda: log_prob_labels_batch(K, Y, "ep", device=device),
        "EP batched (lean)": lambda: log_prob_labels_batch(K, Y, "ep", device=device, engine="lean"),
        "EP batched (reference)": lambda: log_prob_labels_batch(K, Y, "ep", device=device, engine="reference"),
        "EP looped (lean)": lambda: [log_prob_labels(K, y, "ep", device=device, engine="lean") for y in sub]},
        a.repeats, device)
    S, E, y_S, Y_E = found_functions(a.functions)
    cold = (np.zeros(128), np.zeros(128))
    found, t_found = best_of({
        "P_B found (warm)": lambda: log_posterior_batch(K, y_S, Y_E, S, E, "ep", device=device),
        "P_B found (lean)": lambda: log_posterior_batch(K, y_S, Y_E, S, E, "ep", device=device, engine="lean"),
        "P_B found (cold)": lambda: log_posterior_batch(K, y_S, Y_E, S, E, "ep", device=device, init=cold),
        "P_B found (reference)": lambda: log_posterior_batch(K, y_S, Y_E, S, E, "ep", device=device, init=cold,
                                                             engine="reference")}, a.repeats, device)
    out.update(found)
    t.update(t_found)
    tilt, t_tilt = best_of({"tilting": lambda: [log_prob_labels(K, y, "tilting", n_samples=a.n_samples, rng=i)
                                                 for i, y in enumerate(Y[-a.tilting :])]}, 1, device)
    tilt, t["tilting"] = tilt["tilting"], t_tilt["tilting"]
    sizes = {"EP batched": len(Y), "EP batched (lean)": len(Y), "EP batched (reference)": len(Y),
             "EP looped (lean)": len(sub), "tilting": len(tilt),
             **dict.fromkeys(t_found, len(Y_E))}
    per = {k: t[k] / sizes[k] for k in sizes}
    print(f"device {device}, threads {a.threads}, K: 7-40-40-1 relu NNGP on 128 points\n")
    print("| method | functions | ms / function | vs EP batched |\n|---|---:|---:|---:|")
    for name, n in sizes.items():
        print(f"| {name} | {n} | {1e3 * per[name]:.2f} | {per[name] / per['EP batched']:.2f}x |")
    fast, ref = out["EP batched"], out["EP batched (reference)"]
    rel = lambda x, y: float(np.max(np.abs(x - y) / np.abs(y)))  # noqa: E731
    diffs = {"fast_vs_reference": rel(fast.log_p, ref.log_p),
             "fast_vs_lean": rel(fast.log_p, out["EP batched (lean)"].log_p),
             "found_warm_vs_reference": rel(out["P_B found (warm)"].log_p, out["P_B found (reference)"].log_p),
             "batched_vs_looped": rel(fast.log_p[len(Y) - len(sub):],
                                      np.array([r.log_p for r in out["EP looped (lean)"]]))}
    offset = np.array([r.log_p for r in tilt]) - fast.log_p[-a.tilting :]
    print(f"\nconverged: fast {fast.converged.mean():.3f}, reference {ref.converged.mean():.3f}; "
          f"mean sweeps: fast {fast.n_iter.mean():.1f}, reference {ref.n_iter.mean():.1f}")
    print(f"found functions, mean sweeps on S u E + S: warm {out['P_B found (warm)'].n_iter.mean():.1f}, "
          f"cold {out['P_B found (cold)'].n_iter.mean():.1f}; max relative |log P_B| difference warm vs "
          f"reference {diffs['found_warm_vs_reference']:.1e}")
    print(f"max relative |log P| difference: fast vs reference {diffs['fast_vs_reference']:.1e}, "
          f"fast vs lean {diffs['fast_vs_lean']:.1e}, "
          f"batched vs looped {diffs['batched_vs_looped']:.1e}")
    print(f"EP - tilting log P on the tilting subset: mean {-offset.mean():.3f}, "
          f"constants {-offset[-2]:.3f}, {-offset[-1]:.3f}; tilting stderr <= "
          f"{max(r.stderr for r in tilt):.3f}")
    write_json({"device": str(device), "threads": a.threads, "s_per_function": per,
                "max_rel_diff": diffs, "ep_minus_tilting": (-offset).tolist()}, a.json)


if __name__ == "__main__":
    main()
