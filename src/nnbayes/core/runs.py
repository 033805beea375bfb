"""P_opt(f|S) as a sampler: train `runs` nets from random init, record the function each lands on.

One shard = `runs` independent runs, trained `batch_nets` at a time by `train.train_networks`.
Every run is one row (id on E, converged, epochs; with overtraining, also the id after the extra
epochs): non-converged runs stay in the table and are counted, not dropped, when shards merge
(`tables.merge_runs`). The net is the MLP of networks.py, or with `arch: cnn` the CNN of cnn.py.
"""

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.cnn import CNNSpec, cnn_model, init_cnn
from nnbayes.core.errors import ConfigError
from nnbayes.core.networks import Params, init_params, layer_widths
from nnbayes.core.tasks import Task
from nnbayes.core.train import MLP, Model, TrainResult, train_networks, variant_options

ARCHS = ("fcn", "cnn")


def _table(res: TrainResult, after: bool) -> pd.DataFrame:
    """One row per run; the function after the extra epochs only where there were any, so that a
    shard without them is the same table as before they existed."""
    cols = {"id_hi": res.test_ids[:, 0], "id_lo": res.test_ids[:, 1], "converged": res.converged, "epochs": res.epochs}
    if after:
        cols.update(id_after_hi=res.test_ids_after[:, 0], id_after_lo=res.test_ids_after[:, 1])
    return pd.DataFrame(cols)


def architecture(net: dict, n_in: int, gen: torch.Generator, device: torch.device,
                 dtype: torch.dtype) -> tuple[Callable[[int], Params], Model]:
    """(draw b nets from the init prior, the model train_networks trains) of a config net."""
    arch = net.get("arch", "fcn")
    if arch == "cnn":
        spec = CNNSpec.from_net(net, n_in)
        return (lambda b: init_cnn(b, spec, gen, device, dtype)), cnn_model(spec)
    if arch != "fcn":
        raise ConfigError(f"net arch {arch!r} is not one of {list(ARCHS)}")
    widths = layer_widths(n_in, net["depth"], net["width"])
    return (lambda b: init_params(widths, b, sigma_w=net["sigma_w"], sigma_b=net["sigma_b"], gen=gen, device=device,
                                  dtype=dtype)), MLP


def train_shard(
    task: Task,
    net: dict,
    variant: dict,
    runs: int,
    *,
    batch_nets: int,
    max_epochs: int,
    gen: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
    progress: bool = False,
) -> pd.DataFrame:
    """Rows (id_hi, id_lo, converged, epochs[, id_after_hi, id_after_lo]) of `runs` training runs,
    in run order.

    net: depth, width, activation, sigma_w, sigma_b (the init prior, as for the sampler), or
    arch: cnn with channels, filters, padding, image_shape instead of depth and width;
    variant: optimizer, batch_size, lr, loss[, sampler, epochs_after_fit]. `gen` draws inits and
    mini-batch orders.
    """
    as_t = lambda a: torch.as_tensor(a, device=device, dtype=dtype)
    X_train, y_train, X_test = as_t(task.X_train), as_t(task.y_train), as_t(task.X_test)
    draw, model = architecture(net, X_train.shape[1], gen, device, dtype)
    frames = []
    with tqdm(total=runs, disable=not progress, unit="runs", mininterval=2) as bar:
        for start in range(0, runs, batch_nets):
            b = min(batch_nets, runs - start)
            res = train_networks(draw(b), X_train, y_train, X_test, activation=net["activation"], max_epochs=max_epochs,
                                 gen=gen, model=model, **variant_options(variant, len(y_train)))
            frames.append(_table(res, variant.get("epochs_after_fit", 0) > 0))
            bar.update(b)
            bar.set_postfix(converged=f"{np.mean(res.converged):.3f}")
    return pd.concat(frames, ignore_index=True)
