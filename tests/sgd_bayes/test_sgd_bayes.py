"""P_opt vs P_B stage: tasks, run merging, scoring against brute-force Gaussian orthant
probabilities, the GP's predicted error distribution, and the figure checks."""

import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import multivariate_normal

from nnbayes.core.boolean import bits_to_str, boolean_cube, target_function
from nnbayes.core.functions import pack_array, pack_bits, unpack_ids
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.sgd_bayes.posterior import functions_to_score, gp_error_distribution, score, task_kernel
from nnbayes.core.runs import train_shard
from nnbayes.core.tables import merge_runs
from nnbayes.core.tasks import boolean_task, image_task, load_task

NET = {"depth": 1, "width": 40, "activation": "relu", "sigma_w": 1.0, "sigma_b": 1.0}
CPU = torch.device("cpu")


def small_task(n=3, train="10010010"):
    """n = 3: S u E has 8 points, so every labelling of E can be enumerated."""
    cube = boolean_cube(n)
    return boolean_task(cube, target_function({"kind": "majority"}, n), train)


def orthant(K: np.ndarray, y: np.ndarray) -> float:
    """P(sign f = y), f ~ N(0, K), by scipy's multivariate-normal CDF (the independent method)."""
    s = 2.0 * y - 1
    return multivariate_normal(np.zeros(len(y)), K * np.outer(s, s), allow_singular=True).cdf(np.zeros(len(y)))


def test_boolean_task_splits_the_cube_by_the_mask():
    cube = boolean_cube(7)
    target = target_function({"kind": "random", "seed": 3}, 7)
    mask = np.zeros(128, dtype=np.uint8)
    mask[[0, 5, 77, 127]] = 1
    task = boolean_task(cube, target, bits_to_str(mask))
    assert sorted(task.order) == list(range(128))
    assert np.array_equal(task.X_train, cube[[0, 5, 77, 127]])
    assert np.array_equal(np.concatenate([task.y_train, task.y_test]), target[task.order])
    with pytest.raises(ValueError, match="length 4"):
        boolean_task(cube, target, "0101")


def test_image_task_is_a_seeded_disjoint_split():
    X, y = np.arange(200, dtype=np.float32).reshape(100, 2), np.arange(100) % 2
    a, b = image_task(X, y, 30, 10, seed=1), image_task(X, y, 30, 10, seed=1)
    assert np.array_equal(a.order, b.order) and len(set(a.order)) == 40
    assert np.array_equal(a.X_test, X[a.order[30:]])
    with pytest.raises(ValueError, match="exceeds"):
        image_task(X, y, 95, 10, seed=1)
    with pytest.raises(ValueError, match="not one of"):
        load_task({"kind": "boolean", "target": "nope", "train": "1"}, cube=X, targets={"a": y})


def test_pack_array_equals_the_torch_packer():
    bits = np.random.default_rng(0).integers(0, 2, (50, 96)).astype(bool)
    assert np.array_equal(pack_array(bits), pack_bits(torch.as_tensor(bits)))


def test_merge_runs_counts_converged_runs_and_their_test_errors():
    rng = np.random.default_rng(1)
    y_test = rng.integers(0, 2, 20).astype(np.uint8)
    funcs = rng.integers(0, 2, (6, 20)).astype(np.uint8)
    pick = rng.integers(0, 6, 300)
    converged = rng.random(300) < 0.9
    ids = pack_array(funcs[pick])
    shards = [pd.DataFrame({"id_hi": ids[s, 0], "id_lo": ids[s, 1], "converged": converged[s],
                            "epochs": np.ones(100, dtype=np.int64)}) for s in np.split(np.arange(300), 3)]
    table, summary = merge_runs(shards, y_test)
    assert summary["runs"] == 300 and summary["not_converged"] == (~converged).sum()
    assert table["count"].sum() == converged.sum()
    for _, r in table.iterrows():
        bits = unpack_ids(np.array([[r["id_hi"], r["id_lo"]]], dtype=np.uint64), 20)[0]
        k = next(i for i in range(6) if np.array_equal(funcs[i], bits))
        assert r["count"] == (converged & (pick == k)).sum()
        assert r["errors"] == (bits != y_test).sum()


def test_train_shard_keeps_every_run_and_is_seeded():
    task = small_task()
    variant = {"optimizer": "sgd", "batch_size": 2, "lr": 0.1, "loss": "ce"}

    def run(max_epochs):
        return train_shard(task, NET, variant, 25, batch_nets=10, max_epochs=max_epochs,
                           gen=torch.Generator().manual_seed(5), device=CPU, dtype=torch.float32)

    a, b = run(200), run(200)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 25 and a["converged"].mean() > 0.9
    short = run(1)
    assert len(short) == 25 and not short["converged"].all()  # reported, not dropped


def test_functions_to_score_filters_by_count_and_keeps_the_target():
    t = lambda hi, c: pd.DataFrame({"id_hi": np.array(hi, dtype=np.uint64), "id_lo": np.zeros(len(hi), np.uint64),  # noqa: E731
                                    "count": c, "errors": [1] * len(hi)})
    tables = {"a": t([1, 2, 3], [9, 4, 1]), "b": t([2, 4], [3, 6])}
    target = np.array([[7, 0]], dtype=np.uint64)
    got = functions_to_score(tables, target, min_count=5, max_functions=10)
    assert got["id_hi"].tolist() == [1, 4, 7]  # 2 has 7 in total but never >= 5 in one variant
    assert got["errors"].tolist() == [1, 1, 0]
    assert functions_to_score(tables, target, 5, 1)["id_hi"].tolist() == [1, 7]


