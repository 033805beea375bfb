"""Tables on disk: parquet (zstd) with provenance in the schema metadata, written atomically and
read back only if intact.

A write goes to `<path>.tmp` and is moved into place with `os.replace`, so a killed job never
leaves a plausible-looking file behind. A file that is there may still be damaged (a flipped bit,
a truncated copy). Plain parquet reads many single-byte flips back without error but with changed
values, so every page carries a CRC32 and the footer a sha256 of the table's content and its
provenance (`digest`: it also covers what the page checksums do not, the footer and metadata).
Every read checks both; a file that fails either is refused with its path and the fix (`DataError`).
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nnbayes.core.errors import DataError

META_KEY = b"nnbayes"
DIGEST_KEY = b"nnbayes.sha256"
RERUN = "delete it and rerun snakemake, which recomputes it"


def write_table(df: pd.DataFrame, path: str | Path, meta: dict | None = None) -> None:
    """Write `df` (no index) with `meta` as JSON metadata; atomic and byte-deterministic."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)  # no pandas blob
    meta_json = json.dumps(meta or {}, sort_keys=True).encode()
    table = table.replace_schema_metadata({META_KEY: meta_json, DIGEST_KEY: digest(table, meta_json).encode()})
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, compression="zstd", write_page_checksum=True)
    os.replace(tmp, path)


def read_table(path: str | Path) -> pd.DataFrame:
    return read(path)[0]


def read_meta(path: str | Path) -> dict:
    """The provenance dict stored by `write_table` (the whole file is verified: the dict is part of
    what the digest covers)."""
    return read(path)[1]


def read(path: str | Path) -> tuple[pd.DataFrame, dict]:
    """(table, provenance) of a file `write_table` wrote, after checking its page checksums and its
    digest; `DataError` naming the file if it is missing, unreadable or changed since written."""
    if not Path(path).is_file():
        raise DataError(f"{path}: missing; rerun snakemake, which recomputes it")
    try:
        table = pq.read_table(path, page_checksum_verification=True)
    except (OSError, pa.ArrowException) as e:
        raise DataError(f"{path}: unreadable ({_one_line(e)}); {RERUN}") from None
    stored = table.schema.metadata or {}
    table = table.replace_schema_metadata(None)
    if DIGEST_KEY not in stored:
        raise DataError(f"{path}: no content digest (written by an older nnbayes or another tool); {RERUN}")
    if digest(table, stored.get(META_KEY, b"")).encode() != stored[DIGEST_KEY]:
        raise DataError(f"{path}: content differs from its digest (damaged since written); {RERUN}")
    return table.to_pandas(), json.loads(stored[META_KEY])


def digest(table: pa.Table, meta_json: bytes) -> str:
    """sha256 of the provenance JSON and, per column, its name, type, null mask and non-null values:
    the same for a table and its parquet round trip, whatever the row groups or the bytes that
    stand in null slots."""
    h = hashlib.sha256(meta_json)
    for name, col in zip(table.column_names, table.columns):
        h.update(f"\0{name}\0{_type_name(col.type)}\0{col.null_count}\0".encode())
        if col.null_count:
            h.update(np.packbits(col.is_valid().to_numpy(zero_copy_only=False)).tobytes())
        values = col.drop_null()
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type):
            h.update(values.to_numpy().tobytes())
        else:
            h.update(json.dumps(values.to_pylist(), default=str).encode())
    return h.hexdigest()


def _type_name(t: pa.DataType) -> str:
    """A column type without the names of nested fields: parquet writes a list's item as
    'element' and reads it back so, whatever pandas called it ('item')."""
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return f"list<{_type_name(t.value_type)}>"
    return str(t)


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split()) or type(e).__name__
