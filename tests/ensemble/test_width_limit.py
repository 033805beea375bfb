"""The width experiment: the analytic NTK/NNGP against the empirical tangent kernel of wide nets,
that tangent kernel and the hand-written gradients against autograd, batched == one net at a time,
f0 = 0 under antisymmetric init, the plain-init offset variance against GP samples, convergence of
wide nets to their own kernel limit, and determinism."""

import numpy as np
import pandas as pd
import pytest
import torch

from nnbayes.ensemble.width_limit import (
    antisymmetrize,
    forward,
    grid_points,
    init_nets,
    kernel_limits,
    kernels,
    tangent_kernel,
    train,
    train_width,
    xor_data,
)

CPU, F64 = torch.device("cpu"), torch.float64
NET = {"sigma_w": 2**0.5, "sigma_b": 1.0}
SPEC = {"data": {"labels": "xor", "half_side": 0.8, "jitter": 0.05, "seed": 0},
        "grid": {"points": 11, "half_side": 2.0}, "net": NET, "regimes": ["ntk", "last_layer"],
        "inits": ["antisymmetric", "plain"], "seeds": 3, "lr": 1.0, "tol": 1e-10, "max_steps": 3000,
        "check_every": 10, "fit_min_width": 8, "show_seeds": 2}


def data(dtype=F64):
    X, y = xor_data(SPEC["data"])
    return torch.as_tensor(X, dtype=dtype), torch.as_tensor(y, dtype=dtype)


def nets(width, n, seed=0, dtype=F64):
    return init_nets(width, n, 2, gen=torch.Generator().manual_seed(seed), device=CPU, dtype=dtype)


def autograd_jacobian(p, X, k):
    """d f_k(X) / d(params of net k) by autograd, [P, n_params]."""
    leaves = {name: v[k].clone().requires_grad_() for name, v in p.items()}
    one = {name: v.unsqueeze(0) for name, v in leaves.items()}
    f = forward(one, X, **NET)[0]
    rows = [torch.cat([g.reshape(-1) for g in torch.autograd.grad(f[i], list(leaves.values()), retain_graph=True)])
            for i in range(len(f))]
    return torch.stack(rows), list(leaves)


