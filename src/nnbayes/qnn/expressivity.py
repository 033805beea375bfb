"""Which Boolean functions a linear model on fixed features can express, counted exactly by LP.

A function y in {-1,1}^N is expressible by sign(Phi w) iff the LP  y_i (Phi_i . w) >= 1  is
feasible (strict separability, scaled). This covers the QNN's perceptron on h_R(x) (note §1.5:
"Exact counts by LP feasibility") and a GP with kernel K = R R^T (the sign patterns a GP puts
positive mass on are those of R z). Counting 2^N LPs is avoided without losing exactness:
  1. inputs with identical feature rows form classes: a function must be constant on each
     (amplitude +-1: x and -x, hence f(x) = f(-x)); only functions of the classes are candidates;
  2. if the classes' rows are linearly independent every candidate is expressible (no LP);
  3. symmetries: every bit permutation/flip of the cube that maps the feature column space onto
     itself maps expressible functions to expressible ones (as does y -> -y), so one LP decides
     a whole orbit;
  4. random weights give sign patterns that are expressible for free (a witness pool);
  5. scipy's HiGHS decides the remaining orbit representatives.
If there are more candidates than `max_candidates`, a seeded uniform sample of functions on the
domain is decided instead (an estimate with a binomial standard error).
"""

import itertools
import time

import numpy as np
import pandas as pd
import scipy.optimize
import torch
from tqdm import tqdm

from nnbayes.core.boolean import boolean_cube
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.layered import dnf_weights, forward, input_features
from nnbayes.qnn.map import quadratic_features
from nnbayes.qnn.models import qnn_kernel

RANK_TOL = 1e-9  # relative singular-value floor: features here are O(1), round-off ~1e-15
ROW_TOL = 1e-9  # rows closer than this are the same input as far as any w can tell
WITNESSES = 200_000  # random weight vectors tried before any LP (cheap: one matmul)


def reduce_features(Phi: np.ndarray) -> np.ndarray:
    """An orthonormal basis U [N, r] of Phi's column space: same sign patterns, well conditioned."""
    U, s, _ = np.linalg.svd(np.asarray(Phi, dtype=np.float64), full_matrices=False)
    return U[:, s > RANK_TOL * s.max()]


def row_classes(U: np.ndarray) -> np.ndarray:
    """Class index of each row (rows equal to ROW_TOL share a class), classes in first-seen order."""
    cls = -np.ones(len(U), dtype=np.int64)
    reps = []
    for i in range(len(U)):
        if cls[i] >= 0:
            continue
        same = np.abs(U - U[i]).max(1) < ROW_TOL
        cls[same & (cls < 0)] = len(reps)
        reps.append(i)
    return cls


def separable(U: np.ndarray, y: np.ndarray) -> bool:
    """Is there z with y_i (U_i . z) >= 1 for all rows? (HiGHS; U [k, r], y in {-1, 1}^k)."""
    res = scipy.optimize.linprog(np.zeros(U.shape[1]), A_ub=-y[:, None] * U, b_ub=-np.ones(len(y)),
                                 bounds=(None, None), method="highs")
    if res.status not in (0, 2):
        raise RuntimeError(f"LP failed: {res.message}")
    return res.status == 0


