"""Counting tables: merge shard counts, annotate functions, read merged sample sets.

Torch-free on purpose: checks and notebooks import this without paying for torch.
"""

from collections.abc import Sequence

import numpy as np
import pandas as pd

from nnbayes.core.complexity import entropy, lz_complexity
from nnbayes.core.functions import count_ids, ones_count, pack_array, unpack_ids
from nnbayes.core.io import read


def merge_counts(shards: Sequence[pd.DataFrame], n_points: int) -> pd.DataFrame:
    """Sum shard counts; annotate functions with t, entropy and C_LZ; sort by P(f) then id."""
    df = pd.concat(shards, ignore_index=True)
    if "t" in df.columns and "id_hi" not in df.columns:
        return df.groupby("t", as_index=False)["count"].sum()
    df = df.groupby(["id_hi", "id_lo"], as_index=False, sort=True)["count"].sum()
    ids = df[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64)
    df["t"] = ones_count(ids)
    df["entropy"] = entropy(df["t"].to_numpy(), n_points)
    df["clz"] = lz_complexity(unpack_ids(ids, n_points))
    df = df.sort_values(["count", "id_hi", "id_lo"], ascending=[False, True, True], kind="stable")
    return df.reset_index(drop=True)


def ones_count_distribution(table: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """P(t) for t = 0..n_points from either kind of merged table."""
    counts = table.groupby("t")["count"].sum().reindex(range(n_points + 1), fill_value=0)
    return pd.DataFrame({"t": counts.index, "count": counts.to_numpy(),
                         "p": counts.to_numpy() / counts.sum()})


def load_sets(paths: Sequence[str]) -> list[tuple[dict, pd.DataFrame]]:
    """Merged sample sets as (metadata, table) pairs; the metadata names and specs each set."""
    return [read(p)[::-1] for p in paths]


def merge_runs(shards: Sequence[pd.DataFrame], y_test: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """Per-run shard rows -> counts of the functions converged runs found on E, and a summary.

    Each function carries its number of test errors (Hamming distance to the target on E).
    Non-converged runs are not counted as functions but are reported in the summary. Runs that
    trained on after the fit (overtraining: `id_after_*` columns) count the function they ended
    on, the one the authors record; the summary keeps how many moved.
    """
    runs = pd.concat(shards, ignore_index=True)
    ok = runs[runs["converged"]]
    cols = ["id_after_hi", "id_after_lo"] if "id_after_hi" in runs else ["id_hi", "id_lo"]
    df = _with_errors(*count_ids(ok[cols].to_numpy(dtype=np.uint64)), y_test)
    summary = {
        "runs": len(runs),
        "converged": len(ok),
        "not_converged": len(runs) - len(ok),
        "epochs_median": float(np.median(ok["epochs"])) if len(ok) else None,
        "epochs_mean": float(ok["epochs"].mean()) if len(ok) else None,
        "distinct": len(df),
        "mean_test_error": _mean_error(df, len(y_test)),
    }
    if "id_after_hi" in runs:
        moved = (ok["id_after_hi"] != ok["id_hi"]) | (ok["id_after_lo"] != ok["id_lo"])
        summary["moved_after_fit"] = int(moved.sum())
    return df, summary


def merge_abi(shards: Sequence[pd.DataFrame], samples: int, y_test: np.ndarray) -> tuple[pd.DataFrame, dict]:
    """ABI shard counts -> one table like `merge_runs`'s (accepted samples play converged runs),
    and P(S) as the acceptance rate with its binomial standard error (in log, delta method)."""
    df = pd.concat(shards, ignore_index=True).groupby(["id_hi", "id_lo"], as_index=False)["count"].sum()
    df = _with_errors(df[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), df["count"].to_numpy(), y_test)
    accepted = int(df["count"].sum())
    p = accepted / samples
    summary = {"samples": samples, "accepted": accepted, "distinct": len(df),
               "log_ps": float(np.log(p)) if accepted else float("-inf"),
               "log_ps_stderr": float(np.sqrt((1 - p) / accepted)) if accepted else float("nan"),
               "mean_test_error": _mean_error(df, len(y_test))}
    return df, summary


def _with_errors(ids: np.ndarray, counts: np.ndarray, y_test: np.ndarray) -> pd.DataFrame:
    """(id, count) rows with each function's test errors (Hamming distance to the target on E),
    most frequent first."""
    errors = ones_count(ids ^ pack_array(y_test[None, :])) if len(ids) else np.zeros(0, dtype=np.int64)
    df = pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "count": counts, "errors": errors})
    df = df.sort_values(["count", "id_hi", "id_lo"], ascending=[False, True, True], kind="stable")
    return df.reset_index(drop=True)


def _mean_error(df: pd.DataFrame, n_test: int) -> float:
    return float((df["errors"] * df["count"]).sum() / max(df["count"].sum(), 1) / n_test)
