"""Tables on disk: parquet (zstd) with provenance in the schema metadata, written atomically.

A write goes to `<path>.tmp` and is moved into place with `os.replace`, so a killed job never
leaves a plausible-looking file behind.
"""

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

META_KEY = b"nnbayes"


def write_table(df: pd.DataFrame, path: str | Path, meta: dict | None = None) -> None:
    """Write `df` (no index) with `meta` as JSON metadata; atomic and byte-deterministic."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False)
    schema_meta = {META_KEY: json.dumps(meta or {}, sort_keys=True).encode()}
    table = table.replace_schema_metadata(schema_meta)  # drop pandas' own metadata blob
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def read_table(path: str | Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def read_meta(path: str | Path) -> dict:
    """The provenance dict stored by `write_table`."""
    meta = pq.read_schema(path).metadata or {}
    return json.loads(meta.get(META_KEY, b"{}"))
