"""What every study's checks share. A figure's checks compute statistics and judge nothing:
each `stat` names its pre-registered criterion by key (workflow/criteria/<study>.yaml), gives our
value and what the criterion may need (a standard error, a count), and the workflow judges it
(core.criteria)."""

import pandas as pd

Sets = list[tuple[dict, pd.DataFrame]]  # merged tables with their metadata, as `tables.load_sets` gives
Z = 4.0  # standard errors allowed for sampled estimates against a reference value


def stat(key: str, value, *, instance: str = "", se: float | None = None, n: int | None = None,
         note: str = "") -> dict:
    """One statistic a figure is judged by. `key` (figure/quantity) names its criterion; `instance`
    tells apart the rows one key gives (a setting, a task); `se` and `n` feed rules that use them."""
    return dict(key=key, instance=instance, value=value, se=se, n=n, note=note)


def stage(sets, name: str) -> Sets:
    return [(m, t) for m, t in sets if m.get("stage") == name]
