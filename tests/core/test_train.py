import numpy as np
import pytest
import torch

from nnbayes.core.boolean import boolean_cube, target_function, train_mask
from nnbayes.core.functions import pack_bits
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.core.train import MiniBatches, train_networks

CPU = torch.device("cpu")
CUBE = torch.as_tensor(boolean_cube(7), dtype=torch.float64)


def task(target, m=32, seed=0):
    y = torch.as_tensor(target_function(target, 7), dtype=torch.float64)
    mask = torch.as_tensor(train_mask(128, m, seed))
    return CUBE[mask], y[mask], CUBE[~mask]


def nets(n, seed=0, sigma_b=1.0, width=40):
    gen = torch.Generator().manual_seed(seed)
    return init_params(layer_widths(7, 2, width), n, sigma_w=1.0, sigma_b=sigma_b, gen=gen,
                       device=CPU, dtype=torch.float64)


def train(params, data, seed=1, **kw):
    opts = dict(activation="relu", optimizer="sgd", lr=0.1, batch_size=8, loss="ce", max_epochs=200)
    return train_networks(params, *data, gen=torch.Generator().manual_seed(seed), **{**opts, **kw})


def looped(params, data, k, epochs, seed, optimizer, lr, bs=8):
    """Net k alone as an nn.Module with torch.optim, replaying the trainer's batch orders."""
    X, y, _ = data
    layers = []
    for i, (W, b) in enumerate(params):
        lin = torch.nn.Linear(W.shape[2], W.shape[1], dtype=torch.float64)
        lin.weight.data, lin.bias.data = W[k].clone(), b[k].clone()
        layers += [lin] + ([torch.nn.ReLU()] if i < len(params) - 1 else [])
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=lr) if optimizer == "sgd" else torch.optim.Adam(net.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.rand(params[0][0].shape[0], len(X), generator=gen).argsort(1)[k]
        for s in range(0, len(X), bs):
            idx = order[s : s + bs]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(net(X[idx]).squeeze(-1), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return [p.detach() for p in net.parameters()]


def assert_fit_and_recorded(res, data):
    """Converged nets classify S correctly and their recorded ids are their functions on E."""
    X, y, X_test = data
    ok = torch.as_tensor(res.converged)
    fitted = [(W[ok], b[ok]) for W, b in res.params]
    assert ((forward(fitted, X) > 0) == (y > 0.5)).all()
    assert (pack_bits(forward(fitted, X_test) > 0) == res.test_ids[res.converged]).all()


@pytest.mark.parametrize("optimizer, lr", [("sgd", 0.05), ("adam", 0.01)])
def test_batched_training_equals_one_net_at_a_time(optimizer, lr):
    data = task({"kind": "random", "seed": 3})
    params = nets(3)
    res = train(params, data, optimizer=optimizer, lr=lr, max_epochs=3)
    assert not res.converged.any()  # precondition: no net left the batch early
    for k in range(3):
        ref = looped(params, data, k, 3, seed=1, optimizer=optimizer, lr=lr)
        got = [t[k] for Wb in res.params for t in Wb]
        for a, b in zip(got, ref):
            assert torch.allclose(a, b, atol=1e-10)


def test_converged_nets_fit_S_and_record_their_function_on_E():
    data = task({"kind": "bits", "bits": "0011" * 32})
    res = train(nets(100), data)
    assert res.converged.mean() > 0.95
    assert_fit_and_recorded(res, data)
    assert (res.epochs[res.converged] >= 1).all()


def test_same_seed_same_runs():
    data = task({"kind": "bits", "bits": "0011" * 32})
    a, b = train(nets(20), data, max_epochs=30), train(nets(20), data, max_epochs=30)
    assert (a.test_ids == b.test_ids).all() and (a.epochs == b.epochs).all()


def test_non_converged_runs_are_reported():
    res = train(nets(20), task({"kind": "random", "seed": 5}), max_epochs=1)
    assert not res.converged.all() and (res.epochs[~res.converged] == 1).all()
    assert len(res.test_ids) == 20


def test_agd_trains_without_a_learning_rate():
    # T13: AGD reaches 100% training accuracy in >= 90% of runs with no learning rate to set
    res = train(nets(200), task({"kind": "bits", "bits": "0011" * 32}), optimizer="agd", lr=1.0,
                loss="mse", max_epochs=500)
    assert res.converged.mean() >= 0.9, res.converged.mean()


def test_bad_names_refused():
    with pytest.raises(ValueError, match="optimizer"):
        train(nets(2), task({"kind": "parity"}), optimizer="lbfgs")
    with pytest.raises(ValueError, match="loss"):
        train(nets(2), task({"kind": "parity"}), loss="hinge")
    with pytest.raises(ValueError, match="sampler"):
        train(nets(2), task({"kind": "parity"}), sampler="importance")


def test_adversarial_batches_are_distinct_points_drawn_by_softmax_of_recent_losses():
    gen = torch.Generator().manual_seed(0)
    batches = MiniBatches("adversarial", n_nets=4, m=12, bs=10, history=3, gen=gen, device=CPU)
    (idx,) = batches.round(4)
    assert idx.shape == (4, 10) and all(len(set(row.tolist())) == 10 for row in idx)  # no repeats
    # one point per batch: its inclusion frequency is softmax(sum of the last three losses)
    batches = MiniBatches("adversarial", n_nets=2000, m=4, bs=1, history=3, gen=gen, device=CPU)
    batches.losses[:] = torch.tensor([0.0, 0.5, 1.0, 2.0])[:, None] / 3
    (idx,) = batches.round(2000)
    p = torch.softmax(torch.tensor([0.0, 0.5, 1.0, 2.0]), 0)
    freq = torch.bincount(idx.flatten(), minlength=4) / 2000
    assert ((freq - p).abs() <= 4 * (p * (1 - p) / 2000).sqrt()).all(), (freq, p)


def test_adversarial_history_keeps_each_points_last_three_losses():
    batches = MiniBatches("adversarial", n_nets=2, m=5, bs=1, history=3, gen=torch.Generator(), device=CPU)
    idx = torch.tensor([[3], [0]])
    for loss in (1.0, 2.0, 3.0, 4.0):
        batches.record(idx, torch.tensor([[loss], [10 * loss]]))
    sums = batches.losses.sum(2)
    assert sums[0, 3] == 9.0 and sums[1, 0] == 90.0  # 2 + 3 + 4: the first visit dropped out
    assert (sums[0, [0, 1, 2, 4]] == 1.5).all()  # unvisited points keep the initial 0.5 each


def test_adversarial_sampler_trains_to_zero_training_error_counting_steps():
    data = task({"kind": "bits", "bits": "0011" * 32})
    res = train(nets(100), data, optimizer="adam", lr=0.01, batch_size=10, sampler="adversarial",
                max_epochs=2000)
    assert res.converged.mean() > 0.95
    assert_fit_and_recorded(res, data)
    # rounds are single steps of 10 of the 32 points: more of them than shuffle's epochs
    shuffled = train(nets(100), data, optimizer="adam", lr=0.01, batch_size=10, max_epochs=2000)
    assert np.median(res.epochs[res.converged]) > np.median(shuffled.epochs[shuffled.converged])