def gordan_certificate(U: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The alternative (Gordan): lambda >= 0, sum = 1, with sum_i lambda_i y_i U_i = 0, or None.
    Exactly one of this and `separable` holds. A simplex vertex has at most r + 1 nonzeros, and
    any y' equal to +-y on that support is inexpressible too: one certificate prunes many."""
    k = len(y)
    A_eq = np.vstack([(y[:, None] * U).T, np.ones((1, k))])
    b_eq = np.concatenate([np.zeros(U.shape[1]), [1.0]])
    res = scipy.optimize.linprog(np.zeros(k), A_eq=A_eq, b_eq=b_eq, bounds=(0, None),
                                 method="highs-ds")
    if res.status not in (0, 2):
        raise RuntimeError(f"LP failed: {res.message}")
    return res.x if res.status == 0 else None


def cube_symmetries(n: int) -> np.ndarray:
    """All 2^n n! bit permutations with flips of {0,1}^n as index maps [G, 2^n] (g(x) = x_sigma xor m)."""
    cube = boolean_cube(n)
    weights = 1 << np.arange(n - 1, -1, -1)
    maps = []
    for sigma in itertools.permutations(range(n)):
        for m in range(2**n):
            flip = (m >> np.arange(n - 1, -1, -1)) & 1
            maps.append(((cube[:, list(sigma)] ^ flip) * weights).sum(1))
    return np.array(maps)


def preserves_patterns(U: np.ndarray, perm: np.ndarray) -> bool:
    """Does relabelling rows by `perm` keep the set of sign patterns of U? Sufficient:
    diag(e) U[perm] = U T with e > 0 and T invertible: a linear change of weights after a
    positive rescaling of rows, which no sign sees (amplitude states (x, 1)/|(x, 1)| need the
    rescaling, since a bit flip changes |(x, 1)|). e solves P (e * U[perm][:, k]) = 0 for every
    column k, P the projector off U's column space: a null space in C unknowns, then one tiny LP
    if it has several dimensions. A symmetry missed here only costs LPs, never exactness."""
    Q, _ = np.linalg.qr(U)
    P = np.eye(len(U)) - Q @ Q.T
    V = U[perm]
    A = (P[None, :, :] * V.T[:, None, :]).reshape(-1, len(U))  # rows: P diag(V[:, k])
    _, s, vt = np.linalg.svd(A, full_matrices=False)  # A is tall: vt is square
    Z = vt[s <= 1e-9 * max(s[0], 1.0)].T  # null space
    if Z.shape[1] == 0:
        return False
    if Z.shape[1] == 1:  # the usual case: e is fixed up to scale
        e = Z[:, 0] * np.sign(Z[0, 0])
        if not np.all(e > 1e-9 * np.abs(e).max()):
            return False
    else:
        res = scipy.optimize.linprog(np.zeros(Z.shape[1]), A_ub=-Z, b_ub=-np.ones(len(U)),
                                     bounds=(None, None), method="highs")
        if res.status != 0:
            return False
        e = Z @ res.x
    T = np.linalg.lstsq(U, e[:, None] * V, rcond=None)[0]
    return bool(np.linalg.matrix_rank(T) == U.shape[1])


def class_symmetries(U: np.ndarray, domain: np.ndarray, cls: np.ndarray, n: int) -> np.ndarray:
    """Permutations [G, C] of the classes induced by the cube symmetries that map the domain
    onto itself and keep the sign patterns of U (U rows indexed by domain position)."""
    pos = -np.ones(2**n, dtype=np.int64)
    pos[domain] = np.arange(len(domain))
    reps = np.array([np.flatnonzero(cls == c)[0] for c in range(cls.max() + 1)])
    Ur = U[reps]
    out = set()
    for g in cube_symmetries(n):
        image = pos[g[domain]]
        if (image < 0).any():
            continue
        perm = cls[image[reps]]
        if len(set(perm)) == len(perm) and preserves_patterns(Ur, perm):
            out.add(tuple(perm))
    return np.array(sorted(out), dtype=np.int64)


def _bits(ints: np.ndarray, C: int) -> np.ndarray:
    return ((ints[:, None] >> np.arange(C, dtype=np.uint64)) & np.uint64(1)).astype(bool)


def _ints(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint64) << np.arange(bits.shape[1], dtype=np.uint64)).sum(1)


