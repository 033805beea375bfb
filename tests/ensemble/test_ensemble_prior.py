"""The ensemble-prior toy model: the Sherman-Morrison identity against brute-force least squares
(numpy), the Wishart law of a = y^T K^-1 y for Gaussian features, the closed forms, batching and
determinism of the Monte Carlo, and the config checks that refuse impossible grids."""

import re

import numpy as np
import pandas as pd
import pytest
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.ensemble.mc import (
    contribution_ratios,
    random_features,
    ratio_grid,
    solve_draws,
    unpack_bits,
    unpack_bits_torch,
)
from nnbayes.ensemble.toy import (
    crossing,
    crossing_finite,
    crossing_limit,
    ratio_cells,
    ratio_finite,
    ratio_limit,
    split_features,
)

CPU = torch.device("cpu")


def draws(features, D, n, m, seed):
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (D, n), generator=gen, dtype=torch.float64) * 2 - 1
    R = random_features(torch.empty(D, n, m, dtype=torch.float64), features, gen)
    return y, R


@pytest.mark.parametrize("features", ["rademacher", "gaussian"])
def test_ratio_matches_brute_force_min_norm_least_squares(features):
    n, q, m = 6, 5, 40
    y, R = draws(features, 4, n, m, seed=1)
    res = solve_draws(y, R @ R.transpose(1, 2), q)
    for k in range(4):
        Phi = np.hstack([np.repeat(y[k].numpy()[:, None], q, 1), R[k].numpy()])
        w = np.linalg.lstsq(Phi, y[k].numpy(), rcond=None)[0]  # SVD: the min-norm interpolant
        perfect, random = Phi[:, :q] @ w[:q], Phi[:, q:] @ w[q:]
        np.testing.assert_allclose(perfect + random, y[k].numpy(), atol=1e-10)
        ratio = np.linalg.norm(perfect) / np.linalg.norm(random)
        np.testing.assert_allclose(res["ratio"][k].item(), ratio, rtol=1e-9)
        np.testing.assert_allclose(res["ratio_weights"][k].item(), (w[:q] ** 2).sum() / (w[q:] ** 2).sum(), rtol=1e-9)
        np.testing.assert_allclose(random, y[k].numpy() / (1 + ratio), atol=1e-10)  # parallel to y
    assert res["off_axis"].max() < 1e-12 and res["train_error"].max() < 1e-12


def test_batched_solve_equals_one_draw_at_a_time():
    y, R = draws("rademacher", 7, 5, 30, seed=2)
    K = R @ R.transpose(1, 2)
    batched = solve_draws(y, K, 3)
    for k in range(7):
        single = solve_draws(y[k : k + 1], K[k : k + 1], 3)
        for name, v in single.items():
            torch.testing.assert_close(v[0], batched[name][k], rtol=1e-12, atol=1e-14)


def test_gaussian_a_follows_the_wishart_law_and_coins_do_not():
    # Gaussian R: y^T (R R^T)^-1 y = |y|^2 / chi2_{m-n+1}, so n / a ~ chi2(m - n + 1) (here |y|^2 = n).
    n, m, D = 4, 40, 4000
    df = contribution_ratios(n, m + 1, np.log2(m + 1), D, features="gaussian", batch_entries=1 << 20,
                             gen=torch.Generator().manual_seed(3), device=CPU, dtype=torch.float64)
    assert (df["q"] == 1).all() and (df["m"] == m).all()
    stat = n / df["ratio"]  # q = 1: ratio = a
    assert scipy.stats.kstest(stat, "chi2", args=(m - n + 1,)).pvalue > TEST_FAILURE_RATE
    coins = contribution_ratios(n, m + 1, np.log2(m + 1), D, features="rademacher", batch_entries=1 << 20,
                                gen=torch.Generator().manual_seed(3), device=CPU, dtype=torch.float64)
    assert scipy.stats.kstest(n / coins["ratio"], "chi2", args=(m - n + 1,)).pvalue < 1e-6  # negative control


def test_mean_ratio_matches_the_finite_m_expectation_for_gaussian_features():
    n, M, C, D = 16, 256, 3, 3000
    df = contribution_ratios(n, M, C, D, features="gaussian", batch_entries=1 << 20,
                             gen=torch.Generator().manual_seed(4), device=CPU, dtype=torch.float32)
    q, m = split_features(M, C)
    z = (df["ratio"].mean() - ratio_finite(n, q, m)) / (df["ratio"].std() / np.sqrt(D))
    assert abs(z) < scipy.stats.norm.isf(TEST_FAILURE_RATE / 2)
    # the correction is real: the limit p n / (1 - p) is many standard errors below
    assert (df["ratio"].mean() - ratio_limit(n, q, m)) / (df["ratio"].std() / np.sqrt(D)) > 10


