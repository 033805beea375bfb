"""Learning tasks for P_opt(f|S) vs P_B(f|S): a training set S and a test set E, as arrays.

Two kinds, both binary classification with labels in {0, 1}:
  * `boolean`: the cube {0,1}^n, a target function on it and a training mask; E is the rest
    of the cube, so a function on S u E is a whole Boolean function (its C_LZ is defined);
  * `images`: a binarised image set. With an official test split (MNIST, Fashion-MNIST), S is
    m training images drawn with a seed and E the first `test_size` test images (the authors'
    choice: one E for every seed); with one pool (digits), S and E come from one seeded shuffle.
Torch-free: the trainer, the GP stage and the checks all read the same arrays.
"""

from dataclasses import dataclass

import numpy as np

from nnbayes.core.boolean import str_to_bits

TASK_KINDS = ("boolean", "images")


@dataclass(frozen=True)
class Task:
    """Inputs and labels of S and E; `order` places S u E back in the data set's own order."""

    X_train: np.ndarray  # float [m, d]
    y_train: np.ndarray  # uint8 [m]
    X_test: np.ndarray  # float [|E|, d]
    y_test: np.ndarray  # uint8 [|E|]
    order: np.ndarray  # int [m + |E|]: data-set index of each row of (S, E)

    @property
    def X(self) -> np.ndarray:
        """S then E, the row order of the GP kernel."""
        return np.concatenate([self.X_train, self.X_test])


def boolean_task(cube: np.ndarray, target: np.ndarray, train: str) -> Task:
    """S = the cube points where the mask string `train` has a '1'; E = all the others."""
    mask = str_to_bits(train).astype(bool)
    if len(mask) != len(cube):
        raise ValueError(f"training mask has length {len(mask)}, the cube has {len(cube)} points")
    order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
    x = cube.astype(np.float32)
    return Task(x[mask], target[mask], x[~mask], target[~mask], order)


def size_error(m: int, test_size: int, n_train: int, n_test: int | None) -> str | None:
    """Why an image task of m training and test_size test images does not fit a set of n_train
    (and n_test test) images, or None: the planner and the task builders say it alike."""
    if n_test is None:
        if m + test_size > n_train:
            return f"m + test_size = {m} + {test_size} exceeds the {n_train} images of data.images"
        return None
    if m > n_train:
        return f"m = {m} exceeds the {n_train} training images of data.images"
    if test_size > n_test:
        return f"test_size = {test_size} exceeds the {n_test} test images of data.images"
    return None


def image_task(X: np.ndarray, y: np.ndarray, m: int, test_size: int, seed: int) -> Task:
    """One pool: S = m images drawn without replacement by `seed`; E = the next `test_size` of
    that shuffle."""
    if err := size_error(m, test_size, len(X), None):
        raise ValueError(err)
    order = np.random.default_rng(seed).permutation(len(X))[: m + test_size]
    return Task(X[order[:m]], y[order[:m]], X[order[m:]], y[order[m:]], order)


def split_task(X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
               m: int, test_size: int, seed: int) -> Task:
    """Official splits: S = m training images drawn without replacement by `seed`; E = the first
    `test_size` test images. `order` indexes the training images then the test images."""
    if err := size_error(m, test_size, len(X), len(X_test)):
        raise ValueError(err)
    train = np.random.default_rng(seed).choice(len(X), size=m, replace=False)
    order = np.concatenate([train, len(X) + np.arange(test_size)])
    return Task(X[train], y[train], X_test[:test_size], y_test[:test_size], order)


def load_task(spec: dict, cube: np.ndarray | None = None, targets: dict | None = None,
              images: dict | None = None) -> Task:
    """The Task a config entry describes (spec['kind'] picks which of the sources is used).

    targets: {name: uint8 bits on the cube}; images: the images npz's arrays ('X', 'y', and
    'X_test', 'y_test' for a set with an official test split).
    """
    kind = spec.get("kind")
    if kind == "boolean":
        if spec["target"] not in targets:
            raise ValueError(f"target {spec['target']!r} is not one of {sorted(targets)}")
        return boolean_task(cube, targets[spec["target"]], spec["train"])
    if kind == "images":
        if "X_test" in images:
            return split_task(images["X"], images["y"], images["X_test"], images["y_test"],
                              spec["m"], spec["test_size"], spec["seed"])
        return image_task(images["X"], images["y"], spec["m"], spec["test_size"], spec["seed"])
    raise ValueError(f"task kind {kind!r} is not one of {list(TASK_KINDS)}")
