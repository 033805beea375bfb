"""Generalisation on Boolean targets: QNNs trained through the map, the layered QNN, the FCN.

Every learner sees the same tasks: a target function on the cube, a training set S of m inputs
(`boolean.train_mask`), the rest E as test set. Rows record the learned function on the whole
cube (a 128-bit id) so that any check can be recomputed from the table.

  * tpp_gd   a QNN trained through the map: the perceptron w_R . h_R(x), initialised from the
             Gaussian (GUE) prior and trained by full-batch gradient descent on the logistic
             loss until it fits S. Plain GD on w_R only moves w_R in the span of the training
             features, so in function space f = f0 + K[:, S] alpha with K = F, the fidelity
             kernel: the D^2-dim problem runs as an N-dim one, exactly.
  * minnorm  the same perceptron's minimum-norm fit of S (w_R from 0): kernel regression with F,
             sign of K_ES K_SS^+ y_S. Also used for the QNN-kernel NNGP and the FCN's NNGP
             ("GP": the sign of the GP posterior mean).
  * layered  the layered QNN (`qnn_layered`), trained by full-batch Adam on the logistic loss
             from its GUE prior until it fits S.
  * fcn_sgd  the FCN trained by `core.runs.train_shard` (the P_opt stage's trainer).
"""

import numpy as np
import pandas as pd
import torch

from nnbayes.core.functions import pack_array, unpack_ids
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.layered import forward as layered_forward
from nnbayes.qnn.layered import input_features, readout_dim
from nnbayes.qnn.map import fidelity_kernel
from nnbayes.qnn.models import gaussian_factor, gaussian_outputs, qnn_kernel
from nnbayes.core.runs import train_shard
from nnbayes.core.tasks import boolean_task


def _result(task_rows: pd.DataFrame, learner: str, predictions: np.ndarray, **columns) -> pd.DataFrame:
    """Rows (learner, target, m, seed, test/train error, function id) of predictions [T*R, N]."""
    reps = len(predictions) // len(task_rows)
    Y = np.repeat(np.stack(task_rows["y"]), reps, 0).astype(bool)
    M = np.repeat(np.stack(task_rows["mask"]), reps, 0)
    wrong = predictions != Y
    ids = pack_array(predictions)
    out = pd.DataFrame({"learner": learner, **{c: np.repeat(task_rows[c].to_numpy(), reps)
                                               for c in ("target", "clz", "t", "m", "seed")},
                        "run": np.tile(np.arange(reps), len(task_rows)),
                        "test_error": (wrong & ~M).sum(1) / (~M).sum(1),
                        "train_error": (wrong & M).sum(1) / M.sum(1),
                        "id_hi": ids[:, 0], "id_lo": ids[:, 1]})
    for k, v in columns.items():
        out[k] = v
    return out


def kernel_predictions(K: np.ndarray, task_rows: pd.DataFrame) -> np.ndarray:
    """bool [T, N]: sign of the noiseless GP posterior mean K_{.S} K_SS^+ y_S (y = +-1), the
    min-norm interpolant (least squares where S cannot be fitted); training inputs included."""
    K = torch.as_tensor(K, dtype=torch.float64)
    out = []
    for y, mask in zip(task_rows["y"], task_rows["mask"]):
        S = torch.as_tensor(np.flatnonzero(mask))
        ys = torch.as_tensor(2.0 * y[mask] - 1.0, dtype=torch.float64)
        alpha = torch.linalg.pinv(K[S][:, S], hermitian=True, rtol=1e-10) @ ys
        out.append((K[:, S] @ alpha > 0).numpy())
    return np.stack(out)


def tpp_gradient_descent(F: np.ndarray, task_rows: pd.DataFrame, runs: int, *, max_steps: int,
                         gen: torch.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predictions bool [T*runs, N], converged, steps) of the perceptron on h_R trained by GD.

    Sum logistic loss over S; its curvature in w_R is at most lambda_max(F)/4, so the step
    eta = 4/lambda_max(F) is half the stable limit. Each run stops at the first step that fits S.
    """
    K = torch.as_tensor(F, dtype=torch.float64)
    eta = 4.0 / float(torch.linalg.eigvalsh(K).max())
    B = len(task_rows) * runs
    f = gaussian_outputs(gaussian_factor(K), B, gen=gen, dtype=torch.float64)
    y = torch.as_tensor(np.repeat(2.0 * np.stack(task_rows["y"]) - 1.0, runs, 0))
    mask = torch.as_tensor(np.repeat(np.stack(task_rows["mask"]), runs, 0))
    steps = torch.zeros(B, dtype=torch.long)
    active = torch.ones(B, dtype=torch.bool)
    for step in range(max_steps + 1):
        fit = ((f * y > 0) | ~mask).all(1)
        active &= ~fit
        if step == max_steps or not active.any():
            break
        g = -y * torch.sigmoid(-y * f) * mask * active[:, None]  # d loss / d f_S, frozen once fit
        f = f - eta * g @ K
        steps += active
    return (f > 0).numpy(), (~active).numpy(), steps.numpy()


def layered_training(cube: np.ndarray, spec: dict, task_rows: pd.DataFrame, runs: int, *, width: int,
                     lr: float, max_steps: int, gen: torch.Generator,
                     dtype: torch.dtype = torch.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predictions, converged, steps) of layered QNNs trained by full-batch Adam (logistic loss)."""
    H1 = input_features(spec, cube).to(dtype)
    B = len(task_rows) * runs
    W1 = torch.randn(B, width, H1.shape[1], generator=gen, dtype=dtype).requires_grad_()
    w_out = torch.randn(B, readout_dim(width), generator=gen, dtype=dtype).requires_grad_()
    y = torch.as_tensor(np.repeat(2.0 * np.stack(task_rows["y"]) - 1.0, runs, 0), dtype=dtype)
    mask = torch.as_tensor(np.repeat(np.stack(task_rows["mask"]), runs, 0))
    opt = torch.optim.Adam([W1, w_out], lr=lr)
    steps = torch.zeros(B, dtype=torch.long)
    active = torch.ones(B, dtype=torch.bool)
    pred = torch.zeros(B, len(cube), dtype=torch.bool)
    for step in range(max_steps + 1):
        f = layered_forward(H1, W1, w_out)
        with torch.no_grad():
            fit = active & ((f * y > 0) | ~mask).all(1)
            pred[fit] = f[fit] > 0  # the function at the first step that fits S (Adam moves on)
            active &= ~fit
            if step == max_steps or not active.any():
                pred[active] = f[active] > 0
                break
            steps += active
        loss = (torch.nn.functional.softplus(-y * f) * mask * active[:, None]).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return pred.numpy(), (~active).numpy(), steps.numpy()