def canonical(ints: np.ndarray, perms: np.ndarray, C: int) -> np.ndarray:
    """Orbit representative (smallest int) of each candidate under `perms` and negation.

    Bit c of an int is the value on class c; a permutation moves bit c to bit perm[c]. Done
    with per-byte lookup tables, so G x M work is a few table reads each.
    """
    full = np.uint64((1 << C) - 1)
    best = np.minimum(ints, ints ^ full)
    n_bytes = -(-C // 8)
    chunks = [(ints >> np.uint64(8 * b)) & np.uint64(255) for b in range(n_bytes)]
    chunks = [c.astype(np.int64) for c in chunks]
    values = np.arange(256, dtype=np.uint64)
    for perm in perms:
        out = np.zeros_like(ints)
        for b in range(n_bytes):
            table = np.zeros(256, dtype=np.uint64)
            for i in range(8):
                c = 8 * b + i
                if c < C:
                    table |= ((values >> np.uint64(i)) & np.uint64(1)) << np.uint64(perm[c])
            out |= table[chunks[b]]
        best = np.minimum(best, np.minimum(out, out ^ full))
    return best


def count_expressible(Phi: np.ndarray, domain: np.ndarray, n: int, *, max_candidates: int,
                      seed: int, parity: np.ndarray | None = None) -> dict:
    """Exact (or sampled) count of the functions on `domain` that sign(Phi w) expresses.

    Phi [len(domain), p] feature rows of the domain inputs (cube indices `domain`); parity:
    the parity's labels on the domain (0/1), reported as expressible or not.
    """
    t0 = time.perf_counter()
    Phi = np.asarray(Phi, dtype=np.float64)
    cls = row_classes(Phi / np.abs(Phi).max())  # on the raw rows: a basis change would blur equal ones
    U = reduce_features(Phi)
    C, r = int(cls.max()) + 1, U.shape[1]
    reps = np.array([np.flatnonzero(cls == c)[0] for c in range(C)])
    Ur = U[reps]
    out = {"domain": len(domain), "classes": C, "rank": r, "group": 1, "lp_calls": 0}
    lp = _LPCounter(Ur)
    parity_ok = None
    if parity is not None:
        y = 2 * parity.astype(np.int64) - 1
        consistent = all(len(set(y[cls == c])) == 1 for c in range(C))
        parity_ok = bool(consistent and (r == C or lp(y[reps])))
    sampled = 2**C > max_candidates and r < C
    if r == C:  # independent class rows: every function of the classes
        out.update(expressible=2.0**C, fraction=2.0 ** (C - len(domain)), fraction_se=0.0)
    elif not sampled:
        perms = class_symmetries(U, domain, cls, n)
        out["group"] = 2 * len(perms)
        ints = np.arange(2**C, dtype=np.uint64)
        canon = canonical(ints, perms, C)
        reps_int, orbit = np.unique(canon, return_inverse=True)
        state = np.zeros(len(reps_int), dtype=np.int8)  # 1 expressible, -1 not, 0 open
        state[np.unique(orbit[np.isin(ints, _witness_patterns(Ur, seed))])] = 1
        for k in np.flatnonzero(state == 0):
            if state[k]:
                continue  # pruned by an earlier certificate
            y = 2 * _bits(reps_int[k : k + 1], C)[0].astype(np.int64) - 1
            lam = lp.certificate(y)
            if lam is None:  # by Gordan's theorem separable; confirmed, as LP tolerances could lie
                if not lp(y):
                    raise RuntimeError(f"orbit {k}: neither separable nor certified inseparable (LP tolerance)")
                state[k] = 1
                continue
            support = lam > 0  # every positive weight: exact zeros are the nonbasic ones
            mask = np.uint64(_ints(support[None])[0])
            pattern = np.uint64(_ints(((y > 0) & support)[None])[0])
            hit = ((ints & mask) == pattern) | ((ints & mask) == (mask ^ pattern))
            state[np.unique(orbit[hit])] = -1
        count = float((state[orbit] > 0).sum())
        out.update(expressible=count, fraction=count / 2.0 ** len(domain), fraction_se=0.0)
    else:  # a uniform sample of functions on the domain
        out.update(_sampled_fraction(Ur, reps, cls, len(domain), lp, max_candidates, seed))
    out.update(exact=not sampled, lp_calls=lp.calls, parity_expressible=parity_ok,
               seconds=time.perf_counter() - t0)
    return out


def _sampled_fraction(Ur: np.ndarray, reps: np.ndarray, cls: np.ndarray, size: int, lp: "_LPCounter",
                      max_candidates: int, seed: int) -> dict:
    """The expressible fraction from a uniform sample of `max_candidates` functions on the domain
    (with its binomial SE), when the classes are too many to enumerate."""
    y = np.random.default_rng(seed).integers(0, 2, size=(max_candidates, size)).astype(bool)
    on_reps = y[:, reps]
    consistent = (y == on_reps[:, cls]).all(1)
    ok = consistent & np.isin(_ints(on_reps), _witness_patterns(Ur, seed))
    for k in np.flatnonzero(consistent & ~ok):
        ok[k] = lp(2 * on_reps[k].astype(np.int64) - 1)
    p = ok.mean()
    return {"expressible": np.nan, "fraction": float(p), "fraction_se": float(np.sqrt(p * (1 - p) / len(y)))}


class _LPCounter:
    """`separable` / `gordan_certificate` on fixed rows, counting calls (reported: the work
    symmetry, witnesses and certificates saved)."""

    def __init__(self, U: np.ndarray):
        self.U, self.calls = U, 0

    def __call__(self, y: np.ndarray) -> bool:
        self.calls += 1
        return separable(self.U, y)

    def certificate(self, y: np.ndarray) -> np.ndarray | None:
        self.calls += 1
        return gordan_certificate(self.U, y)



def _witness_patterns(U: np.ndarray, seed: int) -> np.ndarray:
    """Ints of the sign patterns of WITNESSES random weight vectors: expressible for free."""
    z = np.random.default_rng(seed).standard_normal((U.shape[1], WITNESSES))
    return np.unique(_ints((U @ z > 0).T))


def model_features(model: str, spec: dict, cube: np.ndarray, kernel: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(features [|domain|, p], domain indices) of a QNN embedding's perceptron ("tpp": h_R) or
    of the QNN-kernel GP ("kernel": K itself, whose column space holds every GP sample)."""
    states, keep = embed(spec, cube)
    domain = np.flatnonzero(keep)
    states = states[torch.as_tensor(domain)]
    if model == "tpp":
        return quadratic_features(states).numpy(), domain
    if model == "kernel":
        return qnn_kernel(states, **kernel).numpy(), domain
    raise ValueError(f"expressivity model {model!r} is not one of ['tpp', 'kernel', 'layered']")


def layered_expressivity(spec: dict, n: int, *, max_candidates: int, seed: int) -> dict:
    """The two-layer DQNN of `qnn_layered.dnf_weights`, evaluated on every function of n bits
    (or a sample): the fraction it computes correctly, and the widths it needed."""
    t0 = time.perf_counter()
    cube = boolean_cube(n)
    N = 2**n
    if 2**N <= max_candidates:
        bits = _bits(np.arange(2**N, dtype=np.uint64), N)
        sampled = False
    else:
        bits = np.random.default_rng(seed).integers(0, 2, size=(max_candidates, N)).astype(bool)
        sampled = True
    H1 = input_features(spec, cube)
    ok, widths = [], []
    for chunk in np.array_split(bits, max(1, len(bits) // 8192)):
        W1, w_out = dnf_weights(chunk, cube, spec)
        ok.append(((forward(H1, W1, w_out) > 0).numpy() == chunk).all(1))
        widths.append(np.minimum(chunk.sum(1), N - chunk.sum(1)))
    ok, widths = np.concatenate(ok), np.concatenate(widths)
    p = ok.mean()
    parity = boolean_cube(n).sum(1) % 2 == 1
    W1, w_out = dnf_weights(parity[None, :], cube, spec)
    parity_ok = bool(((forward(H1, W1, w_out) > 0).numpy() == parity).all())
    return {"domain": N, "classes": N, "rank": np.nan, "group": 1, "lp_calls": 0,
            "expressible": np.nan if sampled else float(ok.sum()), "fraction": float(p),
            "fraction_se": float(np.sqrt(p * (1 - p) / len(ok))) if sampled else 0.0,
            "exact": not sampled, "parity_expressible": parity_ok, "max_width": int(widths.max()),
            "mean_width": float(widths.mean()), "seconds": time.perf_counter() - t0}


def expressivity_table(embeddings: dict, ns: list[int], *, kernel: dict, kernel_embeddings: list[str],
                       layered_embedding: str, max_candidates: int, seed: int) -> pd.DataFrame:
    """One row per (model, embedding, n): the exact expressible count / fraction, parity, cost."""
    models = [("tpp", e) for e in embeddings] + [("kernel", e) for e in kernel_embeddings]
    rows = []
    with tqdm(total=len(ns) * (len(models) + 1), unit="counts", mininterval=2) as bar:
        for n in ns:
            cube = boolean_cube(n)
            parity = cube.sum(1) % 2
            for model, name in models:
                Phi, domain = model_features(model, embeddings[name], cube, kernel)
                res = count_expressible(Phi, domain, n, max_candidates=max_candidates, seed=seed,
                                        parity=parity[domain])
                rows.append({"model": model, "embedding": name, "n": n, **res})
                bar.update()
            res = layered_expressivity(embeddings[layered_embedding], n, max_candidates=max_candidates, seed=seed)
            rows.append({"model": "layered", "embedding": layered_embedding, "n": n, **res})
            bar.update()
    for r in rows:  # timings go to the log, not the table: same config, same bytes
        tqdm.write(f"{r['model']} {r['embedding']} n={r['n']}: {r.pop('seconds'):.2f} s, {r['lp_calls']} LPs")
    return pd.DataFrame(rows)
