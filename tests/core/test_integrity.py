"""Tables are read back only if intact (page checksums + a content digest), and a merge takes only
the exact shard set it was asked for: every damaged or misplaced file is refused, naming it."""

import shutil

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nnbayes.core.errors import DataError
from nnbayes.core.io import digest, read, read_table, write_table
from nnbayes.core.shards import read_shards, shard_size

META = {"name": "boolean/agd", "seed": 7, "net": {"width": 16}}


def shard_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id_hi": rng.integers(0, 2**63, n, dtype=np.uint64),
                         "id_lo": rng.integers(0, 2**63, n, dtype=np.uint64),
                         "converged": rng.random(n) < 0.9, "epochs": rng.integers(1, 2000, n)})


def write_set(folder, runs=10, shards=2, **over) -> list:
    """A well-formed set: shard i records its index and its share of `runs`."""
    paths = []
    for i in range(shards):
        n = shard_size(runs, shards, i)
        meta = {**META, "shard": i, "shard_seed": 100 + i, "device": "cpu", "runs": n, **over}
        paths.append(folder / f"shard-{i:04d}.parquet")
        write_table(shard_frame(n, seed=i), paths[-1], meta)
    return paths


def expect(runs=10, shards=2) -> dict:
    return {"name": META["name"], "seed": META["seed"], "net": META["net"], "runs": runs, "shards": shards}


def test_round_trip_keeps_the_digest_whatever_the_row_groups_and_null_slots():
    df = pd.DataFrame({"x": [1.0, None, 3.0, np.nan, 5.0], "s": ["a", None, "c", "d", "e"],
                       "b": [True, False, True, True, False], "u": np.arange(5, dtype=np.uint64)})
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=2)  # three row groups, nulls decoded anew
    back = pq.read_table(pa.BufferReader(sink.getvalue())).replace_schema_metadata(None)
    assert back.num_rows == 5 and back["x"].num_chunks == 3
    assert digest(back, b"{}") == digest(table, b"{}")
    assert digest(back, b'{"a": 1}') != digest(table, b"{}")
    changed = table.set_column(3, "u", pa.array(np.array([0, 1, 2, 3, 5], dtype=np.uint64)))
    assert digest(changed, b"{}") != digest(table, b"{}")


def test_same_table_same_bytes(tmp_path):
    df = shard_frame(50, seed=0)
    write_table(df, tmp_path / "a.parquet", META)
    write_table(df, tmp_path / "b.parquet", META)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
    back, meta = read(tmp_path / "a.parquet")
    assert back.equals(df) and meta == META


def test_every_single_byte_flip_is_refused_or_reads_back_identical(tmp_path):
    """Before checksums and digest ~80% of these flips read back without error, values changed. ~20%
    still read back identical: they hit bytes nothing decodes (column statistics, the writer's name,
    the Arrow schema's copy of the metadata)."""
    df, path, bad = shard_frame(40, seed=0), tmp_path / "s.parquet", tmp_path / "bad.parquet"
    write_table(df, path, META)
    raw, refused = path.read_bytes(), 0
    for offset in range(len(raw)):
        flipped = bytearray(raw)
        flipped[offset] ^= 0x5A
        bad.write_bytes(flipped)
        try:
            back, meta = read(bad)
        except DataError as e:
            assert str(bad) in str(e) and "rerun snakemake" in str(e) and "\n" not in str(e)
            refused += 1
            continue
        assert back.equals(df) and meta == META, f"flip at byte {offset} changed the table silently"
    assert refused > 0.7 * len(raw)


@pytest.mark.parametrize("damage", ["truncate", "delete", "foreign"])
def test_truncated_missing_or_foreign_files_are_refused_by_name(tmp_path, damage):
    path = tmp_path / "s.parquet"
    write_table(shard_frame(40, seed=0), path, META)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-100])
    elif damage == "delete":
        path.unlink()
    else:  # a parquet file without a digest (written by plain pyarrow, or an older nnbayes)
        pq.write_table(pa.table({"a": [1, 2]}), path)
    with pytest.raises(DataError, match=rf"^{path}: .*rerun snakemake"):
        read(path)


def test_a_well_formed_set_is_read_in_order(tmp_path):
    paths = write_set(tmp_path, runs=11, shards=3)
    shards = read_shards(paths, expect(runs=11, shards=3), "runs")
    assert [m["shard"] for m, _ in shards] == [0, 1, 2] and [len(t) for _, t in shards] == [4, 4, 3]


def _copy_over(paths, tmp):
    shutil.copy(paths[0], paths[1])


def _other_seed(paths, tmp):
    write_set(tmp / "other", **{"seed": 8})[1].replace(paths[1])


def _other_scale(paths, tmp):  # the same set at 3x the runs: shard 1 holds 15 runs, not 5
    write_set(tmp / "other", runs=30)[1].replace(paths[1])


def _other_params(paths, tmp):
    write_set(tmp / "other", net={"width": 32})[1].replace(paths[1])


def _swap_order(paths, tmp):
    paths.reverse()


def _drop_last(paths, tmp):
    paths.pop()


@pytest.mark.parametrize("probe, message", [
    (_copy_over, r"shard-0001.parquet: records shard = 0 but the rule says 1 \(a copy of another shard\)"),
    (_other_seed, r"shard-0001.parquet: records seed = 8 but the rule says 7"),
    (_other_scale, r"shard-0001.parquet: records runs = 15 but the rule says 5"),
    (_other_params, r"shard-0001.parquet: records net = \{'width': 32\} but the rule says \{'width': 16\}"),
    (_swap_order, r"is not \['shard-0000.parquet', 'shard-0001.parquet'\]"),
    (_drop_last, r"is not \['shard-0000.parquet', 'shard-0001.parquet'\]"),
])
def test_a_misplaced_shard_is_refused_naming_it(tmp_path, probe, message):
    paths = write_set(tmp_path / "set")
    probe(paths, tmp_path)
    with pytest.raises(DataError, match=message):
        read_shards(paths, expect(), "runs")


def test_a_field_no_rule_names_must_still_agree_across_shards(tmp_path):
    paths = write_set(tmp_path / "set")
    write_set(tmp_path / "other", n_points=64)[1].replace(paths[1])
    write_set(tmp_path / "first", n_points=128)[0].replace(paths[0])
    with pytest.raises(DataError, match=r"shard-0001.parquet: records n_points = 64 but .*shard-0000.parquet"):
        read_shards(paths, expect(), "runs")


def test_list_and_string_columns_read_back_through_their_digest(tmp_path):
    """Arrays per row (the width study's fitted functions) and nullable strings: parquet renames a
    list's item field on the way back, which the digest must not mistake for damage."""
    df = pd.DataFrame({"f": [np.arange(3.0), np.arange(2.0)], "x": [1, 2], "s": ["a", None]})
    write_table(df, tmp_path / "a.parquet", {"k": 1})
    back = read_table(tmp_path / "a.parquet")
    assert back["f"].map(list).tolist() == [[0.0, 1.0, 2.0], [0.0, 1.0]]
    assert back["s"].iloc[0] == "a" and pd.isna(back["s"].iloc[1])
