"""Sparse targets for the mean-field study (arXiv 2510.15174): only k of d inputs matter.

  * `parity`: x uniform on {-1, +1}^d, y = chi_S(x) = prod_{j in S} x_j;
  * `single_index`: x ~ N(0, I_d), y = He_p(u.x) / sqrt(p!), u = 1_S / sqrt(k) (unit norm).

S = the first k coordinates (plots then read "relevant = left"). Both targets have
E[y^2] = 1, so the order parameter m = E[f y] / E[y^2] and the test MSE share one scale.
Training sets are nested in P for a given seed (the first P rows of one stream), so a
learning curve moves along one data draw; the test set is an independent stream of the seed.
Torch-free: the samplers, the solvers and the checks all read the same arrays.
"""

import math
from dataclasses import dataclass

import numpy as np

TASK_KINDS = ("parity", "single_index")


@dataclass(frozen=True)
class SparseTask:
    X_train: np.ndarray  # float64 [P, d]
    y_train: np.ndarray  # float64 [P]
    X_test: np.ndarray  # float64 [n_test, d]
    y_test: np.ndarray  # float64 [n_test]
    relevant: np.ndarray  # int [k]: the coordinates the target depends on


def hermite(x: np.ndarray, degree: int) -> np.ndarray:
    """Probabilists' Hermite polynomial He_p(x) (He_{p+1} = x He_p - p He_{p-1})."""
    prev, cur = np.ones_like(x), x
    if degree == 0:
        return prev
    for p in range(1, degree):
        prev, cur = cur, x * cur - p * prev
    return cur


def target(spec: dict, X: np.ndarray) -> np.ndarray:
    """The target on inputs X [n, d] (unit second moment under the task's input law)."""
    k = spec["k"]
    if spec["kind"] == "parity":
        return np.prod(X[:, :k], axis=1)
    if spec["kind"] == "single_index":
        p = spec["degree"]
        return hermite(X[:, :k].sum(1) / math.sqrt(k), p) / math.sqrt(math.factorial(p))
    raise ValueError(f"task kind {spec['kind']!r} is not one of {list(TASK_KINDS)}")


def inputs(spec: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """n i.i.d. inputs; rows are drawn in order, so a longer draw extends a shorter one."""
    d = spec["d"]
    if spec["kind"] == "parity":
        return 2.0 * rng.integers(0, 2, size=(n, d)) - 1.0
    if spec["kind"] == "single_index":
        return rng.standard_normal((n, d))
    raise ValueError(f"task kind {spec['kind']!r} is not one of {list(TASK_KINDS)}")


def make_task(spec: dict, n_train: int, n_test: int, seed: int) -> SparseTask:
    """Train/test sets of one data seed: train = first n_train rows of stream (seed, 0)."""
    if not 1 <= spec["k"] <= spec["d"]:
        raise ValueError(f"need 1 <= k <= d, got k={spec['k']}, d={spec['d']}")
    X_train = inputs(spec, n_train, np.random.default_rng([seed, 0]))
    X_test = inputs(spec, n_test, np.random.default_rng([seed, 1]))
    return SparseTask(X_train, target(spec, X_train), X_test, target(spec, X_test),
                      np.arange(spec["k"]))
