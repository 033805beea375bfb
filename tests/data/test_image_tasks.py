"""Image tasks: with an official test split, S is drawn from the training images and E is the
first test_size test images; with one pool (digits), the task is what it was before the split."""

import hashlib

import numpy as np
import pytest
from conftest import TEST_FAILURE_RATE
from scipy.stats import binom

from nnbayes.core.tasks import load_task, size_error, split_task
from nnbayes.data.images import load_images

N_TRAIN, N_TEST, D = 40, 15, 3


def split_set(seed=0):
    """Distinct rows (row i of train is i, of test is 1000 + i) so a row names its image."""
    rng = np.random.default_rng(seed)
    X = np.arange(N_TRAIN, dtype=np.float32)[:, None] + np.zeros(D, np.float32)
    X_test = 1000 + np.arange(N_TEST, dtype=np.float32)[:, None] + np.zeros(D, np.float32)
    return {"X": X, "y": rng.integers(0, 2, N_TRAIN).astype(np.uint8),
            "X_test": X_test, "y_test": rng.integers(0, 2, N_TEST).astype(np.uint8)}


def test_e_is_the_first_test_images_and_s_is_inside_the_training_split():
    data = split_set()
    for seed in range(5):
        task = load_task({"kind": "images", "m": 10, "test_size": 6, "seed": seed}, images=data)
        np.testing.assert_array_equal(task.X_test, data["X_test"][:6])  # the same E for every seed
        np.testing.assert_array_equal(task.y_test, data["y_test"][:6])
        train = task.order[:10]
        assert len(set(train.tolist())) == 10 and train.min() >= 0 and train.max() < N_TRAIN
        np.testing.assert_array_equal(task.X_train[:, 0], train)  # row i is image i
        np.testing.assert_array_equal(task.y_train, data["y"][train])
        np.testing.assert_array_equal(task.order[10:], N_TRAIN + np.arange(6))
        np.testing.assert_array_equal(task.X, np.concatenate([data["X"], data["X_test"]])[task.order])
    a, b = (load_task({"kind": "images", "m": 10, "test_size": 6, "seed": s}, images=data) for s in (0, 1))
    assert not np.array_equal(a.order, b.order)


def test_s_is_uniform_over_the_training_images():
    """Each of the 40 images is in S with probability m/40; each count is Binomial(runs, m/40),
    checked two-sided at TEST_FAILURE_RATE split over the 40 counts (Bonferroni)."""
    data, m, runs = split_set(), 8, 2000
    counts = np.zeros(N_TRAIN, int)
    for seed in range(runs):
        counts[split_task(data["X"], data["y"], data["X_test"], data["y_test"], m, 1, seed).order[:m]] += 1
    alpha = TEST_FAILURE_RATE / N_TRAIN
    lo, hi = binom.ppf(alpha / 2, runs, m / N_TRAIN), binom.isf(alpha / 2, runs, m / N_TRAIN)
    assert counts.sum() == m * runs
    assert lo <= counts.min() and counts.max() <= hi, (lo, hi, counts)


def test_sizes_are_checked_against_each_split():
    data = split_set()
    assert size_error(N_TRAIN, N_TEST, N_TRAIN, N_TEST) is None  # both splits used whole: fine
    assert size_error(N_TRAIN + 1, 1, N_TRAIN, N_TEST) == \
        f"m = {N_TRAIN + 1} exceeds the {N_TRAIN} training images of data.images"
    assert size_error(1, N_TEST + 1, N_TRAIN, N_TEST) == \
        f"test_size = {N_TEST + 1} exceeds the {N_TEST} test images of data.images"
    assert size_error(30, 20, 50, None) is None
    assert size_error(31, 20, 50, None) == "m + test_size = 31 + 20 exceeds the 50 images of data.images"
    with pytest.raises(ValueError, match="test_size = 16 exceeds the 15 test images"):
        load_task({"kind": "images", "m": 5, "test_size": 16, "seed": 0}, images=data)


# The old image_task (before the test split existed) on digits, m = 200, test_size = 20, seed 0:
# its order started 360 1773 1482 600 850 196 968 1742 and its arrays hashed to this.
OLD_DIGITS_TASK = "118bc68d1e0c9b1f172452d4e419890b3fe9ac897c2b68fa72ea7d005c7a599b"


def test_digits_tasks_are_unchanged():
    images = load_images("digits", rule="lt5")
    task = load_task({"kind": "images", "m": 200, "test_size": 20, "seed": 0}, images=images)
    assert task.order[:8].tolist() == [360, 1773, 1482, 600, 850, 196, 968, 1742]
    h = hashlib.sha256()
    for a in (task.X_train, task.y_train, task.X_test, task.y_test, task.order):
        h.update(np.ascontiguousarray(a).tobytes())
    assert h.hexdigest() == OLD_DIGITS_TASK