def test_tangent_kernel_equals_autograd_jacobian_product():
    X, _ = data()
    p = nets(6, 2, seed=1)
    hidden_lr = torch.tensor([1.0, 0.25], dtype=F64)
    K = tangent_kernel(p, X, hidden_lr, **NET)
    for k in range(2):
        J, names = autograd_jacobian(p, X, k)
        sizes = [p[n][k].numel() for n in names]
        scale = torch.cat([torch.full((s,), hidden_lr[k].item() if n in ("W", "b") else 1.0, dtype=F64)
                           for n, s in zip(names, sizes)])
        torch.testing.assert_close(K[k], (J * scale) @ J.T, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("regime, hidden", [("ntk", 1.0), ("last_layer", 0.0)])
def test_analytic_kernel_matches_very_wide_nets(regime, hidden):
    # The empirical kernel of width-N nets fluctuates by O(N^-1/2) around the analytic one.
    X, _ = data()
    Xs = torch.cat([X, torch.tensor([[0.3, -1.7], [1.9, 1.1]], dtype=F64)])
    p = nets(2**15, 4, seed=2)
    emp = tangent_kernel(p, Xs, torch.full((4,), hidden, dtype=F64), **NET).mean(0)
    exact = kernels(Xs, **NET)[regime]
    rel = (emp - exact).norm() / exact.norm()
    assert rel < 0.02  # measured 0.2-0.6 % (relative fluctuation ~ 1 / sqrt(4 N))
    assert (emp - kernels(Xs, **NET)["ntk" if regime == "last_layer" else "last_layer"]).norm() / exact.norm() > 0.1


def test_one_step_equals_autograd_gradient_descent():
    X, y = data()
    p = nets(8, 2, seed=3)
    lr, hidden_lr = torch.tensor([0.05, 0.02], dtype=F64), torch.tensor([1.0, 0.125], dtype=F64)
    expected = {}
    for k in range(2):
        leaves = {n: v[k].clone().requires_grad_() for n, v in p.items()}
        f = forward({n: v.unsqueeze(0) for n, v in leaves.items()}, X, **NET)[0]
        (0.5 * ((f - y) ** 2).sum()).backward()
        expected[k] = {n: (v - lr[k] * (hidden_lr[k] if n in ("W", "b") else 1) * v.grad).detach()
                       for n, v in leaves.items()}
    train(p, X, y, lr, hidden_lr, **NET, tol=0.0, max_steps=1, check_every=1)
    for k in range(2):
        for n in p:
            torch.testing.assert_close(p[n][k], expected[k][n], rtol=1e-12, atol=1e-14)


def test_batched_training_equals_one_net_at_a_time():
    X, y = data()
    p = nets(16, 4, seed=4)
    lr = torch.tensor([0.05, 0.04, 0.03, 0.05], dtype=F64)
    hidden_lr = torch.tensor([1.0, 1.0, 1 / 16, 1 / 16], dtype=F64)
    singles = [{n: v[k : k + 1].clone() for n, v in p.items()} for k in range(4)]
    steps, mse = train(p, X, y, lr, hidden_lr, **NET, tol=1e-8, max_steps=2000, check_every=10)
    for k, s in enumerate(singles):
        st, ms = train(s, X, y, lr[k : k + 1], hidden_lr[k : k + 1], **NET, tol=1e-8, max_steps=2000, check_every=10)
        assert st.item() == steps[k].item()
        for n in p:
            torch.testing.assert_close(s[n][0], p[n][k], rtol=1e-9, atol=1e-11)
    assert (mse < 1e-8).all()


def test_antisymmetric_init_is_exactly_zero_and_plain_init_is_not():
    grid = torch.as_tensor(grid_points(SPEC["grid"]), dtype=torch.float32)
    p = nets(64, 5, seed=5, dtype=torch.float32)
    assert forward(antisymmetrize(p), grid, **NET).abs().max() < 1e-5  # paired units cancel up to rounding
    assert forward(p, grid, **NET).abs().mean() > 0.1
    with pytest.raises(ValueError, match="must be even"):
        antisymmetrize(nets(7, 1))


def test_plain_init_offset_variance_matches_gp_samples():
    # f0 ~ GP(0, K); after kernel regression with Theta the offset is f0 - A f0(X).
    X, y = xor_data(SPEC["data"])
    grid = grid_points({"points": 5, "half_side": 2.0})
    lim = kernel_limits(X, y, grid, **NET).set_index("regime")
    pts = np.concatenate([grid, X])
    K = kernels(pts, **NET)["last_layer"].numpy()
    rng = np.random.default_rng(6)
    L = np.linalg.cholesky(K + 1e-10 * np.eye(len(K)))
    f0 = rng.standard_normal((40000, len(K))) @ L.T
    G = len(grid)
    for regime in ("ntk", "last_layer"):
        kx = kernels(pts, X, **NET)[regime].numpy()
        A = np.linalg.solve(kernels(X, **NET)[regime].numpy(), kx[:G].T).T
        offset = f0[:, :G] - f0[:, G:] @ A.T
        np.testing.assert_allclose(offset.std(0), lim.loc[regime, "offset_std"], rtol=0.03, atol=1e-3)
        assert lim.loc[regime, "train_residual"] < 1e-10


def test_wide_nets_land_on_their_own_kernel_limit_and_runs_are_deterministic():
    spec = {**SPEC, "seeds": 2, "inits": ["antisymmetric"]}
    df = train_width(1024, spec, 11, device=CPU, dtype=torch.float32)
    assert df["converged"].all()
    lim = kernel_limits(*xor_data(spec["data"]), grid_points(spec["grid"]), **NET).set_index("regime")
    for regime, d in df.groupby("regime"):
        other = "ntk" if regime == "last_layer" else "last_layer"
        F = np.stack(d["f"])
        own, far = (np.sqrt(((F - lim.loc[r, "limit"]) ** 2).mean(1)) for r in (regime, other))
        assert (own < 0.7 * far).all(), (regime, own, far)
    again = train_width(1024, spec, 11, device=CPU, dtype=torch.float32)
    assert np.array_equal(np.stack(df["f"]), np.stack(again["f"])) and df["steps"].equals(again["steps"])


def test_data_and_grid_layout():
    X, y = xor_data(SPEC["data"])
    np.testing.assert_array_equal(y, [1, -1, -1, 1])
    assert np.abs(np.abs(X) - 0.8).max() < 0.3
    g = grid_points({"points": 3, "half_side": 1.0}).reshape(3, 3, 2)
    np.testing.assert_array_equal(g[0, 2], [1.0, -1.0])  # row = x2, column = x1
    with pytest.raises(ValueError, match="not one of"):
        xor_data({**SPEC["data"], "labels": "parity"})


def test_metrics_of_known_functions():
    from nnbayes.ensemble.checks import loglog_slope, roughness, width_metrics

    grid = {"points": 9, "half_side": 2.0}
    g = grid_points(grid)
    plane = 0.7 * g[:, 0] - 0.2 * g[:, 1]
    assert roughness(plane[None], grid)[0] == pytest.approx((0.7 + 0.2) / 2)
    limits = pd.DataFrame({"regime": ["ntk", "last_layer"], "limit": [plane, 0 * plane]}).set_index("regime")
    rng = np.random.default_rng(0)
    rows = [{"regime": "ntk", "init": "antisymmetric", "width": w, "seed": s, "steps": 1, "converged": True,
             "f": plane + rng.standard_normal(len(g)) / np.sqrt(w)} for w in (64, 256, 1024, 4096) for s in range(40)]
    met = width_metrics(pd.DataFrame(rows), limits, {"grid": grid})
    assert loglog_slope(met["width"], met["spread"], 64) == pytest.approx(-0.5, abs=0.03)
    assert loglog_slope(met["width"], met["distance"], 64) == pytest.approx(-0.5, abs=0.03)
    np.testing.assert_allclose(met["distance_other"], np.sqrt((plane**2).mean()), rtol=0.05)
