"""The row/verdict machinery every study's checks share: a checks table is a list of rows, each
the quantity, our value, the reference (theorem, the authors' number or a pre-registered
threshold), the criterion and whether it passed (None: reported, not judged)."""

import pandas as pd

Sets = list[tuple[dict, pd.DataFrame]]  # merged tables with their metadata, as `tables.load_sets` gives
Z = 4.0  # standard errors allowed for sampled estimates against a reference value


def row(check: str, value, reference="", criterion="", passed=None, note="") -> dict:
    return dict(check=check, value=value, reference=reference, criterion=criterion,
                passed=passed, note=note)


def stage(sets, name: str) -> Sets:
    return [(m, t) for m, t in sets if m.get("stage") == name]
