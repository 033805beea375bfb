"""T7/T14 machinery: where the GP is exact (a perceptron is a linear map of Gaussian weights,
so its outputs ARE a Gaussian process) the sampled P(f) must equal the GP's exact P(f)."""

import numpy as np
import torch

from nnbayes.core.boolean import boolean_cube
from nnbayes.sgd_bayes.gp_validation import kernel_vs_wide_nets, prior_vs_gp
from nnbayes.prior.sampler import sample_shard
from nnbayes.core.tables import merge_counts

CPU = torch.device("cpu")


def perceptron_prior_vs_gp(cube, sigma_b: float, n: int, top: int, seed: int):
    """Sampled perceptron prior on `cube` (n nets) against its GP, exactly for every function."""
    spec = {"kind": "fcn", "depth": 0, "width": 1, "activation": "relu", "sigma_w": 1.0, "sigma_b": sigma_b,
            "inputs": "binary"}
    shard = sample_shard(spec, cube, n, "functions", batch=4096, gen=torch.Generator().manual_seed(seed),
                         device=CPU, dtype=torch.float64)
    table = merge_counts([shard], len(cube))
    return prior_vs_gp(table, n, cube, spec, top=top, exact_top=top, exact_samples=20000, seed=seed + 1)


def test_perceptron_prior_equals_its_gp_exactly():
    # 10 random points in 12 dimensions: the linear kernel is full rank (on the cube it has
    # rank n + 1 < 2^n, a degenerate orthant problem the tilting estimator is not built for)
    cube = np.random.default_rng(0).standard_normal((10, 12))
    n = 200_000
    d = perceptron_prior_vs_gp(cube, 1.0, n, top=12, seed=0)
    p = np.exp(d["log_p_sampled"])
    se_log_sampled = np.sqrt((1 - p) / (n * p))  # binomial, on the log scale
    z = (d["log_p_exact"] - d["log_p_sampled"]) / np.hypot(se_log_sampled, d["exact_stderr"])
    assert np.abs(z).max() < 4.5, z.to_numpy()
    assert d["ep_converged"].all()


def test_sigma_b_zero_drops_the_origin_and_still_matches():
    d = perceptron_prior_vs_gp(boolean_cube(3), 0.0, 100_000, top=6, seed=2)
    assert np.all(np.abs(d["log_p_exact"] - d["log_p_sampled"]) < 0.05)


def test_kernel_matches_wide_nets_within_monte_carlo_error():
    X = boolean_cube(3).astype(np.float32)
    net = {"depth": 1, "width": 2048, "activation": "relu", "sigma_w": 1.5, "sigma_b": 0.5}
    d = kernel_vs_wide_nets(X, net, 4000, batch=200, gen=torch.Generator().manual_seed(4), device=CPU,
                            dtype=torch.float64)
    assert len(d) == 8 * 9 // 2
    # depth 1: the kernel of a finite-width net equals the NNGP in expectation (no 1/width bias)
    assert np.all(np.abs(d["empirical"] - d["analytic"]) < 4.5 * d["stderr"] + 1e-12)