def test_closed_forms():
    q, m = split_features(1024, 3)
    assert (q, m) == (128, 896)
    assert ratio_limit(7, q, m) == pytest.approx(1.0)  # n = (1 - p)/p = 7: perfect = random
    assert crossing_limit(q, m) == pytest.approx(2**3 - 1)
    assert ratio_finite(crossing_finite(q, m), q, m) == pytest.approx(1.0)
    n = np.array([1, 2, 4, 8, 16])
    assert crossing(n, n / 5.5) == pytest.approx(5.5)  # exact for R proportional to n
    assert np.isnan(crossing(n, n / 100))  # not bracketed
    with pytest.raises(ValueError, match="no perfect feature"):
        split_features(100, 8)


def test_coins_are_fair_and_unpacked_the_same_on_every_path():
    gen = torch.Generator().manual_seed(5)
    codes = torch.randint(0, 256, (3, 4, 9), generator=gen, dtype=torch.uint8)
    assert torch.equal(unpack_bits(codes, 70), unpack_bits_torch(codes, 70))
    R = random_features(torch.empty(50, 20, 1000), "rademacher", gen)
    assert set(R.unique().tolist()) == {-1.0, 1.0}
    ones = int((R > 0).sum())
    assert scipy.stats.binomtest(ones, R.numel()).pvalue > TEST_FAILURE_RATE
    with pytest.raises(ValueError, match="not one of"):
        random_features(torch.empty(1, 2, 3), "uniform", gen)


def test_grid_is_deterministic_and_cells_do_not_depend_on_the_rest_of_the_grid():
    spec = {"draws": 6, "batch": 4096, "grids": [{"features": "rademacher", "M": 256, "C": [2, 3], "n": [2, 8]}]}
    a = ratio_grid(spec, 7, device=CPU, dtype=torch.float32)
    b = ratio_grid(spec, 7, device=CPU, dtype=torch.float32)
    assert a.equals(b)
    alone = ratio_grid({**spec, "grids": [{"features": "rademacher", "M": 256, "C": 3, "n": 8}]}, 7,
                       device=CPU, dtype=torch.float32)
    np.testing.assert_array_equal(a.query("C == 3 and n == 8")["ratio"].to_numpy(), alone["ratio"].to_numpy())
    assert not a.query("C == 3 and n == 8")["ratio"].equals(ratio_grid(spec, 8, device=CPU, dtype=torch.float32)
                                                            .query("C == 3 and n == 8")["ratio"])


def test_impossible_cells_are_refused_naming_the_key():
    with pytest.raises(ValueError, match=r"'ensemble.ratio.grids\[1\]'.*need m >= n \+ 2"):
        ratio_cells({"grids": [{"features": "gaussian", "M": 64, "C": 2, "n": 4},
                               {"features": "gaussian", "M": 64, "C": 2, "n": [8, 47]}]})
    with pytest.raises(ValueError, match="no perfect feature"):
        ratio_cells({"grids": [{"features": "gaussian", "M": 64, "C": 8, "n": 4}]})


def test_crossing_estimate_and_its_bootstrap_on_synthetic_draws():
    from nnbayes.ensemble.checks import crossings

    rng = np.random.default_rng(0)
    q, m = 8, 500
    n = np.array([8, 16, 32, 64, 128])
    rows = [{"features": "gaussian", "M": q + m, "C": 6.0, "n": k, "q": q, "m": m,
             "ratio": k / 50.0 * (1 + 0.01 * rng.standard_normal())} for k in n for _ in range(400)]
    (c,) = crossings(pd.DataFrame(rows)).to_dict("records")
    assert abs(c["n_hat"] - 50.0) < 4 * c["se"] and 0 < c["se"] < 1
    assert c["limit"] == pytest.approx(m / q) and c["note"] == 63


@pytest.mark.parametrize("path, value, expected", [
    (("ratio", "grids", 0, "n"), [4, 4000], "'ensemble.ratio.grids[0]': M = 2048, C = 2 leaves m = 1536"),
    (("ratio", "grids", 0, "features"), "coins", "'ensemble.ratio.grids.0.features'"),
    (("width", "regimes"), ["ntk", "lazy"], "'ensemble.width.regimes.1': 'lazy' is not one of"),
    (("width", "widths"), [16, 33], "'ensemble.width.widths.1'"),
])
def test_config_errors_name_the_key(repo, path, value, expected):
    import yaml

    from nnbayes.workflow.config import ConfigError, resolve

    config = yaml.safe_load((repo / "config.yaml").read_text())
    node = config["ensemble"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=re.escape(expected)):
        resolve(config, repo / "workflow/schemas/config.schema.yaml")
