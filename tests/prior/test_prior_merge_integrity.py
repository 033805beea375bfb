"""`nnbayes merge-prior` on shards the real `nnbayes sample-prior` wrote: every damaged or misplaced
shard is refused naming the file (exit 2, one line), never merged (issue 16 §1)."""

import json

import pandas as pd
import pytest

from conftest import SHARD_DAMAGE, damaged_merge_is_refused, flipped_merge_is_refused_or_identical
from nnbayes.core.boolean import boolean_cube
from nnbayes.core.io import read, write_table
from nnbayes.workflow.cli import main

SPEC = {"kind": "fcn", "depth": 1, "width": 8, "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.0,
        "inputs": "binary"}
SAMPLES, SEED = 600, 3
EXPECT = {"name": "fcn/small", "seed": SEED, "dtype": "float32", "spec": SPEC, "record": "functions",
          "samples": SAMPLES, "shards": 2}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A good 2-shard set, shard 1 again at another seed, scale and sigma_w, the reference merge."""
    d = tmp_path_factory.mktemp("prior")
    write_table(pd.DataFrame(boolean_cube(7), columns=[f"x{i}" for i in range(7)]), d / "cube.parquet")

    def sample(folder, shard, samples=SAMPLES // 2, seed=SEED, spec=SPEC):
        out = d / folder / f"shard-{shard:04d}.parquet"
        main(["sample-prior", "--cube", str(d / "cube.parquet"), "--spec", json.dumps(spec), "--record",
              "functions", "--samples", str(samples), "--name", "fcn/small", "--shard", str(shard), "--seed",
              str(seed), "--device", "cpu", "--out", str(out)])
        return out

    good = [sample("good", 0), sample("good", 1)]
    others = {"seed": sample("seed", 1, seed=SEED + 1), "scale": sample("scale", 1, samples=SAMPLES),
              "params": sample("params", 1, spec={**SPEC, "sigma_w": 2.0})}
    main(merge(good, d / "reference.parquet"))
    return good, others, (d / "reference.parquet").read_bytes()


def merge(paths, out):
    return ["merge-prior", "--expect", json.dumps(EXPECT), "--out", str(out), *map(str, paths)]


def test_a_good_set_merges_every_sample(made, tmp_path):
    good, _, reference = made
    (tmp_path / "m.parquet").write_bytes(reference)
    table, meta = read(tmp_path / "m.parquet")
    assert meta["samples"] == table["count"].sum() == SAMPLES and meta["shards"] == 2


@pytest.mark.parametrize("damage", SHARD_DAMAGE)
def test_a_damaged_or_misplaced_shard_is_refused(made, damage, tmp_path, capsys):
    good, others, _ = made
    err = damaged_merge_is_refused(merge, good, lambda paths: SHARD_DAMAGE[damage](paths, others), tmp_path, capsys)
    assert {"copy_over_sibling": "records shard = 0", "other_seed": f"records seed = {SEED + 1}",
            "other_scale": f"records samples = {SAMPLES}", "other_params": "records spec = ",
            "delete": "missing", "truncate": "unreadable"}[damage] in err


@pytest.mark.parametrize("offset", [300, *range(0, 5500, 211)])
def test_a_flipped_byte_is_refused_or_harmless(made, offset, tmp_path, capsys):
    good, _, reference = made
    flipped_merge_is_refused_or_identical(merge, good, offset, reference, tmp_path, capsys)