def fcn_training(cube: np.ndarray, task_rows: pd.DataFrame, runs: int, *, net: dict, variant: dict,
                 max_epochs: int, gen: torch.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(predictions, converged, epochs) of FCNs trained by `core.runs.train_shard`, per task."""
    preds, conv, epochs = [], [], []
    for y, mask in zip(task_rows["y"], task_rows["mask"]):
        task = boolean_task(cube, y, "".join("1" if b else "0" for b in mask))
        df = train_shard(task, net, variant, runs, batch_nets=runs, max_epochs=max_epochs, gen=gen,
                         device=torch.device("cpu"), dtype=torch.float32)
        test = unpack_ids(df[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), len(task.y_test)).astype(bool)
        full = np.zeros((runs, len(cube)), dtype=bool)
        full[:, task.order[: len(task.y_train)]] = task.y_train.astype(bool)  # fitted, if converged
        full[:, task.order[len(task.y_train):]] = test
        preds.append(full)
        conv.append(df["converged"].to_numpy())
        epochs.append(df["epochs"].to_numpy())
    return np.concatenate(preds), np.concatenate(conv), np.concatenate(epochs)


def learn_tpp(cube: np.ndarray, task_rows: pd.DataFrame, embeddings: dict, *, runs: int, max_steps: int,
              gen: torch.Generator) -> pd.DataFrame:
    """tpp_gd (runs per task) and tpp_minnorm rows for every embedding."""
    frames = []
    for name, spec in embeddings.items():
        states, keep = embed(spec, cube)
        if not keep.all():
            raise ValueError(f"embedding {name!r} leaves inputs out (zero: drop); learning needs all")
        F = fidelity_kernel(states).numpy()
        pred, conv, steps = tpp_gradient_descent(F, task_rows, runs, max_steps=max_steps, gen=gen)
        frames.append(_result(task_rows, "tpp_gd", pred, embedding=name, converged=conv, steps=steps))
        pred = kernel_predictions(F, task_rows)
        frames.append(_result(task_rows, "tpp_minnorm", pred, embedding=name, converged=True, steps=0))
    return pd.concat(frames, ignore_index=True)


def learn_kernels(cube: np.ndarray, task_rows: pd.DataFrame, embeddings: dict, *, kernel: dict,
                  net: dict) -> pd.DataFrame:
    """GP posterior-mean classifiers: the QNN-kernel NNGP per embedding, and the FCN's NNGP."""
    frames = []
    for name, spec in embeddings.items():
        K = qnn_kernel(embed(spec, cube)[0], **kernel).numpy()
        frames.append(_result(task_rows, "qnn_kernel_gp", kernel_predictions(K, task_rows), embedding=name,
                              converged=True, steps=0))
    K = nngp_kernel(cube.astype(np.float64), depth=net["depth"], sigma_w=net["sigma_w"],
                    sigma_b=net["sigma_b"], activation=net["activation"]).numpy()
    frames.append(_result(task_rows, "fcn_gp", kernel_predictions(K, task_rows), embedding="",
                          converged=True, steps=0))
    return pd.concat(frames, ignore_index=True)


def learn_layered(cube: np.ndarray, task_rows: pd.DataFrame, spec: dict, name: str, *, runs: int, width: int,
                  lr: float, max_steps: int, gen: torch.Generator) -> pd.DataFrame:
    pred, conv, steps = layered_training(cube, spec, task_rows, runs, width=width, lr=lr, max_steps=max_steps,
                                         gen=gen)
    return _result(task_rows, "layered", pred, embedding=name, converged=conv, steps=steps)


def learn_fcn(cube: np.ndarray, task_rows: pd.DataFrame, *, runs: int, net: dict, variant: dict,
              max_epochs: int, gen: torch.Generator) -> pd.DataFrame:
    pred, conv, epochs = fcn_training(cube, task_rows, runs, net=net, variant=variant, max_epochs=max_epochs,
                                      gen=gen)
    out = _result(task_rows, "fcn_sgd", pred, embedding="", converged=conv, steps=epochs)
    out.loc[~conv, "train_error"] = np.nan  # the trainer records E only: S is known only when fitted
    return out
