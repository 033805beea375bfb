"""The per-net optimisers (core.optimisers) against torch.optim, and the two engines against each other."""

import pytest
import torch
from replay import TORCH_OPTIM, mlp_modules, reference_runs

from nnbayes.core.boolean import boolean_cube, target_function, train_mask
from nnbayes.core.networks import init_params, layer_widths
from nnbayes.core.optimisers import ADADELTA_RHO, EPS, RMSPROP_ALPHA
from nnbayes.core.train import train_networks

CPU = torch.device("cpu")
LR = {"sgd": 0.05, "adam": 0.01, "adagrad": 0.005, "adadelta": 0.3, "rmsprop": 0.0005}  # ~20 epochs to fit


def data(dtype, target=None):
    X = torch.as_tensor(boolean_cube(7), dtype=dtype)
    y = torch.as_tensor(target_function(target or {"kind": "bits", "bits": "00001111" * 16}, 7), dtype=dtype)
    mask = torch.as_tensor(train_mask(128, 32, 0))
    return X[mask], y[mask], X[~mask]


def nets(n, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return init_params(layer_widths(7, 2, 40), n, sigma_w=1.0, sigma_b=1.0, gen=gen, device=CPU, dtype=dtype)


def train(params, task, optimizer, engine="fused", **kw):
    opts = {"activation": "relu", "lr": LR[optimizer], "batch_size": 8, "loss": "ce", "max_epochs": 200, **kw}
    return train_networks(params, *task, optimizer=optimizer, gen=torch.Generator().manual_seed(1), engine=engine,
                          **opts)


def test_defaults_are_torch_optims():
    p = [torch.zeros(1, requires_grad=True)]
    assert EPS["adam"] == torch.optim.Adam(p).defaults["eps"]
    assert EPS["adagrad"] == torch.optim.Adagrad(p).defaults["eps"]
    assert torch.optim.Adagrad(p).defaults["initial_accumulator_value"] == 0  # our accumulator starts at 0
    assert (EPS["adadelta"], ADADELTA_RHO) == tuple(torch.optim.Adadelta(p).defaults[k] for k in ("eps", "rho"))
    rms = torch.optim.RMSprop(p).defaults
    assert (EPS["rmsprop"], RMSPROP_ALPHA, rms["momentum"], rms["centered"]) == (rms["eps"], rms["alpha"], 0, False)


@pytest.mark.parametrize("optimizer", list(TORCH_OPTIM))
def test_batched_nets_equal_one_torch_optim_each(one_thread, optimizer):
    """4 nets, 3 epochs of 4 steps on a random target (none fits so soon): each net's parameters
    equal those of the same net trained alone by torch.optim on the same batches, to 1e-10."""
    task, params = data(torch.float64, {"kind": "random", "seed": 3}), nets(4, torch.float64)
    res = train(params, task, optimizer, max_epochs=3)
    ref = reference_runs(mlp_modules(params), *task, optimizer=optimizer, lr=LR[optimizer], bs=8, max_epochs=3,
                         seed=1)
    assert not res.converged.any() and (res.test_ids == ref.test_ids).all()
    for k in range(4):
        for got, want in zip((t[k] for Wb in res.params for t in Wb), ref.params[k]):
            assert torch.allclose(got, want, atol=1e-10, rtol=0)


@pytest.mark.parametrize("optimizer", ["adagrad", "adadelta", "rmsprop"])
def test_trained_to_fit_like_torch_optim(one_thread, optimizer):
    """Runs to 100% training accuracy: the same epochs and functions on E as torch.optim, net by net."""
    task, params = data(torch.float64), nets(6, torch.float64, seed=2)
    res = train(params, task, optimizer)
    ref = reference_runs(mlp_modules(params), *task, optimizer=optimizer, lr=LR[optimizer], bs=8, max_epochs=200,
                         seed=1)
    assert res.converged.all()  # precondition: the epochs compared are stopping epochs
    assert (res.epochs == ref.epochs).all() and (res.test_ids == ref.test_ids).all()


@pytest.mark.parametrize("optimizer", ["adagrad", "adadelta", "rmsprop"])
def test_fused_engine_is_autograd_bit_for_bit(one_thread, optimizer):
    """The fused engine feeds the optimiser autograd's own gradient bits, so 200 float32 nets end
    with identical epochs, functions and parameters."""
    runs = [train(nets(200, torch.float32), data(torch.float32), optimizer, engine=e) for e in ("fused", "autograd")]
    fused, ref = runs
    assert fused.converged.mean() > 0.9
    assert (fused.epochs == ref.epochs).all() and (fused.test_ids == ref.test_ids).all()
    for (Wf, bf), (Wr, br) in zip(fused.params, ref.params):
        assert torch.equal(Wf, Wr) and torch.equal(bf, br)
