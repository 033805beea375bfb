import numpy as np
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.abi import abi_posterior
from nnbayes.boolean import boolean_cube, target_function, train_mask

CUBE = boolean_cube(7)
KW = dict(batch=512, device=torch.device("cpu"), dtype=torch.float32)


def run(spec, m, n, seed=0):
    y = target_function({"kind": "random", "seed": 7}, 7)
    train = train_mask(128, m, 3)
    return abi_posterior(spec, CUBE, y, train, n, gen=torch.Generator().manual_seed(seed), **KW)


def test_uniform_prior_gives_exact_acceptance_and_uniform_posterior():
    # uniform prior: P(S) = 2^-m exactly, and every labelling of E is equally likely
    m, n = 6, 64_000
    table, accepted = run({"kind": "uniform"}, m, n)
    assert scipy.stats.binomtest(accepted, n, 2.0**-m).pvalue > TEST_FAILURE_RATE
    assert table["count"].sum() == accepted and len(table) <= accepted


def test_posterior_on_E_is_uniform_for_the_uniform_prior():
    # the labelling of the first 3 points of E, over accepted samples, has 8 equally likely values
    y = target_function({"kind": "random", "seed": 7}, 7)
    train = np.zeros(128, dtype=bool)
    train[:2] = True  # S = the first 2 inputs; E = the other 126
    table, accepted = abi_posterior({"kind": "uniform"}, CUBE, y, train, 20_000,
                                    gen=torch.Generator().manual_seed(1), **KW)
    top_bits = (table["id_hi"].to_numpy(dtype=np.uint64) >> np.uint64(61)).astype(int)  # first 3 of E
    counts = np.bincount(top_bits, weights=table["count"].to_numpy(), minlength=8)
    assert scipy.stats.chisquare(counts).pvalue > TEST_FAILURE_RATE
    assert accepted == counts.sum()


def test_relu_posterior_favours_the_constant_consistent_with_S():
    # sigma_b = 1: constants carry ~0.37 of the prior each, so with all-zero labels on S the
    # acceptance rate is high and the all-zero function on E is the posterior mode
    spec = {"kind": "fcn", "depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0,
            "sigma_b": 1.0, "inputs": "binary"}
    y = target_function({"kind": "constant", "value": 0}, 7)
    train = train_mask(128, 8, 0)
    table, accepted = abi_posterior(spec, CUBE, y, train, 20_000, gen=torch.Generator().manual_seed(2), **KW)
    assert accepted > 0.3 * 20_000
    assert table.sort_values("count").iloc[-1][["id_hi", "id_lo"]].tolist() == [0, 0]
