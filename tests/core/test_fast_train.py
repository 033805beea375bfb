"""The fused trainer (fused_train, train_networks' default engine) against the autograd one."""

import pytest
import torch

from nnbayes.core.boolean import boolean_cube, target_function, train_mask
from nnbayes.core.fused_train import net_gradients
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.core.train import per_point_loss, train_networks

CPU = torch.device("cpu")
BITS = {"kind": "bits", "bits": "00001111" * 16}
CONFIGS = {  # train_networks keywords of each variant compared
    "sgd_b8": {},
    "sgd_b1": {"batch_size": 1, "max_epochs": 60},
    "sgd_b10": {"batch_size": 10},  # the epoch's last batch holds 2 points
    "sgd_full": {"batch_size": 32, "lr": 0.5},
    "sgd_momentum": {"momentum": 0.9, "lr": 0.01},
    "adam": {"optimizer": "adam", "lr": 0.005},
    "agd_mse": {"optimizer": "agd", "lr": 1.0, "loss": "mse"},
    "tanh_mse": {"activation": "tanh", "loss": "mse"},
    "adversarial": {"optimizer": "adam", "lr": 0.005, "batch_size": 10, "sampler": "adversarial",
                    "max_epochs": 400},
}


def data(dtype, n_nets=None):
    """(X_train, y_train, X_test) of a 32-point task on the 7-cube; with n_nets, per-net training
    sets (each net its own 32 points) and per-net targets."""
    X = torch.as_tensor(boolean_cube(7), dtype=dtype)
    y = torch.as_tensor(target_function(BITS, 7), dtype=dtype)
    if n_nets is None:
        mask = torch.as_tensor(train_mask(128, 32, 0))
        return X[mask], y[mask], X[~mask]
    masks = torch.stack([torch.as_tensor(train_mask(128, 32, s)) for s in range(n_nets)])
    ys = torch.stack([y if s % 2 else 1 - y for s in range(n_nets)])
    return (torch.stack([X[k] for k in masks]), torch.stack([t[k] for t, k in zip(ys, masks)]),
            torch.stack([X[~k] for k in masks]))


