"""Targets of graded complexity and the training sets drawn for them (arXiv 2304.06670).

The authors' Boolean targets (C1510/OccamsRazor, `set_target`): `np.random.seed(seed)`, then
`np.random.choice(2^n, size=k)` WITH replacement, those bits set to 1. k = 2, 10, 21 with seed
10 give the paper's three targets (2, 10 and 20 ones; C_LZ 31.5, 66.5, 101.5 in the authors'
off-by-one LZ code, 35.0, 70.0, 101.5 in Dingle et al.'s). Sweeping k grades the complexity;
uniformly random targets add the high-complexity end. The legacy numpy stream is kept on
purpose: it is what reproduces the authors' strings.

Every training run draws its own S (m inputs without replacement) from a seed fixed by
(seed, target, m, run), not by the net, so runs with the same index see the same S under every
prior (a paired design) and the PAC-Bayes stage can recompute exactly the sets that were trained.
Every function the stage records carries its C_LZ in both variants (`complexity_columns`), so a
figure can show either without recomputing. The unbiased learner's functions (the target on S,
coin flips on E) are drawn the same way, as the reference of Fig. 1d-f.

Label corruption (1805.08522): at level c every label of S and of the test set E is replaced by
a fair coin with probability c (nn-pacbayes `process_labels`: train and test alike, so the noisy
distribution is the one the PAC-Bayes bound speaks of).
"""

import zlib

import numpy as np
import pandas as pd

from nnbayes.core.complexity import lz_complexity
from nnbayes.core.tasks import Task, image_task

LZ_COLUMNS = {"dingle": "clz", "occam2304": "clz_occam2304"}  # variant -> column holding it


def complexity_columns(bits: np.ndarray) -> dict[str, np.ndarray]:
    """C_LZ of every row in both variants, under the column names of LZ_COLUMNS."""
    return {col: lz_complexity(bits, variant) for variant, col in LZ_COLUMNS.items()}


def seeded_ones_target(k: int, seed: int, n_points: int) -> np.ndarray:
    """The authors' target: k indices drawn with replacement by the legacy seeded stream -> 1."""
    if k < 0:
        raise ValueError(f"number of ones drawn must be >= 0, got {k}")
    bits = np.zeros(n_points, dtype=np.uint8)
    bits[np.random.RandomState(seed).choice(n_points, size=k)] = 1
    return bits


def random_target(seed: int, n_points: int, p: float = 0.5) -> np.ndarray:
    """Each output 1 with probability p (the high-complexity end of the sweep)."""
    return (np.random.default_rng(seed).random(n_points) < p).astype(np.uint8)


def target_names(spec: dict) -> list[str]:
    """'ones{k}' for every k in spec['ones'], then 'random{i}' for i < spec['random']."""
    return [f"ones{k}" for k in spec["ones"]] + [f"random{i}" for i in range(spec["random"])]


def graded_targets(spec: dict, n_points: int) -> dict[str, np.ndarray]:
    """{name: bits} in `target_names` order: the seeded construction with spec['ones'] draws
    (seed spec['seed']), then uniformly random targets seeded 0, 1, ..."""
    bits = [seeded_ones_target(k, spec["seed"], n_points) for k in spec["ones"]]
    bits += [random_target(i, n_points) for i in range(spec["random"])]
    return dict(zip(target_names(spec), bits))


def run_seed(seed: int, target: str, m: int, run: int) -> int:
    """The seed of run `run`'s training set: independent of the net (paired design)."""
    ss = np.random.SeedSequence([seed, zlib.crc32(target.encode()), m, run])
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def shard_range(runs: int, shards: int, shard: int) -> tuple[int, int]:
    """(first run, number of runs) of shard `shard`: runs split as evenly as possible."""
    q, r = divmod(runs, shards)
    return shard * q + min(shard, r), q + (shard < r)


def run_masks(seed: int, target: str, m: int, runs: np.ndarray, n_points: int) -> np.ndarray:
    """bool [len(runs), n_points]: S of each run, m points drawn without replacement."""
    if not 0 < m < n_points:
        raise ValueError(f"training-set size m={m} must satisfy 0 < m < {n_points}")
    masks = np.zeros((len(runs), n_points), dtype=bool)
    for i, r in enumerate(runs):
        rng = np.random.default_rng(run_seed(seed, target, m, int(r)))
        masks[i, rng.choice(n_points, size=m, replace=False)] = True
    return masks


def random_labelling(cube: np.ndarray, targets: dict[str, np.ndarray], m: int, draws: int,
                     seed: int) -> pd.DataFrame:
    """The unbiased learner's functions: the target on S, a fair coin on E (Fig. 1d-f's
    reference), with S drawn like a training run's. One row per (target, draw)."""
    frames = []
    for name, y in targets.items():
        masks = run_masks(seed, f"{name}/random-labelling", m, np.arange(draws), len(cube))
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        full = np.where(masks, y, rng.integers(0, 2, masks.shape)).astype(np.uint8)
        frames.append(pd.DataFrame({"target": name, "draw": np.arange(draws),
                                    "errors": (full != y).sum(1), "n_test": len(cube) - m,
                                    **complexity_columns(full)}))
    return pd.concat(frames, ignore_index=True)


def corrupt_labels(y: np.ndarray, level: float, rng: np.random.Generator) -> np.ndarray:
    """Each label replaced, with probability `level`, by a fair coin (so level 1 = pure noise)."""
    replace = rng.random(len(y)) < level
    return np.where(replace, rng.integers(0, 2, len(y)), y).astype(np.uint8)


def corrupted_task(X: np.ndarray, y: np.ndarray, spec: dict, level: float) -> Task:
    """The image task of `spec` (m, test_size, seed) with labels of S and E corrupted at `level`.

    S and E are the same images at every level; only the labels change.
    """
    task = image_task(X, y, spec["m"], spec["test_size"], spec["seed"])
    rng = np.random.default_rng([spec["seed"], zlib.crc32(b"corruption"), round(level * 1_000_000)])
    labels = corrupt_labels(np.concatenate([task.y_train, task.y_test]), level, rng)
    m = len(task.y_train)
    return Task(task.X_train, labels[:m], task.X_test, labels[m:], task.order)