def test_posterior_scores_match_brute_force_orthant_probabilities():
    task = small_task()
    K = task_kernel(task, NET)
    assert np.allclose(K, nngp_kernel(task.X.astype(float), depth=1, sigma_w=1.0, sigma_b=1.0).numpy())
    m, n_test = len(task.y_train), len(task.y_test)
    labels = np.array(list(itertools.product([0, 1], repeat=n_test)), dtype=np.uint8)
    ids = pack_array(labels)
    funcs = pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "errors": (labels != task.y_test).sum(1)})
    out, summary = score(task, NET, funcs, exact_top=len(funcs), exact_samples=4000,
                         probit_scale=None, seed=0, boolean=True,
                         baselines={"same": {"depth": 1}, "perceptron": {"depth": 0}})
    p_s = orthant(K[:m, :m], task.y_train)
    exact = np.array([orthant(K, np.concatenate([task.y_train, lab])) / p_s for lab in labels])
    assert exact.sum() == pytest.approx(1, abs=2e-3)
    # the tilting estimate is unbiased: within 4 of its standard errors (plus scipy's own 1e-3)
    z = (out["log_pb_exact"] - np.log(exact)) / np.hypot(out["exact_stderr"], 1e-3 / exact)
    assert np.abs(z).max() < 4
    assert np.exp(out["log_pb_exact"]).sum() == pytest.approx(1, abs=0.02)
    # EP is an approximation: close in total mass and in rank on this small set
    assert np.exp(out["log_pb_ep"]).sum() == pytest.approx(1, abs=0.1)
    assert summary["log_ps_exact"] == pytest.approx(np.log(p_s), abs=4 * summary["log_ps_stderr"] + 1e-3)
    assert out["clz"].notna().all()
    # a baseline that changes nothing is the matched prior; the perceptron's prior is another one
    assert np.array_equal(out["log_pb_same"], out["log_pb_ep"])
    assert np.abs(out["log_pb_perceptron"] - out["log_pb_ep"]).max() > 0.1


def test_p_b_is_computed_once_per_orbit_and_equals_each_members_own():
    """On a 5-cube task, score() runs EP on one function per input-permutation orbit and copies
    it (`_by_orbit`); each member's own EP (the same functions scored one orbit at a time, as
    boolean=False does) agrees to 1e-9 relative, for the matched prior and a baseline."""
    task = boolean_task(boolean_cube(5), target_function({"kind": "majority"}, 5), "1" * 20 + "0" * 12)
    rng = np.random.default_rng(0)
    bits = np.tile(task.y_test, (40, 1))
    for row in bits[1:]:
        row[rng.choice(len(row), 3, replace=False)] ^= 1
    ids = pack_array(np.unique(bits, axis=0))
    funcs = pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "errors": 0})
    kw = dict(exact_top=0, exact_samples=100, probit_scale=None, seed=0, baselines={"b0": {"sigma_b": 0.1}})
    shared, _ = score(task, NET, funcs, boolean=True, **kw)
    own, _ = score(task, NET, funcs, boolean=False, **kw)
    assert shared["orbit"].nunique() < len(funcs)  # some orbits have several members here
    for col in ("log_pb_ep", "log_pb_b0"):
        np.testing.assert_allclose(shared[col], own[col], rtol=1e-9)
        assert (shared.groupby("orbit")[col].nunique() == 1).all()


def test_gp_error_distribution_matches_enumeration():
    task = small_task()
    K = task_kernel(task, NET)
    m, n_test = len(task.y_train), len(task.y_test)
    p_s = orthant(K[:m, :m], task.y_train)
    want = np.zeros(n_test + 1)
    for lab in itertools.product([0, 1], repeat=n_test):
        lab = np.array(lab, dtype=np.uint8)
        want[(lab != task.y_test).sum()] += orthant(K, np.concatenate([task.y_train, lab])) / p_s
    table, sampled, summary = gp_error_distribution(task, NET, 20000, seed=3)
    assert table["p"].sum() == pytest.approx(1)
    assert sampled["draws"].sum() == 20000 and sampled["mass"].sum() == pytest.approx(1)
    by_errors = sampled.groupby("errors")["mass"].sum().reindex(range(n_test + 1), fill_value=0)
    assert np.allclose(by_errors.to_numpy(), table["p"].to_numpy())  # the same draws, kept by function
    assert np.abs(table["p"].to_numpy() - want).max() < 0.02  # ~4 sd of a 20k-sample estimate
    assert summary["ess"] > 1000


def test_baseline_sweep_cap_leaves_the_perceptrons_floor_values():
    """BASELINE_MAX_ITER's premise: a function the perceptron (rank-8 kernel on the 7-cube) cannot
    separate never converges in its sites, but its log P_B has settled long before the cap: at
    the cap and at 5x the cap it agrees to 1e-4 nats. (Parity on a random half of the cube.)"""
    from nnbayes.gp.prob import log_posterior_batch
    from nnbayes.sgd_bayes.posterior import BASELINE_MAX_ITER

    X = boolean_cube(7)
    order = np.random.default_rng(0).permutation(128)
    K = nngp_kernel(X[order].astype(np.float64), depth=0, sigma_w=1.0, sigma_b=1.0).numpy()
    parity = X[order].sum(1) % 2
    Y = np.stack([parity[64:], 1 - parity[64:]])
    at_cap, longer = (log_posterior_batch(K, parity[:64], Y, np.arange(64), np.arange(64, 128), "ep", max_iter=it)
                      for it in (BASELINE_MAX_ITER, 5 * BASELINE_MAX_ITER))
    assert not at_cap.converged.any() and np.isfinite(at_cap.log_p).all()
    np.testing.assert_allclose(at_cap.log_p, longer.log_p, atol=1e-4, rtol=0)
