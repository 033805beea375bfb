"""How the image figures (issue 17) split and pair their run sets: by task (two tasks may share
their data and differ in the net), and each overtrained variant with its stop-at-fit twin; and
how far two run sets' function frequencies are apart (total variation)."""

import json

import pandas as pd

from nnbayes.core.checks import Sets, stage


def _key(meta: dict) -> str:
    return json.dumps([meta["task"], meta["net"]], sort_keys=True)


def by_task(sets: Sets) -> dict[str, Sets]:
    """The sets of each task (named by its training tables), in the order the tasks come."""
    names = {}
    for meta, _ in stage(sets, "train"):
        names.setdefault(_key(meta), meta["name"].split("/")[0])
    groups: dict[str, Sets] = {name: [] for name in names.values()}
    for meta, table in sets:
        groups[names[_key(meta)]].append((meta, table))
    return groups


def _settings(meta: dict) -> str:
    """A run set's task, net and optimiser settings without overtraining: twins share it."""
    return _key(meta) + json.dumps({k: x for k, x in meta["variant"].items() if k != "epochs_after_fit"}, sort_keys=True)


def overtrained_pairs(train: Sets) -> list[tuple[tuple[dict, pd.DataFrame], tuple[dict, pd.DataFrame]]]:
    """(before, after) pairs: each variant with epochs_after_fit > 0 and the variant of the same
    task with the same settings that stops at the fit."""
    plain = {_settings(m): (m, t) for m, t in train if not m["variant"].get("epochs_after_fit")}
    pairs = []
    for m, t in train:
        if m["variant"].get("epochs_after_fit"):
            if _settings(m) not in plain:
                raise ValueError(f"{m['name']}: no variant of the task trains the same without overtraining")
            pairs.append((plain[_settings(m)], (m, t)))
    return pairs


def total_variation(a: pd.DataFrame, na: int, b: pd.DataFrame, nb: int, min_count: int) -> float:
    """TV distance between two runs' function frequencies over the functions either found >= min_count
    times, the rest lumped into one 'other' cell (so rare functions do not inflate it by noise)."""
    d = a[["id_hi", "id_lo", "count"]].merge(b[["id_hi", "id_lo", "count"]], on=["id_hi", "id_lo"],
                                             how="outer", suffixes=("_a", "_b")).fillna(0)
    keep = (d["count_a"] >= min_count) | (d["count_b"] >= min_count)
    pa, pb = d.loc[keep, "count_a"] / max(na, 1), d.loc[keep, "count_b"] / max(nb, 1)
    return float(0.5 * ((pa - pb).abs().sum() + abs((1 - pa.sum()) - (1 - pb.sum()))))
