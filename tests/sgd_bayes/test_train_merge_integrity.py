"""`nnbayes merge-train` on shards the real `nnbayes train` wrote: every damaged or misplaced shard
is refused naming the file (exit 2, one line), never merged (issue 16 §1)."""

import json
import subprocess

import pytest

from conftest import SHARD_DAMAGE, copy_set, damaged_merge_is_refused, flipped_merge_is_refused_or_identical
from nnbayes.workflow.cli import main

TASK = {"kind": "boolean", "target": "majority", "train": "1000" * 32}
NET = {"depth": 1, "width": 16, "activation": "relu", "sigma_w": 1.0, "sigma_b": 1.0}
AGD = {"optimizer": "agd", "batch_size": "full", "lr": 1.0, "loss": "ce"}
RUNS, SEED, MAX_EPOCHS = 40, 7, 300
EXPECT = {"name": "boolean/agd", "seed": SEED, "dtype": "float32", "task": TASK, "net": NET, "variant": AGD,
          "max_epochs": MAX_EPOCHS, "runs": RUNS, "shards": 2}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Data, a good 2-shard set, shard 1 again at another seed, scale and max_epochs, the reference merge."""
    d = tmp_path_factory.mktemp("train")
    main(["data", "--n", "7", "--targets", json.dumps({"majority": {"kind": "majority"}}), "--splits",
          json.dumps({"m": [32], "seeds": [0]}), "--cube", str(d / "cube.parquet"), "--targets-out",
          str(d / "targets.parquet"), "--splits-out", str(d / "splits.parquet")])

    def train(folder, shard, runs=RUNS // 2, seed=SEED, max_epochs=MAX_EPOCHS):
        out = d / folder / f"shard-{shard:04d}.parquet"
        main(["train", *sources(d), "--net", json.dumps(NET), "--variant", json.dumps(AGD), "--runs", str(runs),
              "--name", "boolean/agd", "--shard", str(shard), "--seed", str(seed), "--max-epochs",
              str(max_epochs), "--device", "cpu", "--out", str(out)])
        return out

    good = [train("good", 0), train("good", 1)]
    others = {"seed": train("seed", 1, seed=SEED + 1), "scale": train("scale", 1, runs=RUNS),
              "params": train("params", 1, max_epochs=MAX_EPOCHS + 1)}
    main(merge(d)(good, d / "reference.parquet"))
    return d, good, others, (d / "reference.parquet").read_bytes()


def sources(d):
    return ["--task", json.dumps(TASK), "--cube", str(d / "cube.parquet"), "--targets", str(d / "targets.parquet")]


def merge(d):
    return lambda paths, out: ["merge-train", *sources(d), "--expect", json.dumps(EXPECT), "--out", str(out),
                               *map(str, paths)]


def test_a_good_set_merges_and_counts_every_run(made):
    from nnbayes.core.io import read_meta

    d, *_ = made
    meta = read_meta(d / "reference.parquet")
    assert meta["runs"] == RUNS and meta["shards"] == 2 and meta["name"] == "boolean/agd"


@pytest.mark.parametrize("damage", SHARD_DAMAGE)
def test_a_damaged_or_misplaced_shard_is_refused(made, damage, tmp_path, capsys):
    d, good, others, _ = made
    err = damaged_merge_is_refused(merge(d), good, lambda paths: SHARD_DAMAGE[damage](paths, others), tmp_path,
                                   capsys)
    assert {"copy_over_sibling": "records shard = 0", "other_seed": f"records seed = {SEED + 1}",
            "other_scale": f"records runs = {RUNS}", "other_params": f"records max_epochs = {MAX_EPOCHS + 1}",
            "delete": "missing", "truncate": "unreadable"}[damage] in err


@pytest.mark.parametrize("offset", [300, *range(0, 3000, 97)])
def test_a_flipped_byte_is_refused_or_harmless(made, offset, tmp_path, capsys):
    """The issue's probe (byte 300 xor 0x5A) and a spread of others."""
    d, good, _, reference = made
    flipped_merge_is_refused_or_identical(merge(d), good, offset, reference, tmp_path, capsys)


def test_the_console_script_prints_one_line_and_exits_2(made, tmp_path):
    d, good, _, _ = made
    paths = copy_set(good, tmp_path / "set")
    bad = paths[1]
    bad.write_bytes(bad.read_bytes()[:100])
    r = subprocess.run(["nnbayes", *merge(d)(paths, tmp_path / "m.parquet")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith(f"error: {bad}: unreadable") and "Traceback" not in r.stderr
