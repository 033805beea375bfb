"""The shards a merge sums must be exactly the set it was asked for: files shard-0000 ... shard-(N-1),
each intact (`io.read`), each recording its own index, the set's name, seed and parameters, and
its share of the set's total count. Anything else (a shard copied over its sibling, one left from
another seed or scale, one missing) is refused with the file and the fix, never merged.

A merge is told what to expect (`expect`): the set's fields as the rule passes them to the shard
jobs, plus `shards` (N) and the total of the count field (`samples`, `runs`).
"""

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from nnbayes.core.errors import DataError
from nnbayes.core.io import RERUN, read

PER_SHARD = ("shard", "shard_seed", "device")  # fields that differ between shards of one set


def shard_size(total: int, shards: int, shard: int) -> int:
    """The count of shard `shard` when `total` is split over `shards` as evenly as possible."""
    q, r = divmod(total, shards)
    return q + (shard < r)


def read_shards(paths: Sequence[str | Path], expect: dict, count: str,
                varying: Sequence[str] = ()) -> list[tuple[dict, pd.DataFrame]]:
    """(meta, table) of every shard of one set, in index order, after checking it is the set
    `expect` describes; `count` names the meta field the total is split over, `varying` other
    fields allowed to differ between shards."""
    _check_indices([Path(p) for p in paths], expect["shards"])
    shards = [read(p)[::-1] for p in paths]
    for i, (path, (meta, _)) in enumerate(zip(paths, shards)):
        want = {**expect, "shard": i, count: shard_size(expect[count], expect["shards"], i)}
        del want["shards"]
        _check_fields(path, meta, want)
    first = shards[0][0]
    skip = {*PER_SHARD, count, *varying}
    for path, (meta, _) in zip(paths[1:], shards[1:]):
        _check_fields(path, meta, {k: v for k, v in first.items() if k not in skip}, f"{paths[0]} (shard 0)")
    return shards


def _check_indices(paths: list[Path], shards: int) -> None:
    """The files are shard-0000 ... shard-(N-1) of one folder, in order."""
    want = [f"shard-{i:04d}.parquet" for i in range(shards)]
    names = [p.name for p in paths]
    if names != want or len({p.parent for p in paths}) != 1:
        raise DataError(f"shard list {[str(p) for p in paths]} is not {want} of one folder; merge the "
                        "shards the rule lists (run the merge through snakemake)")


def _check_fields(path, meta: dict, want: dict, source: str = "the rule") -> None:
    """Each of `want` is recorded as is in `meta`, or the first that is not is named."""
    for key, value in want.items():
        if meta.get(key) != value:
            what = "a copy of another shard" if key == "shard" else "a shard of another set, seed or scale"
            raise DataError(f"{path}: records {key} = {_short(meta.get(key))} but {source} says "
                            f"{_short(value)} ({what}); {RERUN}")


def _short(value, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
