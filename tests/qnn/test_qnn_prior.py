"""QNN priors P(f): determinism, sharding through the CLI, exact support constraints, and a
closed-form P(t)."""

import json

import numpy as np
import pandas as pd
import scipy.stats
import torch

from conftest import TEST_FAILURE_RATE
from nnbayes.core.boolean import boolean_cube
from nnbayes.workflow.cli import main
from nnbayes.core.functions import unpack_ids
from nnbayes.core.io import read_meta, read_table, write_table
from nnbayes.qnn.plan import prior_sets
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.prior import output_sampler, sample_shard
from nnbayes.core.tables import merge_counts, ones_count_distribution

CUBE = boolean_cube(7)
ENC = {
    "basis": {"kind": "basis"},
    "amplitude_pm": {"kind": "amplitude", "inputs": "pm"},
    "amplitude01": {"kind": "amplitude", "inputs": "binary", "zero": "constant", "constant": 1.0},
    "pitfall": {"kind": "dense_angle", "offset_pi": 0.0, "scale_pi": 0.5, "phase_pi": 2.0},
}
QNN = {"embeddings": ENC, "circuit_layers": 2, "observable_qubit": 1,
       "kernel": {"base": "fidelity", "depth": 2, "sigma_w": 1.0, "sigma_b": 0.3},
       "layered": {"embedding": "amplitude01", "width": 7, "scheme": "gue"},
       "prior": {"grids": [{"embedding": ["amplitude_pm", "amplitude01"], "scheme": ["haar", "gue", "circuit"],
                            "samples": 3000},
                           {"embedding": "amplitude01", "scheme": ["kernel", "layered"], "samples": 3000},
                           {"embedding": ["basis", "pitfall"], "scheme": "gue", "samples": 3000}]}}
SETS = prior_sets(QNN)


def sample(name, n=3000, seed=0, dtype=torch.float32):
    return sample_shard(SETS[name], CUBE, n, batch=700, gen=torch.Generator().manual_seed(seed),
                        device=torch.device("cpu"), dtype=dtype)


def bits(table):
    return unpack_ids(table[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), 128).astype(bool)


def test_sets_are_named_and_carry_their_sampler_settings():
    assert set(SETS) == {f"{e}-{s}" for e in ("amplitude_pm", "amplitude01") for s in ("haar", "gue", "circuit")} | {
        "amplitude01-kernel", "amplitude01-layered", "basis-gue", "pitfall-gue"}
    assert SETS["amplitude01-circuit"]["layers"] == 2 and SETS["amplitude01-kernel"]["kernel"]["depth"] == 2


def test_same_seed_same_counts_other_seed_other_counts():
    for name in ("amplitude01-haar", "amplitude01-circuit", "amplitude01-layered", "amplitude01-kernel"):
        a, b, c = sample(name, 1000), sample(name, 1000), sample(name, 1000, seed=1)
        pd.testing.assert_frame_equal(a, b)
        assert a["count"].sum() == 1000 and not a.equals(c)


def test_amplitude_pm_prior_puts_all_mass_on_even_functions():
    """psi(-x) = -psi(x): every model has f(x) = f(-x) (the cube's row 127 - i is -x_i)."""
    for scheme in ("haar", "gue", "circuit"):
        b = bits(sample(f"amplitude_pm-{scheme}"))
        assert (b == b[:, ::-1]).all()


def test_dense_angle_pitfall_prior_ignores_the_phase_bits():
    b = bits(sample("pitfall-gue"))
    a_only = ((CUBE * np.array([1, 0, 1, 0, 1, 0, 1])) << np.arange(6, -1, -1)).sum(1)
    assert (b == b[:, a_only]).all() and len(b) > 100


A_ONLY = ((CUBE * np.array([1, 0, 1, 0, 1, 0, 1])) << np.arange(6, -1, -1)).sum(1)  # phase bits zeroed


def test_pitfall_states_ignore_the_phase_bits_bit_for_bit():
    """e^{2 pi i b} is computed exactly (exp(2 pi i) in floating point is 1 - 2.4e-16 i)."""
    states, _ = embed(ENC["pitfall"], CUBE)
    assert torch.equal(states, states[A_ONLY])


def test_tied_inputs_get_equal_outputs_exactly():
    """Issue 14 §7: inputs whose states agree (up to sign) get the same output, not one within
    round-off: a factor of the rank-deficient kernel differs between tied rows by ~1e-7, enough
    to flip the sign of an output near 0 and break an exact row at large sample counts."""
    kernel = {**SETS["amplitude01-kernel"], "embedding": "amplitude_pm", "encoding": ENC["amplitude_pm"]}
    for spec, tied in ((SETS["pitfall-gue"], A_ONLY), (SETS["amplitude_pm-gue"], np.arange(127, -1, -1)),
                       (kernel, np.arange(127, -1, -1))):
        for dtype in (torch.float32, torch.float64):
            f = output_sampler(spec, CUBE, torch.device("cpu"), dtype)(2000, torch.Generator().manual_seed(0))
            assert torch.equal(f, f[:, tied]) and f.std() > 0.1


def test_basis_gue_prior_ones_count_is_binomial():
    """F = I: f(x) are i.i.d. N(0, 1), so t ~ Binomial(128, 1/2) exactly."""
    table = merge_counts([sample("basis-gue", 20000)], 128)
    p_t = ones_count_distribution(table, 128)
    counts = p_t["count"].to_numpy()
    expected = scipy.stats.binom.pmf(np.arange(129), 128, 0.5) * counts.sum()
    keep = expected > 5
    obs = np.append(counts[keep], counts[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    assert scipy.stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue > TEST_FAILURE_RATE


def test_cli_shards_merge_into_the_network_prior_table_format(tmp_path):
    """`qnn-prior` shards -> `qnn-merge-prior`: counts add up, seeds differ per shard and set,
    and the merged table has the network prior's columns (count, t, entropy, clz)."""
    cube = tmp_path / "cube.parquet"
    write_table(pd.DataFrame(CUBE, columns=[f"x{i}" for i in range(7)]), cube)
    chosen = {k: {**SETS[k], "samples": 1001} for k in ("amplitude01-gue", "amplitude_pm-haar")}
    shards = []
    for shard in range(2):
        outs = [str(tmp_path / k / f"shard-{shard:04d}.parquet") for k in chosen]
        main(["qnn-prior", "--cube", str(cube), "--sets", json.dumps(chosen), "--shard", str(shard),
              "--shards", "2", "--seed", "5", "--batch", "300", "--out", *outs])
        shards += outs
    merged = [str(tmp_path / f"{k}.parquet") for k in chosen]
    expect = {"seed": 5, "dtype": "float32", "shards": 2}
    main(["qnn-merge-prior", "--out", *merged, "--sets", json.dumps(chosen), "--expect", json.dumps(expect),
          "--shards", *shards])
    for path, name in zip(merged, chosen):
        table, meta = read_table(path), read_meta(path)
        assert meta["samples"] == 1001 and table["count"].sum() == 1001 and meta["name"] == name
        assert {"count", "t", "entropy", "clz"} <= set(table.columns)
        assert table["count"].is_monotonic_decreasing
    seeds = {read_meta(p)["shard_seed"] for p in shards}
    assert len(seeds) == 4
