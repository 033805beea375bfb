"""The figures' checks, found by study: each study's `checks` module maps its figure names to
functions of the loaded tables (FIGURE_CHECKS)."""

import importlib
from collections.abc import Sequence

import pandas as pd

from nnbayes.core.tables import load_sets


def figure_checks(module: str, figure: str, tables: Sequence[str]) -> pd.DataFrame:
    """The checks table of one figure: `module` (e.g. nnbayes.sgd_bayes.checks) maps figure
    names to functions of the loaded tables in its FIGURE_CHECKS."""
    registry = importlib.import_module(module).FIGURE_CHECKS
    if figure not in registry:
        raise ValueError(f"figure {figure!r} is not one of {list(registry)} in {module}")
    df = pd.DataFrame(registry[figure](load_sets(tables)))
    df.insert(0, "figure", figure)
    return df
