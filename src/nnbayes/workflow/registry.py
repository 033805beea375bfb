"""Every study's figures (their `figures.FIGURES`), by name: the workflow builds each figure's
rules from here, `nnbayes checks` judges through it and each notebook draws through it."""

import importlib
from functools import cache

import pandas as pd

from nnbayes.core.figure import Figure, Paths, load_inputs
from nnbayes.core.plotting import save_figure
from nnbayes.workflow.criteria import judged

STUDIES = ("prior", "sgd_bayes", "qnn", "meanfield", "ensemble", "occam")


@cache
def all_figures() -> tuple[Figure, ...]:
    """Every figure, study by study in report order; names are unique."""
    figures = tuple(f for s in STUDIES for f in importlib.import_module(f"nnbayes.{s}.figures").FIGURES)
    names = [f.name for f in figures]
    if len(set(names)) != len(names):
        raise ValueError(f"figure names declared twice: {sorted({n for n in names if names.count(n) > 1})}")
    return figures


def figure(name: str) -> Figure:
    by_name = {f.name: f for f in all_figures()}
    if name not in by_name:
        raise ValueError(f"figure {name!r} is not one of {sorted(by_name)}")
    return by_name[name]


def figure_checks(name: str, inputs: Paths, criteria: dict[str, dict], scale: str) -> pd.DataFrame:
    """The checks table of one figure: its statistics from its named input tables, each judged by
    its pre-registered criterion at this scale (workflow.criteria)."""
    return judged(name, figure(name).checks(load_inputs(inputs)), criteria, scale)


def draw(name: str, inputs: Paths, stamp: str, png: str, pdf: str):
    """Plot one figure from its named input tables and save it stamped (the notebook's one call)."""
    fig = figure(name).plot(load_inputs(inputs))
    save_figure(fig, stamp, png, pdf)
    return fig
