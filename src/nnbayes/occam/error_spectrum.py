"""The prior x likelihood prediction of the posterior over complexity (arXiv 2304.06670, Fig. 2).

  P(K | S) ~ P(K) * L_m(K),   L_m(K) = mean of the `top` largest a^m over functions of complexity K,

where a is a function's accuracy on the whole cube against the target, so a^m approximates the
chance that it fits a random training set of size m (sampling with replacement), and the mean
of the largest few stands in for the sum over the unknown number of such functions. P(K) is the
prior of the trained architecture (sampled). The functions come from searches around the target
as in the authors' `make_2abc.py`: random bit flips of growing number, switching off subsets of
the target's ones, and random strings of random bias; the target itself is always included.
Because a^m is monotone in a, keeping the `top` best accuracies per K serves every m.
"""

import numpy as np
import pandas as pd

from nnbayes.core.functions import count_ids, pack_array, unpack_ids
from nnbayes.occam.targets import LZ_COLUMNS, complexity_columns

def flip_search(target: np.ndarray, max_flips: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """n functions; function i sets (i % max_flips) + 1 positions, drawn with replacement, to
    the opposite of the target (the authors' 'balanced' search)."""
    n_points = len(target)
    k = np.arange(n) % max_flips + 1
    pos = rng.integers(0, n_points, (n, max_flips))
    use = np.arange(max_flips) < k[:, None]
    flip = np.zeros((n, n_points), dtype=bool)
    flip[np.repeat(np.arange(n), max_flips)[use.ravel()], pos.ravel()[use.ravel()]] = True
    return (target.astype(bool) ^ flip).astype(np.uint8)


def ones_off_search(target: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n functions, each the target with a random subset (uniform size) of its ones set to 0
    (the authors' 'biased' search)."""
    ones = np.flatnonzero(target)
    out = np.repeat(target[None, :].astype(np.uint8), n, axis=0)
    if len(ones) == 0:
        return out
    sizes = rng.integers(0, len(ones) + 1, n)
    keys = rng.random((n, len(ones)))
    off = np.argsort(keys, axis=1) < sizes[:, None]  # a uniformly random subset of each size
    rows = np.nonzero(off)
    out[rows[0], ones[rows[1]]] = 0
    return out


def random_search(n_points: int, p: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """n random strings with P(0) = q, q ~ N(p, 1) (redrawn as p when outside [0, 1]), as the
    authors' `random_function_search`."""
    q = rng.normal(p, 1.0, n)
    q = np.where((q < 0) | (q > 1), p, q)
    return (rng.random((n, n_points)) >= q[:, None]).astype(np.uint8)


def search(target: np.ndarray, spec: dict, rng: np.random.Generator) -> np.ndarray:
    """Distinct functions (uint8 [F, N]) found around the target, the target included.

    spec: flips (list of max flip counts), per_flip, ones_off, random (per bias), random_p.
    """
    parts = [target[None, :].astype(np.uint8)]
    parts += [flip_search(target, f, spec["per_flip"], rng) for f in spec["flips"]]
    parts.append(ones_off_search(target, spec["ones_off"], rng))
    parts += [random_search(len(target), p, spec["random"], rng) for p in spec["random_p"]]
    ids, _ = count_ids(pack_array(np.concatenate(parts)))
    return unpack_ids(ids, len(target))


def spectrum(target: np.ndarray, functions: np.ndarray, top: int) -> pd.DataFrame:
    """The `top` highest accuracies at every C_LZ value, per LZ variant (variant, clz, accuracy).

    Also counts the functions searched at each C_LZ (`searched`), so a thin K can be seen.
    """
    accuracy = (functions == target).mean(1)
    frames = []
    for variant, clz in zip(LZ_COLUMNS, complexity_columns(functions).values()):
        d = pd.DataFrame({"clz": clz, "accuracy": accuracy})
        d["searched"] = d.groupby("clz")["accuracy"].transform("size")
        d = d.sort_values(["clz", "accuracy"], ascending=[True, False], kind="stable")
        frames.append(d.groupby("clz").head(top).assign(variant=variant))
    return pd.concat(frames, ignore_index=True)[["variant", "clz", "accuracy", "searched"]]


def likelihood(spec_table: pd.DataFrame, variant: str, m: int, top: int) -> pd.Series:
    """L_m(K): mean of the `top` largest a^m at each K (fewer where fewer were found)."""
    d = spec_table[spec_table["variant"] == variant]
    d = d.sort_values(["clz", "accuracy"], ascending=[True, False], kind="stable").groupby("clz").head(top)
    return (d["accuracy"] ** m).groupby(d["clz"]).mean()


def complexity_distribution(prior: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """P(K) per LZ variant (variant, clz, count, p) from a merged prior table (id, count)."""
    bits = unpack_ids(prior[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), n_points)
    frames = []
    for variant, clz in zip(LZ_COLUMNS, complexity_columns(bits).values()):
        counts = prior["count"].groupby(clz).sum()
        frames.append(pd.DataFrame({"variant": variant, "clz": counts.index, "count": counts.to_numpy(),
                                    "p": counts.to_numpy() / prior["count"].sum()}))
    return pd.concat(frames, ignore_index=True)


def extrapolate_low_k(prior_k: pd.Series, ks, min_p: float, min_points: int = 3) -> pd.Series:
    """P(K) on the K in `ks` below the smallest resolved K (P >= min_p, e.g. 5 counts) by a straight
    line in log10 P(K) fitted to the resolved rising flank (K up to the mode of P(K)): a chaotic
    prior's simple functions are too rare to sample, yet they carry the likelihood. The authors
    (Plot2def.py) fit all sampled K but the 20 largest of their 1e8 samples; the flank is the same
    region at any sample size. Unchanged when the flank has fewer than `min_points` values."""
    resolved = prior_k[prior_k >= min_p].sort_index()
    flank = resolved[resolved.index <= resolved.idxmax()]
    low = np.array([k for k in ks if k < resolved.index.min()])
    if len(flank) < min_points or not len(low):
        return prior_k
    slope, intercept = np.polyfit(flank.index.to_numpy(dtype=np.float64), np.log10(flank.to_numpy()), 1)
    above = prior_k[prior_k.index >= resolved.index.min()]
    return pd.concat([pd.Series(10 ** (slope * low + intercept), index=low), above]).sort_index()


def predicted_posterior(prior_k: pd.Series, like: pd.Series) -> pd.Series:
    """P(K|S) ~ P(K) L_m(K), normalised over the K where both are known (the authors drop the
    rest: a K the prior sample never reached, or the search never found, gets no mass)."""
    joint = (prior_k * like).dropna()
    joint = joint[joint > 0]
    return joint / joint.sum()


def total_variation(p: pd.Series, q: pd.Series) -> float:
    """0.5 sum |p - q| over the union of their supports (missing = 0)."""
    a, b = p.align(q, fill_value=0.0)
    return float(0.5 * np.abs(a - b).sum())
