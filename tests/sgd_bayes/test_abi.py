"""ABI (rejection from the finite-width prior): exact acceptance for a known prior, the same
answer as rejecting whole sampled functions, and the posterior mode where it is obvious."""

import numpy as np
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.sgd_bayes.abi import abi_shard
from nnbayes.core.boolean import bits_to_str, boolean_cube, target_function, train_mask
from nnbayes.core.functions import count_ids, pack_bits
from nnbayes.prior.sampler import sample_functions
from nnbayes.core.tasks import boolean_task

CUBE = boolean_cube(7)
KW = dict(batch=512, device=torch.device("cpu"), dtype=torch.float32)
RELU = {"depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0, "sigma_b": 1.0}


def task(target: dict, mask: np.ndarray):
    return boolean_task(CUBE, target_function(target, 7), bits_to_str(mask))


def run(net, t, n, seed):
    return abi_shard(t, net, n, gen=torch.Generator().manual_seed(seed), **KW)


def test_uniform_prior_gives_exact_acceptance_and_uniform_posterior_on_E():
    # uniform prior: P(S) = 2^-m exactly, and every labelling of E is equally likely
    m, n = 6, 64_000
    table, accepted = run({"kind": "uniform"}, task({"kind": "random", "seed": 7}, train_mask(128, m, 3)), n, 0)
    assert scipy.stats.binomtest(accepted, n, 2.0**-m).pvalue > TEST_FAILURE_RATE
    assert table["count"].sum() == accepted
    first3 = (table["id_hi"].to_numpy(dtype=np.uint64) >> np.uint64(61)).astype(int)  # first 3 of E
    counts = np.bincount(first3, weights=table["count"].to_numpy(), minlength=8)
    assert scipy.stats.chisquare(counts).pvalue > TEST_FAILURE_RATE


def test_evaluating_S_first_equals_rejecting_whole_sampled_functions():
    # same generator, same batches => the same nets: S-first must keep exactly the same ones
    t = task({"kind": "majority"}, train_mask(128, 4, 1))
    table, accepted = run(RELU, t, 6000, 5)
    spec = {"kind": "fcn", "inputs": "binary", **RELU}
    mask = np.isin(np.arange(128), t.order[: len(t.y_train)])
    ids = []
    for bits in sample_functions(spec, CUBE, 6000, gen=torch.Generator().manual_seed(5), **KW):
        fits = (bits[:, t.order[: len(t.y_train)]] == torch.as_tensor(t.y_train > 0)).all(1)
        ids.append(pack_bits(bits[fits][:, t.order[len(t.y_train):]]))
    uniq, counts = count_ids(np.concatenate(ids))
    assert accepted == counts.sum() > 100 and mask.sum() == 4
    assert np.array_equal(table[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), uniq)
    assert np.array_equal(table["count"].to_numpy(), counts)


def test_relu_posterior_favours_the_constant_consistent_with_S():
    # sigma_b = 1: constants carry ~0.37 of the prior each, so with all-zero labels on S the
    # acceptance rate is high and the all-zero function on E is the posterior mode
    table, accepted = run(RELU, task({"kind": "constant", "value": 0}, train_mask(128, 8, 0)), 20_000, 2)
    assert accepted > 0.3 * 20_000
    assert table.sort_values("count").iloc[-1][["id_hi", "id_lo"]].tolist() == [0, 0]
