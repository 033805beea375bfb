"""Training through the map: the N-dim function-space GD is exactly GD on w_R; the basis
encoding generalises at chance; amplitude +-1 forces f(x) = f(-x); min-norm = kernel regression."""

import numpy as np
import pandas as pd
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.core.boolean import bits_to_str, boolean_cube, target_function
from nnbayes.core.complexity import lz_complexity
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.learning import kernel_predictions, learn_fcn, learn_layered, tpp_gradient_descent
from nnbayes.qnn.map import fidelity_kernel, quadratic_features
from nnbayes.qnn.tasks import learning_targets, tasks

CUBE = boolean_cube(7)
ENC = {"basis": {"kind": "basis"}, "amplitude_pm": {"kind": "amplitude", "inputs": "pm"},
       "amplitude01": {"kind": "amplitude", "inputs": "binary", "zero": "constant", "constant": 1.0},
       "angle": {"kind": "angle", "theta": 1.0}}


def targets(**specs) -> pd.DataFrame:
    b = {k: target_function(v, 7) for k, v in specs.items()}
    return pd.DataFrame({"name": list(b), "bits": [bits_to_str(x) for x in b.values()],
                         "t": [int(x.sum()) for x in b.values()], "clz": lz_complexity(np.stack(list(b.values())))})


TASKS = tasks(targets(zero={"kind": "constant", "value": 0}, majority={"kind": "majority"},
                      random={"kind": "random", "seed": 3}), {"m": [48], "seeds": [0, 1]})


def test_function_space_gd_is_gd_on_the_perceptron_weights():
    """f = f0 + K[:, S] alpha with K = F reproduces explicit GD on w_R (D^2 = 64 weights)."""
    s, _ = embed(ENC["amplitude01"], CUBE)
    H = quadratic_features(s)
    F = fidelity_kernel(s).numpy()
    rows = TASKS.iloc[[1]]
    gen = torch.Generator().manual_seed(0)
    # the same initial functions: f0 = H w0 with w0 ~ N(0, I) has law N(0, F); draw w0 explicitly
    w = torch.randn(1, H.shape[1], generator=gen, dtype=torch.float64)
    y = torch.as_tensor(2.0 * rows["y"].iloc[0] - 1.0)
    mask = torch.as_tensor(rows["mask"].iloc[0])
    eta = 4.0 / float(np.linalg.eigvalsh(F).max())
    f_dual = (w @ H.T).clone()
    for _ in range(50):
        g_w = (-(y * torch.sigmoid(-y * (w @ H.T))) * mask) @ H  # d loss / d w_R
        w = w - eta * g_w
        g_f = -(y * torch.sigmoid(-y * f_dual)) * mask
        f_dual = f_dual - eta * g_f @ torch.as_tensor(F)
    assert torch.allclose(w @ H.T, f_dual, atol=1e-10)


def test_basis_encoding_generalises_at_chance_and_keeps_initial_test_signs():
    F = fidelity_kernel(embed(ENC["basis"], CUBE)[0]).numpy()
    assert np.array_equal(F, np.eye(128))
    runs = 200
    pred, conv, steps = tpp_gradient_descent(F, TASKS, runs, max_steps=200, gen=torch.Generator().manual_seed(1))
    assert conv.all() and steps.max() < 50
    Y = np.repeat(np.stack(TASKS["y"]), runs, 0).astype(bool)
    M = np.repeat(np.stack(TASKS["mask"]), runs, 0)
    assert (pred[M] == Y[M]).all()
    wrong = (pred != Y) & ~M  # on E every prediction is a fair coin, independent of the target
    assert scipy.stats.binomtest(int(wrong.sum()), int((~M).sum())).pvalue > TEST_FAILURE_RATE
    init = tpp_gradient_descent(F, TASKS, runs, max_steps=0, gen=torch.Generator().manual_seed(1))[0]
    assert (pred[~M] == init[~M]).all()  # training never touches the test outputs


def test_amplitude_pm_predictions_are_even():
    F = fidelity_kernel(embed(ENC["amplitude_pm"], CUBE)[0]).numpy()
    pred, _, _ = tpp_gradient_descent(F, TASKS, 5, max_steps=100, gen=torch.Generator().manual_seed(2))
    assert (pred == pred[:, ::-1]).all()
    assert (kernel_predictions(F, TASKS) == kernel_predictions(F, TASKS)[:, ::-1]).all()


def test_kernel_predictions_are_the_min_norm_perceptron():
    s, _ = embed(ENC["angle"], boolean_cube(5))
    H = quadratic_features(s).numpy()
    rows = tasks(pd.DataFrame({"name": ["r"], "bits": [bits_to_str(target_function({"kind": "random", "seed": 0}, 5))],
                               "t": [0], "clz": [0.0]}), {"m": [12], "seeds": [0, 1, 2]})
    pred = kernel_predictions(H @ H.T, rows)
    for k, (y, mask) in enumerate(zip(rows["y"], rows["mask"])):
        w = np.linalg.pinv(H[mask]) @ (2.0 * y[mask] - 1)  # min-norm w_R fitting S
        assert np.array_equal(pred[k], H @ w > 0)


def test_layered_and_fcn_learners_fit_the_training_set():
    rows = TASKS.iloc[:2]
    lay = learn_layered(CUBE, rows, ENC["amplitude01"], "amplitude01", runs=3, width=7, lr=0.03, max_steps=400,
                        gen=torch.Generator().manual_seed(3))
    fcn = learn_fcn(CUBE, rows, runs=3, net={"depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0,
                                             "sigma_b": 1.0},
                    variant={"optimizer": "adam", "batch_size": 8, "lr": 0.01, "loss": "ce"}, max_epochs=300,
                    gen=torch.Generator().manual_seed(3))
    for df in (lay, fcn):
        assert df["converged"].all() and (df["train_error"] == 0).all() and len(df) == 6
    assert (lay.loc[lay["target"] == "zero", "test_error"] < 0.2).all()


def test_learning_targets_span_complexity():
    named = targets(zero={"kind": "constant", "value": 0}, parity={"kind": "parity"})
    prior = targets(**{f"r{i}": {"kind": "random", "seed": i, "p": p} for i, p in enumerate([0.05, 0.2, 0.5, 0.5])})
    ids = np.array([[int(b[:64], 2), int(b[64:], 2)] for b in prior["bits"]], dtype=np.uint64)
    prior = prior.assign(id_hi=ids[:, 0], id_lo=ids[:, 1], count=[4, 3, 2, 1]).sort_values("clz")
    out = learning_targets(named, ["parity", "zero"], prior, {"n_points": 128}, 2)
    assert list(out["name"][:2]) == ["parity", "zero"] and len(out) == 4
    assert set(out["bits"][2:]) <= set(prior["bits"]) and out["clz"][2] < out["clz"][3]
