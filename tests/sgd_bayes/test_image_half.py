"""The image half (issue 17) as the sgd_bayes stage wires it: the CNN-GP kernel of a CNN task, the
two-stage P_B route against EP on S u E, the overtrained variants' counts and the per-task,
per-optimiser and before/after summaries of figs 13-15."""

import itertools

import numpy as np
import pandas as pd
import pytest

from nnbayes.core.functions import pack_array
from nnbayes.core.tables import merge_runs
from nnbayes.core.tasks import image_task
from nnbayes.gp.cnngp import cnngp_kernel
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.sgd_bayes.task_sets import by_task, overtrained_pairs, total_variation
from nnbayes.sgd_bayes.posterior import baseline_net, gp_error_distribution, score, task_kernel

CNN = {"arch": "cnn", "channels": [4, 4], "filters": [3, 2], "padding": ["valid", "same"], "image_shape": [1, 4, 4],
       "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.3}
FCN = {"depth": 2, "width": 16, "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.3}


def tiny_images(m=24, test_size=5, seed=0):
    """A learnable 4x4 image task: the label is whether the left half is brighter."""
    rng = np.random.default_rng(seed)
    X = rng.random((80, 16)).astype(np.float32)
    y = (X.reshape(80, 4, 4)[:, :, :2].sum((1, 2)) > X.reshape(80, 4, 4)[:, :, 2:].sum((1, 2))).astype(np.uint8)
    return image_task(X, y, m, test_size, seed)


def test_a_cnn_task_is_scored_with_its_cnn_gp_kernel_and_an_fcn_perceptron_baseline():
    task = tiny_images()
    K = task_kernel(task, CNN)
    want = cnngp_kernel(task.X.astype(np.float64), image_shape=(1, 4, 4), filters=[(3, 3), (2, 2)],
                        padding=["valid", "same"], sigma_w=1.0, sigma_b=0.3).numpy()
    np.testing.assert_array_equal(K, want)
    assert not np.allclose(K, task_kernel(task, FCN))  # the architecture is in the prior
    base = baseline_net(CNN, {"depth": 0})
    assert base == {"arch": "fcn", "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.3, "depth": 0}
    np.testing.assert_array_equal(task_kernel(task, base),
                                  nngp_kernel(task.X.astype(np.float64), depth=0, sigma_w=1.0, sigma_b=0.3).numpy())
    assert baseline_net(CNN, {"sigma_b": 0.0}) == {**CNN, "sigma_b": 0.0}


def _all_functions(task):
    labels = np.array(list(itertools.product([0, 1], repeat=len(task.y_test))), dtype=np.uint8)
    ids = pack_array(labels)
    return pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "errors": (labels != task.y_test).sum(1)})


def test_two_stage_route_agrees_with_full_ep_where_the_mass_is_and_says_so():
    """Both routes score every labelling of E: they must agree on the likely functions (two-stage
    overstates unlikely ones, gp/test_two_stage), sum to about one, and the table records the
    full-EP column for fig13's gap only when asked and affordable."""
    task = tiny_images()
    funcs = _all_functions(task)
    opts = dict(exact_top=0, exact_samples=500, probit_scale=None, seed=0, boolean=False)
    two, s2 = score(task, CNN, funcs, route="two_stage", check_points=100, **opts)
    full, s1 = score(task, CNN, funcs, route="full", **opts)
    assert s2["route"] == "two_stage" and s1["route"] == "full" and "log_pb_full" not in full
    np.testing.assert_array_equal(two["log_pb_full"], full["log_pb_ep"])
    likely = full["log_pb_ep"] > np.log(0.01)
    assert likely.sum() >= 3
    assert np.abs(two.loc[likely, "log_pb_ep"] - full.loc[likely, "log_pb_ep"]).max() < 0.2
    assert np.exp(two["log_pb_ep"]).sum() == pytest.approx(1, abs=0.02)  # q is a distribution
    big, s3 = score(task, CNN, funcs, route="two_stage", check_points=10, **opts)
    assert "log_pb_full" not in big and np.isnan(s3["log_ps_exact"])  # no full-K work past the cap
    with pytest.raises(ValueError, match="probit_scale: null"):
        score(task, CNN, funcs, route="two_stage", **{**opts, "probit_scale": 1.0})


def test_gp_ep_sampling_is_a_distribution_close_to_the_exact_posterior_errors():
    task = tiny_images()
    exact, _, s_exact = gp_error_distribution(task, CNN, 4000, seed=1)
    approx, sampled, s_q = gp_error_distribution(task, CNN, 4000, seed=1, approximate=True)
    assert approx["p"].sum() == pytest.approx(1) and s_q["ess"] == pytest.approx(4000)
    assert sampled["draws"].sum() == 4000 and s_q["sampler"].startswith("q(f_E|S)")
    # q keeps the exact marginals to ~1e-3 (gp/test_two_stage): the mean error agrees to MC noise
    assert abs(s_q["mean_test_error"] - s_exact["mean_test_error"]) < 0.03


def _runs(ids, after=None):
    d = pd.DataFrame({"id_hi": np.asarray(ids, dtype=np.uint64), "id_lo": np.zeros(len(ids), np.uint64),
                      "converged": np.ones(len(ids), bool), "epochs": np.ones(len(ids), np.int64)})
    if after is not None:
        d["id_after_hi"], d["id_after_lo"] = np.asarray(after, dtype=np.uint64), np.zeros(len(ids), np.uint64)
    return d


def test_an_overtrained_variant_counts_the_function_each_run_ended_on():
    y_test = np.zeros(3, dtype=np.uint8)
    plain, summary = merge_runs([_runs([1, 1, 2])], y_test)
    assert dict(zip(plain["id_hi"], plain["count"])) == {1: 2, 2: 1} and "moved_after_fit" not in summary
    over, summary = merge_runs([_runs([1, 1, 2], after=[1, 4, 4])], y_test)
    assert dict(zip(over["id_hi"], over["count"])) == {1: 1, 4: 2} and summary["moved_after_fit"] == 2
    assert dict(zip(over["id_hi"], over["errors"])) == {1: 1, 4: 1}  # errors of the function after


def _meta(name, variant, task="t", net="n"):
    return {"stage": "train", "name": name, "variant": variant, "task": {"kind": "images", "m": 1, "id": task},
            "net": {"id": net}}


def test_figure_sets_split_by_task_and_overtrained_variants_find_their_twins():
    sgd = {"optimizer": "sgd", "batch_size": 32, "lr": 0.1, "loss": "ce"}
    a = (_meta("a/sgd", sgd), pd.DataFrame())
    a_over = (_meta("a/sgd_over", {**sgd, "epochs_after_fit": 64}), pd.DataFrame())
    b = (_meta("b/sgd", sgd, net="cnn"), pd.DataFrame())  # same data, another net: another task
    post_b = ({"stage": "posterior", "task": b[0]["task"], "net": b[0]["net"]}, pd.DataFrame())
    groups = by_task([a, b, a_over, post_b])
    assert list(groups) == ["a", "b"] and len(groups["a"]) == 2 and groups["b"] == [b, post_b]
    assert overtrained_pairs([a, b, a_over]) == [(a, a_over)]
    lone = (_meta("a/adam_over", {**sgd, "optimizer": "adam", "epochs_after_fit": 64}), pd.DataFrame())
    with pytest.raises(ValueError, match="a/adam_over: no variant"):
        overtrained_pairs([a, lone])


def test_total_variation_of_function_frequencies():
    t = lambda ids, counts: pd.DataFrame({"id_hi": np.array(ids, np.uint64), "id_lo": np.zeros(len(ids), np.uint64),  # noqa: E731
                                          "count": counts})
    assert total_variation(t([1, 2], [60, 40]), 100, t([1, 2], [60, 40]), 100, 5) == 0
    assert total_variation(t([1], [100]), 100, t([2], [50]), 50, 5) == pytest.approx(1)
    # rare functions are lumped into one cell: 3 and 4 (< 5 counts each) differ but do not count
    assert total_variation(t([1, 3], [96, 4]), 100, t([1, 4], [96, 4]), 100, 5) == 0
    assert total_variation(t([1, 2], [80, 20]), 100, t([1, 2], [50, 50]), 100, 5) == pytest.approx(0.3)
