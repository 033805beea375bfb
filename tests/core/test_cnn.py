"""The batched CNN (core.cnn): grouped convolution against per-net conv2d, training against one
nn.Module + torch.optim per net, the init prior's variances, and the CNN through train_shard."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
import torch.nn.functional as F
from conftest import TEST_FAILURE_RATE
from replay import reference_runs
from sklearn.datasets import load_digits

from nnbayes.core.cnn import CNNSpec, cnn_forward, cnn_model, init_cnn
from nnbayes.core.errors import ConfigError
from nnbayes.core.runs import train_shard
from nnbayes.core.tasks import image_task
from nnbayes.core.train import train_networks

CPU = torch.device("cpu")
NET = {"arch": "cnn", "image_shape": [1, 8, 8], "channels": [8, 8], "filters": [3, 3], "padding": ["valid", "same"],
       "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.1}
SPEC = CNNSpec.from_net(NET, 64)


def digits(m=20, test=20, dtype=torch.float64):
    """8x8 digits scaled to [0, 1], label digit < 5: S of m images and E of `test` more."""
    d = load_digits()
    t = image_task(d.data / 16, (d.target < 5).astype(np.uint8), m, test, seed=0)
    return tuple(torch.as_tensor(a, dtype=dtype) for a in (t.X_train, t.y_train, t.X_test))


def cnns(n, spec=SPEC, dtype=torch.float64, seed=0):
    return init_cnn(n, spec, torch.Generator().manual_seed(seed), CPU, dtype)


def looped_forward(params, X, spec):
    """Net by net with conv2d and a matrix product: the reference the grouped convolution must equal."""
    outs = []
    for k in range(params[0][0].shape[0]):
        h = (X[k] if X.dim() == 3 else X).reshape(-1, *spec.image_shape)
        for (W, b), pad in zip(params[:-1], spec.padding):
            h = torch.relu(F.conv2d(h, W[k], b[k], padding=pad))
        outs.append(h.flatten(1) @ params[-1][0][k].T + params[-1][1][k])
    return torch.stack(outs).squeeze(-1)


def modules(params, spec=SPEC):
    """One nn.Sequential per net, holding that net's weights."""
    nets = []
    for k in range(params[0][0].shape[0]):
        layers = [torch.nn.Unflatten(1, spec.image_shape)]
        for (W, b), pad in zip(params[:-1], spec.padding):
            conv = torch.nn.Conv2d(W.shape[2], W.shape[1], W.shape[3], padding=pad, dtype=W.dtype)
            conv.weight.data, conv.bias.data = W[k].clone(), b[k].clone()
            layers += [conv, torch.nn.ReLU()]
        read = torch.nn.Linear(params[-1][0].shape[2], 1, dtype=W.dtype)
        read.weight.data, read.bias.data = params[-1][0][k].clone(), params[-1][1][k].clone()
        nets.append(torch.nn.Sequential(*layers, torch.nn.Flatten(), read))
    return nets


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-6), (torch.float64, 1e-12)])
@pytest.mark.parametrize("per_net", [False, True])
def test_grouped_forward_equals_a_conv2d_loop(dtype, tol, per_net):
    spec = CNNSpec.from_net({**NET, "image_shape": [2, 7, 9], "channels": [5, 4, 3], "filters": [3, 2, 3],
                             "padding": ["same", "valid", "valid"]})
    params = cnns(6, spec, dtype)
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(*((6,) if per_net else ()), 11, 2 * 7 * 9, generator=gen, dtype=dtype)
    got = cnn_forward([t for Wb in params for t in Wb], X, spec)
    want = looped_forward(params, X, spec)
    assert got.shape == (6, 11)
    assert ((got - want).abs() / want.abs().clamp_min(1)).max() <= tol


def test_batched_cnns_train_like_one_module_each(one_thread):
    """6 CNNs (1x8x8 digits, two 8-channel conv layers, m = 20) trained together by SGD reach 100%
    training accuracy at the same epochs with the same functions on E as each trained alone by
    torch.optim on the same batches; their parameters agree to 1e-9."""
    data, params = digits(), cnns(6)
    res = train_networks(params, *data, activation="relu", optimizer="sgd", lr=0.05, batch_size=5, loss="ce",
                         max_epochs=100, gen=torch.Generator().manual_seed(1), model=cnn_model(SPEC))
    ref = reference_runs(modules(params), *data, optimizer="sgd", lr=0.05, bs=5, max_epochs=100, seed=1)
    assert res.converged.all() and len(set(res.epochs)) > 1  # precondition: stops at different epochs
    assert (res.epochs == ref.epochs).all() and (res.test_ids == ref.test_ids).all()
    for k in range(6):
        for got, want in zip((t[k] for Wb in res.params for t in Wb), ref.params[k]):
            assert torch.allclose(got, want, atol=1e-9, rtol=0)


def test_init_variances_follow_fan_in():
    """Each layer's weights have variance sigma_w^2 / fan_in (fan_in = C_in k^2 for a conv, the
    feature count for the read-out) and biases sigma_b^2: a chi-square test per tensor, two-sided,
    at TEST_FAILURE_RATE over all of them."""
    spec = CNNSpec.from_net({**NET, "sigma_w": 1.7, "sigma_b": 0.6})
    params = cnns(400, spec, torch.float64, seed=3)
    tensors = [(W, 1.7**2 / math.prod(W.shape[2:])) for W, _ in params] + [(b, 0.6**2) for _, b in params]
    z = scipy.stats.norm.isf(TEST_FAILURE_RATE / (2 * len(tensors)))
    for t, var in tensors:
        n = t.numel()  # mean 0 known: n * s^2 / var ~ chi2(n), ~ N(n, 2n) at these sizes
        assert abs((t.pow(2).sum() / var - n) / math.sqrt(2 * n)) <= z, (t.shape, float(t.pow(2).mean()), var)


def test_train_shard_builds_the_cnn(one_thread):
    d = load_digits()
    task = image_task(d.data / 16, (d.target < 5).astype(np.uint8), 20, 20, seed=0)
    variant = {"optimizer": "adam", "batch_size": 10, "lr": 0.01, "loss": "ce"}
    kw = {"batch_nets": 8, "max_epochs": 200, "device": CPU, "dtype": torch.float32}
    df = train_shard(task, NET, variant, 12, gen=torch.Generator().manual_seed(0), **kw)
    assert list(df.columns) == ["id_hi", "id_lo", "converged", "epochs"] and df["converged"].mean() > 0.9
    with pytest.raises(ConfigError, match="image_shape"):
        train_shard(task, {**NET, "image_shape": [1, 7, 7]}, variant, 2, gen=torch.Generator(), **kw)
    with pytest.raises(ConfigError, match="valid"):
        CNNSpec.from_net({**NET, "filters": [5, 5], "padding": ["valid", "valid"]})


def test_agd_refused_for_cnns():
    with pytest.raises(ValueError, match="agd"):
        train_networks(cnns(2), *digits(), activation="relu", optimizer="agd", lr=1.0, batch_size=5, loss="ce",
                       max_epochs=1, gen=torch.Generator(), model=cnn_model(SPEC))