def nets(n, dtype, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return init_params(layer_widths(7, 2, 40), n, sigma_w=1.0, sigma_b=1.0, gen=gen, device=CPU, dtype=dtype)


def trained(n, dtype, engine, per_net=False, **kw):
    """One engine's results on fixed nets, data and generator seed."""
    opts = {"activation": "relu", "optimizer": "sgd", "lr": 0.05, "batch_size": 8, "loss": "ce",
            "max_epochs": 200, **kw}
    task = data(dtype, n if per_net else None)
    return train_networks(nets(n, dtype), *task, gen=torch.Generator().manual_seed(1), engine=engine, **opts)


def both_engines(n, dtype, per_net=False, **kw):
    """The fused and the autograd trainer's results on the same nets, data and generator seed."""
    return [trained(n, dtype, engine, per_net, **kw) for engine in ("fused", "autograd")]


def agreement(n, dtype, per_net=False, **kw) -> tuple[float, float]:
    """Fractions of nets whose epochs, and whose functions on E, are the same under both engines."""
    fused, ref = both_engines(n, dtype, per_net, **kw)
    return float((fused.epochs == ref.epochs).mean()), float((fused.test_ids == ref.test_ids).all(1).mean())


@pytest.mark.parametrize("loss", ["ce", "mse"])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("per_net", [False, True])
def test_gradients_match_autograd(one_thread, loss, activation, per_net):
    gen = torch.Generator().manual_seed(2)
    params = init_params([7, 40, 40, 1], 64, sigma_w=1.5, sigma_b=1.0, gen=gen, device=CPU, dtype=torch.float32)
    X = torch.randn(64, 10, 7, generator=gen) if per_net else torch.randn(10, 7, generator=gen)
    y = (torch.rand(64, 10, generator=gen) > 0.5).float()
    flat = [t.clone().requires_grad_() for Wb in params for t in Wb]
    per_point_loss(forward(list(zip(flat[0::2], flat[1::2])), X, activation), y, loss).mean(1).sum().backward()
    for got, p in zip(net_gradients(params, X, y, activation, loss), flat):
        scale = p.grad.flatten(1).norm(dim=1).clamp_min(1e-30).view(-1, *[1] * (p.dim() - 1))
        assert ((got - p.grad).abs() / scale).max() <= 1e-5


@pytest.mark.parametrize("config", list(CONFIGS))
def test_float32_runs_agree_with_autograd(one_thread, config):
    """Same nets, data and seed: >= 99.9% of 2000 nets stop at the same epoch with the same
    function on E. The fused engine runs autograd's own kernels in autograd's order, so the runs
    should agree bit for bit (measured: all nets, every config); the 0.1% allowed covers a
    kernel that some other torch/MKL build rounds differently: a few-ulp difference per step
    moves a net's epoch or function only if it flips an output near 0 on S or E."""
    same_epochs, same_functions = agreement(2000, torch.float32, **CONFIGS[config])
    assert same_epochs >= 0.999 and same_functions >= 0.999, (same_epochs, same_functions)


def test_per_net_inputs_agree_with_autograd(one_thread):
    same_epochs, same_functions = agreement(2000, torch.float32, per_net=True)
    assert same_epochs >= 0.999 and same_functions >= 0.999, (same_epochs, same_functions)


@pytest.mark.parametrize("config", ["sgd_b8", "sgd_momentum", "adam", "agd_mse", "adversarial"])
def test_float64_runs_are_identical(one_thread, config):
    """In float64 the reassociation is ~1e-16 relative: every net's epochs and function agree and
    its final parameters to 1e-10."""
    fused, ref = both_engines(200, torch.float64, **CONFIGS[config])
    assert (fused.epochs == ref.epochs).all() and (fused.test_ids == ref.test_ids).all()
    assert (fused.converged == ref.converged).all()
    for (Wf, bf), (Wr, br) in zip(fused.params, ref.params):
        assert torch.allclose(Wf, Wr, atol=1e-10) and torch.allclose(bf, br, atol=1e-10)


def test_engines_draw_the_same_batches():
    """Both engines consume the generator identically: after training, it is in the same state."""
    gens = [torch.Generator().manual_seed(1) for _ in range(2)]
    for gen, engine in zip(gens, ("fused", "autograd")):
        train_networks(nets(50, torch.float64), *data(torch.float64), activation="relu", optimizer="sgd",
                       lr=0.05, batch_size=8, loss="ce", max_epochs=20, gen=gen, engine=engine)
    assert torch.equal(*(torch.rand(8, generator=g) for g in gens))


def test_unknown_engine_refused():
    with pytest.raises(ValueError, match="engine"):
        train_networks(nets(2, torch.float64), *data(torch.float64), activation="relu", optimizer="sgd",
                       lr=0.1, batch_size=8, loss="ce", max_epochs=1, gen=torch.Generator(), engine="jax")


@pytest.mark.parametrize("config", ["sgd_b8", "sgd_b1", "adam", "agd_mse", "adversarial"])
def test_chunks_change_no_bit(one_thread, monkeypatch, config):
    """Stepping the nets in aligned cache-sized chunks gives the very bits of one step over all
    nets: epochs, functions and every final parameter (300 nets: chunks of 64, 64, 64, 64, 44)."""
    import nnbayes.core.fused_train as fused_train

    kw = {**CONFIGS[config], "max_epochs": min(CONFIGS[config].get("max_epochs", 200), 60)}
    runs = []
    for chunk_bytes in (2**40, 1):  # all nets at once; the smallest chunk, CHUNK_ALIGN nets
        monkeypatch.setattr(fused_train, "CHUNK_BYTES", chunk_bytes)
        runs.append(trained(300, torch.float32, "fused", **kw))
    whole, chunked = runs
    assert (whole.epochs == chunked.epochs).all() and (whole.test_ids == chunked.test_ids).all()
    for (Ww, bw), (Wc, bc) in zip(whole.params, chunked.params):
        assert torch.equal(Ww, Wc) and torch.equal(bw, bc)


def test_chunk_size_is_aligned():
    """Chunks hold a multiple of CHUNK_ALIGN nets and at least CHUNK_ALIGN, however large a net."""
    from nnbayes.core.fused_train import CHUNK_ALIGN, chunk_size

    small = [torch.zeros(1000, 40, 7), torch.zeros(1000, 40)]
    huge = [torch.zeros(2, 4096, 4096), torch.zeros(2, 4096)]
    assert chunk_size(small) % CHUNK_ALIGN == 0 and chunk_size(small) > CHUNK_ALIGN
    assert chunk_size(huge) == CHUNK_ALIGN


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_single_column_weight_gradient_has_bmms_bits(dtype):
    """The last layer's weight gradient of a small batch, summed in order across the batch, is
    bmm's own (its scalar loop, below SMALL_BMM_MACS), bit for bit, zeros of either sign included;
    above that bound it is bmm itself."""
    from nnbayes.core.fused_train import SMALL_BMM_MACS, _weight_grad

    gen = torch.Generator().manual_seed(4)
    for b, width in [(1, 40), (3, 7), (4, 99), (5, 40), (8, 40), (9, 44), (12, 33), (10, 40), (32, 40)]:
        h = torch.randn(256, b, width, generator=gen, dtype=dtype).relu_()  # exact zeros, as after relu
        dz = torch.randn(256, b, 1, generator=gen, dtype=dtype)
        dz[dz.abs() < 0.3] = -0.0
        ref = torch.bmm(h.transpose(1, 2), dz)
        got = _weight_grad(h, dz, None)
        bits = torch.int32 if dtype == torch.float32 else torch.int64
        assert torch.equal(got.view(bits), ref.view(bits)), (b, width, b * width < SMALL_BMM_MACS)


def test_fit_check_reads_each_chunk_with_its_labels(monkeypatch):
    """The per-epoch check, run chunk by chunk, pairs every net with its own labels: on labels set
    to each net's own signs on S every net fits; with one label flipped in every third net, exactly
    those do not (300 nets in chunks of 64)."""
    import nnbayes.core.fused_train as fused_train
    from nnbayes.core.train import MLP, _Active, _fits

    monkeypatch.setattr(fused_train, "CHUNK_BYTES", 1)
    X, _, X_test = data(torch.float32)
    flat = fused_train.engine_layout([t for Wb in nets(300, torch.float32) for t in Wb])
    y = (forward(list(zip(flat[0::2], flat[1::2])), X, "relu") > 0).float()
    active = _Active(flat, torch.arange(300), X, y, X_test)
    assert _fits(active, MLP, "relu").all()
    active.y_train = y.clone()
    active.y_train[::3, 5] = 1 - active.y_train[::3, 5]
    assert torch.equal(_fits(active, MLP, "relu"), torch.arange(300) % 3 != 0)
