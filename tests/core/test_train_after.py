"""Overtraining (`epochs_after_fit`, the paper's 64 extra epochs): one run gives P_SGD at the fit and after."""

import numpy as np
import pandas as pd
import pytest
import torch
from replay import mlp_modules, reference_runs

from nnbayes.core.boolean import boolean_cube, target_function, train_mask
from nnbayes.core.functions import pack_bits
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.core.runs import train_shard
from nnbayes.core.tasks import boolean_task
from nnbayes.core.train import train_networks

CPU = torch.device("cpu")
BITS = {"kind": "bits", "bits": "00001111" * 16}


def data(dtype=torch.float64):
    X = torch.as_tensor(boolean_cube(7), dtype=dtype)
    y = torch.as_tensor(target_function(BITS, 7), dtype=dtype)
    mask = torch.as_tensor(train_mask(128, 32, 0))
    return X[mask], y[mask], X[~mask]


def nets(n, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    return init_params(layer_widths(7, 2, 40), n, sigma_w=1.0, sigma_b=1.0, gen=gen, device=CPU, dtype=dtype)


def train(params, after, seed=1, **kw):
    opts = {"activation": "relu", "optimizer": "sgd", "lr": 0.05, "batch_size": 8, "loss": "ce", "max_epochs": 60,
            **kw}
    return train_networks(params, *data(params[0][0].dtype), gen=torch.Generator().manual_seed(seed),
                          epochs_after_fit=after, **opts)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kw", [{}, {"optimizer": "adam", "lr": 0.005, "batch_size": 10, "sampler": "adversarial",
                                     "max_epochs": 300}], ids=["shuffle", "adversarial"])
def test_extra_epochs_leave_the_fit_time_runs_unchanged(one_thread, dtype, kw):
    """The nets past their fit draw their batches from a side generator, so every net reaches its fit
    on the same batches as with no extra epochs: the same epochs, convergence and functions on E
    (measured bit for bit, float32 too: the other nets in the batched matmul do not move a net's
    numbers on this build)."""
    base, over = train(nets(200, dtype=dtype), 0, **kw), train(nets(200, dtype=dtype), 16, **kw)
    assert base.converged.mean() > 0.5
    assert (over.epochs == base.epochs).all() and (over.converged == base.converged).all()
    assert (over.test_ids == base.test_ids).all()
    assert (base.test_ids_after == base.test_ids).all()  # k = 0: the function after is the one at fit
    moved = (over.test_ids_after != over.test_ids).any(1)
    assert moved[over.converged].mean() > 0.05 and not moved[~over.converged].any()


def test_extra_epochs_match_torch_optim_net_by_net(one_thread):
    """Hand-checkable case: 5 nets, each alone as an nn.Module with torch.optim.SGD, trained to its fit
    at epoch e and then to e + 8; the trainer's epochs, functions at fit and after, and final
    parameters are the same (the reference replays the side generator's batches past the fit)."""
    params = nets(5, seed=4)
    res = train(params, 8, max_epochs=10)
    ref = reference_runs(mlp_modules(params), *data(), optimizer="sgd", lr=0.05, bs=8, max_epochs=10, seed=1, after=8)
    assert 0 < res.converged.sum() < 5  # both kinds: fits (some near max_epochs) and runs that give up
    assert (res.epochs == ref.epochs).all() and (res.converged == ref.converged).all()
    assert (res.test_ids == ref.test_ids).all() and (res.test_ids_after == ref.test_ids_after).all()
    for k in range(5):
        for got, want in zip((t[k] for Wb in res.params for t in Wb), ref.params[k]):
            assert torch.allclose(got, want, atol=1e-10, rtol=0)


def test_final_params_compute_the_function_after(one_thread):
    res = train(nets(100), 32)
    assert (pack_bits(forward(res.params, data()[2]) > 0) == res.test_ids_after).all()


def test_negative_extra_epochs_refused():
    with pytest.raises(ValueError, match="epochs_after_fit"):
        train(nets(2), -1)


def shard(after: int | None) -> pd.DataFrame:
    X = boolean_cube(7)
    mask = "".join("1" if s else "0" for s in train_mask(128, 32, 0))
    task = boolean_task(X, target_function(BITS, 7), mask)
    variant = {"optimizer": "sgd", "batch_size": 8, "lr": 0.05, "loss": "ce"}
    if after is not None:
        variant["epochs_after_fit"] = after
    net = {"depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0, "sigma_b": 1.0}
    return train_shard(task, net, variant, 50, batch_nets=20, max_epochs=100, gen=torch.Generator().manual_seed(0),
                       device=CPU, dtype=torch.float32)


def test_shard_table_gains_the_after_columns_only_with_extra_epochs(one_thread):
    plain, zero, over = shard(None), shard(0), shard(8)
    assert list(plain.columns) == ["id_hi", "id_lo", "converged", "epochs"] and plain.equals(zero)
    assert list(over.columns) == ["id_hi", "id_lo", "converged", "epochs", "id_after_hi", "id_after_lo"]
    assert over[list(plain.columns)].equals(plain)  # the runs at fit time are the k = 0 shard's
    assert not np.array_equal(over["id_after_lo"], over["id_lo"])
