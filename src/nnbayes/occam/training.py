"""Trained nets on targets of graded complexity, and on image labels with noise (arXiv 2304.06670,
1805.08522): what the Occam's-razor figures measure.

Boolean runs: every (target, run) pair is one net with its own S (`targets.run_masks`), and
all pairs of a shard train side by side in one batch (per-net data in `train.train_networks`).
A converged net fits S, so its function on the whole cube is the function it learned; we keep
that function's id, its errors on E (generalisation error = errors / |E|) and its C_LZ in both
variants (Dingle et al.; the authors' off-by-one `occam2304`), so the figures can use either.

Label-corruption runs: one image training set S whose labels, and those of the test set E, are
corrupted at each level (`targets.corrupted_task`); all levels train in one batch.
"""

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.functions import MAX_BITS, unpack_ids
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.occam.targets import complexity_columns, corrupted_task, run_masks
from nnbayes.core.tasks import image_task
from nnbayes.core.train import train_networks, variant_options


def _train(net: dict, variant: dict, X_train, y_train, X_test, *, max_epochs: int, gen, device, dtype):
    """One batch of nets (one per row of y_train) from the init prior to zero training error."""
    widths = layer_widths(X_train.shape[-1], net["depth"], net["width"])
    params = init_params(widths, y_train.shape[0], sigma_w=net["sigma_w"], sigma_b=net["sigma_b"],
                         gen=gen, device=device, dtype=dtype)
    return train_networks(params, X_train, y_train, X_test, activation=net["activation"],
                          max_epochs=max_epochs, gen=gen, **variant_options(variant, y_train.shape[1]))


def boolean_runs(
    cube: np.ndarray,
    targets: dict[str, np.ndarray],
    net: dict,
    variant: dict,
    m: int,
    runs: dict[str, range],
    *,
    seed: int,
    batch_nets: int,
    max_epochs: int,
    gen: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
    progress: bool = False,
) -> pd.DataFrame:
    """One row per (target, run): function learned, convergence, epochs, errors on E and S, C_LZ.

    runs: the run indices to train for each target (they fix each run's S).
    """
    jobs = [(name, r) for name in targets for r in runs[name]]
    as_t = lambda a: torch.as_tensor(a, device=device, dtype=dtype)  # noqa: E731
    cube_t = as_t(cube)
    frames = []
    with tqdm(total=len(jobs), disable=not progress, unit="runs", mininterval=2) as bar:
        for start in range(0, len(jobs), batch_nets):
            chunk = jobs[start : start + batch_nets]
            masks = np.concatenate([run_masks(seed, name, m, np.array([r]), len(cube)) for name, r in chunk])
            y = np.stack([targets[name] for name, _ in chunk])
            cols = np.nonzero(masks)[1].reshape(len(chunk), m)  # S of each net, in cube order
            rows = np.arange(len(chunk))[:, None]
            res = _train(net, variant, cube_t[torch.as_tensor(cols, device=device)], as_t(y[rows, cols]),
                         cube_t, max_epochs=max_epochs, gen=gen, device=device, dtype=dtype)
            full = unpack_ids(res.test_ids, len(cube))  # the learned function on the whole cube
            wrong = full != y
            frames.append(pd.DataFrame({
                "target": [name for name, _ in chunk], "run": [r for _, r in chunk],
                "converged": res.converged, "epochs": res.epochs,
                "id_hi": res.test_ids[:, 0], "id_lo": res.test_ids[:, 1],
                "errors": (wrong & ~masks).sum(1), "train_errors": (wrong & masks).sum(1),
                "n_test": len(cube) - m, **complexity_columns(full)}))
            bar.update(len(chunk))
    return pd.concat(frames, ignore_index=True)


def corruption_runs(
    X: np.ndarray,
    y: np.ndarray,
    spec: dict,
    net: dict,
    variant: dict,
    runs: range,
    *,
    batch_nets: int,
    max_epochs: int,
    gen: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
    progress: bool = False,
) -> pd.DataFrame:
    """One row per (level, run): convergence, epochs, test error on the noisy and the clean labels.

    y: the clean binary labels of X. All levels share S's images, so the nets train as one batch
    with per-net labels.
    """
    tasks = {level: corrupted_task(X, y, spec, level) for level in spec["levels"]}
    clean = image_task(X, y, spec["m"], spec["test_size"], spec["seed"]).y_test
    first = next(iter(tasks.values()))
    as_t = lambda a: torch.as_tensor(a, device=device, dtype=dtype)  # noqa: E731
    X_train, X_test = as_t(first.X_train), as_t(first.X_test)
    jobs = [(level, r) for level in tasks for r in runs]
    frames = []
    with tqdm(total=len(jobs), disable=not progress, unit="runs", mininterval=2) as bar:
        for start in range(0, len(jobs), batch_nets):
            chunk = jobs[start : start + batch_nets]
            y_train = as_t(np.stack([tasks[level].y_train for level, _ in chunk]))
            # ids of the first <= 128 test points (the trainer's record); errors use all of E
            res = _train(net, variant, X_train, y_train, X_test[:MAX_BITS], max_epochs=max_epochs,
                         gen=gen, device=device, dtype=dtype)
            with torch.no_grad():
                pred = (forward(res.params, X_test, net["activation"]) > 0).cpu().numpy()
            noisy = np.stack([tasks[level].y_test for level, _ in chunk]).astype(bool)
            frames.append(pd.DataFrame({
                "level": [level for level, _ in chunk], "run": [r for _, r in chunk],
                "converged": res.converged, "epochs": res.epochs,
                "test_error": (pred != noisy).mean(1), "clean_test_error": (pred != clean.astype(bool)).mean(1),
                "n_train": spec["m"], "n_test": len(clean)}))
            bar.update(len(chunk))
    return pd.concat(frames, ignore_index=True)
