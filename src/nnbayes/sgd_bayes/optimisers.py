"""The image half of arXiv 2006.15191 (issue 17): P_opt against P_B per task, per optimiser and
before/after overtraining.

A figure reading several tasks gets their tables merged; `by_task` splits them again by the
(data, net) pair every stage records, so each task is judged by the same rows as figs 6/7.
The optimiser sweep summarises one task's variants by the headline's closeness (decades, slope)
and their test error against the GP's; overtraining pairs a variant trained `epochs_after_fit`
more epochs after fitting S with the variant that is the same but stops at the fit.
"""

import json

import numpy as np
import pandas as pd

from nnbayes.core.checks import Sets, stage, stat
from nnbayes.sgd_bayes import agreement
from nnbayes.sgd_bayes.checks import joined, mean_error_ci, sgd_vs_bayes


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


def images(sets: Sets) -> list[dict]:
    """Fig 13: every image task (dataset x architecture) judged like figs 6/7, plus how far the
    two-stage route moves P_B where the full EP on S u E also ran."""
    rows = []
    for task, group in by_task(sets).items():
        rows += sgd_vs_bayes(group)
        (pmeta, scores), = stage(group, "posterior")
        if "log_pb_full" in scores:
            gap = (scores["log_pb_ep"] - scores["log_pb_full"]).abs()
            rows.append(stat("fig13_images/two_stage_gap", float(gap.median()), instance=task, n=len(gap),
                             note=f"max {gap.max():.3f} nats; P_B route {pmeta['route']}"))
    return rows


def closeness(meta: dict, train: pd.DataFrame, scores: pd.DataFrame, min_count: int) -> dict:
    """One variant's closeness to P_B (agreement.decades / slope) over functions found >= min_count
    times, and its mean test error with a bootstrap interval."""
    n_runs = max(meta["converged"], 1)
    d = joined(train, meta, scores)
    d = d[d["count"] >= min_count].reset_index(drop=True)
    dec = agreement.decades(d, n_runs) if len(d) else (float("nan"),) * 3
    b, se = agreement.slope(d, n_runs) if len(d) > 1 else (float("nan"), float("nan"))
    return {"n": len(d), "decades": dec, "slope": (b, se), "error": mean_error_ci(train, meta["n_test"])}


def _variant(meta: dict) -> str:
    return meta["name"].split("/", 1)[1]


def optimiser_sweep(sets: Sets) -> list[dict]:
    """Fig 14: per optimiser variant, the gap to P_B in decades, the slope, and the mean test error
    against the GP's predicted one; the spread of the gaps across optimisers."""
    (pmeta, scores), = stage(sets, "posterior")
    (emeta, _), = stage(sets, "gp_errors")
    g, gp_error, gaps = "fig14_optimisers", emeta["mean_test_error"], []
    rows = []
    for meta, train in stage(sets, "train"):
        c, v = closeness(meta, train, scores, pmeta["options"]["min_count"]), _variant(meta)
        (dec, lo, hi), (b, se), (err, elo, ehi) = c["decades"], c["slope"], c["error"]
        gaps.append(dec)
        rows += [stat(f"{g}/decades", dec, instance=v, n=c["n"], note=f"95% CI [{lo:.3f}, {hi:.3f}]"),
                 stat(f"{g}/slope", b, instance=v, se=se, n=c["n"], note=f"bootstrap SE {se:.3f}"),
                 stat(f"{g}/mean_test_error", err, instance=v, note=f"95% CI [{elo:.4f}, {ehi:.4f}]"),
                 stat(f"{g}/error_gap", err - gp_error, instance=v, note=f"GP {gp_error:.4f}")]
    finite = [x for x in gaps if np.isfinite(x)]
    spread = max(finite) - min(finite) if len(finite) > 1 else float("nan")
    return rows + [stat(f"{g}/decades_spread", spread, n=len(finite))]


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


def overtraining(sets: Sets) -> list[dict]:
    """Fig 15: closeness to P_B before and after overtraining, how far the function distribution
    moved (TV), and the change of the mean test error."""
    (pmeta, scores), = stage(sets, "posterior")
    g, min_count, rows = "fig15_overtraining", pmeta["options"]["min_count"], []
    for (mb, tb), (ma, ta) in overtrained_pairs(stage(sets, "train")):
        cb, ca = (closeness(m, t, scores, min_count) for m, t in ((mb, tb), (ma, ta)))
        pair = f"{_variant(mb)} -> {_variant(ma)}"
        for when, m, c in (("before", mb, cb), ("after", ma, ca)):
            dec, lo, hi = c["decades"]
            rows.append(stat(f"{g}/decades", dec, instance=f"{_variant(m)} ({when})", n=c["n"],
                             note=f"95% CI [{lo:.3f}, {hi:.3f}]"))
        tv = total_variation(tb, mb["converged"], ta, ma["converged"], min_count)
        rows.append(stat(f"{g}/tv_before_after", tv, instance=pair))
        rows.append(stat(f"{g}/mean_error_change", ca["error"][0] - cb["error"][0], instance=pair,
                         note=f"before {cb['error'][0]:.4f}, after {ca['error'][0]:.4f}"))
    return rows
