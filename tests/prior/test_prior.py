import numpy as np
import pandas as pd
import pytest
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.core.boolean import boolean_cube
from nnbayes.core.complexity import lz_complexity_str
from nnbayes.core.functions import ids_to_strings
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.prior.sampler import sample_functions, sample_shard
from nnbayes.core.seeds import shard_seed
from nnbayes.core.tables import merge_counts, ones_count_distribution

CUBE = boolean_cube(7)
FCN = {"kind": "fcn", "depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0,
       "sigma_b": 0.0, "inputs": "binary"}


def sample(spec, n, record="functions", seed=0, batch=256):
    gen = torch.Generator().manual_seed(seed)
    return sample_shard(spec, CUBE, n, record, batch=batch, gen=gen, device=torch.device("cpu"),
                        dtype=torch.float32)


def test_same_seed_same_table_other_seed_other_table():
    a, b, c = sample(FCN, 3000), sample(FCN, 3000), sample(FCN, 3000, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["count"].sum() == 3000


def test_shard_seeds_are_distinct():
    seeds = {shard_seed(1, name, k) for name in ("fcn/a", "fcn/b") for k in range(100)}
    assert len(seeds) == 200 and all(0 <= s < 2**63 for s in seeds)


def test_without_bias_the_origin_is_always_class_0():
    # sigma_b = 0 and x = 0: every layer outputs exactly 0, so f(0) = 0 (the id's top bit).
    ids = sample(FCN, 2000)["id_hi"].to_numpy(dtype=np.uint64)
    assert not np.any(ids >> np.uint64(63))
    with_bias = sample({**FCN, "sigma_b": 1.0}, 2000)["id_hi"].to_numpy(dtype=np.uint64)
    assert np.any(with_bias >> np.uint64(63))


def test_merge_sums_shards_and_annotates_each_function():
    a, b = sample(FCN, 2000, seed=0), sample(FCN, 2000, seed=1)
    merged = merge_counts([a, b], 128)
    assert merged["count"].sum() == 4000
    assert merged["count"].is_monotonic_decreasing
    assert len(merged) == len(pd.concat([a, b]).drop_duplicates(["id_hi", "id_lo"]))
    strings = ids_to_strings(merged[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64)[:50], 128)
    assert merged["t"].head(50).tolist() == [s.count("1") for s in strings]
    assert merged["clz"].head(50).tolist() == [lz_complexity_str(s) for s in strings]


def test_ones_count_record_agrees_with_function_table():
    # the same draws counted two ways give the same P(t)
    hist = sample(FCN, 3000, record="ones_count")
    table = merge_counts([sample(FCN, 3000)], 128)
    assert (ones_count_distribution(hist, 128)["count"].to_numpy()
            == ones_count_distribution(table, 128)["count"].to_numpy()).all()


def test_uniform_prior_has_binomial_ones_count():
    hist = sample({"kind": "uniform"}, 20000, record="ones_count")
    counts = hist["count"].to_numpy()
    expected = scipy.stats.binom(128, 0.5).pmf(np.arange(129)) * counts.sum()
    keep = expected > 5  # chi-square needs well-filled cells; pool the tails
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert scipy.stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > TEST_FAILURE_RATE


def test_bad_spec_refused_by_name():
    with pytest.raises(ValueError, match="is not one of"):
        sample({**FCN, "kind": "cnn"}, 10)
    with pytest.raises(ValueError, match="record"):
        sample(FCN, 10, record="everything")


@pytest.mark.parametrize("sigma_b", [0.0, 1.0])
def test_reused_buffers_give_each_batch_its_own_draw(sigma_b):
    # batches of 256 with a short last one, drawn into one set of buffers, equal fresh per-batch
    # init + forward on the same stream: the buffers carry nothing from one batch to the next
    spec = dict(FCN, sigma_b=sigma_b)
    gen = torch.Generator().manual_seed(5)
    kw = dict(gen=gen, device=torch.device("cpu"), dtype=torch.float32)
    got = torch.cat(list(sample_functions(spec, CUBE, 600, batch=256, **kw)))
    gen.manual_seed(5)
    X, widths = torch.as_tensor(CUBE, dtype=torch.float32), layer_widths(7, 2, 40)
    want = torch.cat([forward(init_params(widths, b, sigma_w=1.0, sigma_b=sigma_b, **kw), X) > 0
                      for b in (256, 256, 88)])
    assert got.shape == (600, 128) and torch.equal(got, want)
