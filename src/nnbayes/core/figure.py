"""A figure, declared once in its study's `figures.py`: its name, what it shows (caption), the
tables it reads as named inputs, the config it depends on, the function that judges it and the
function that draws it. The workflow builds its two rules from this (figures.smk), the notebook
draws through it and the report takes its caption, so no other place names a figure's parts.

Inputs are named groups of tables (paths relative to results/<scale>/). A table that records
the stage that wrote it must sit in the group of that name: a file wired to the wrong input is
refused, not plotted.
"""

from collections.abc import Callable
from dataclasses import dataclass

from nnbayes.core.checks import Sets
from nnbayes.core.tables import load_sets

Paths = dict[str, list[str]]  # input name -> tables, relative to results/<scale>/


@dataclass(frozen=True)
class Figure:
    name: str
    caption: str  # what is plotted, in Markdown (notebook title cell and report caption)
    inputs: Callable[[dict], Paths]  # config -> named tables
    config: Callable[[dict], object]  # config -> the subtree the figure depends on (its stamp)
    checks: Callable[[Sets], list[dict]]  # loaded tables -> rows (core.checks.row)
    plot: Callable[[Sets], object]  # loaded tables -> matplotlib Figure

    @property
    def study(self) -> str:
        """The study package that judges it (nnbayes.<study>.checks)."""
        return self.checks.__module__.split(".")[1]


def load_inputs(paths: Paths) -> Sets:
    """Every named input's tables with their metadata, in declaration order; refuses a table whose
    recorded stage is not the input it was given as."""
    sets = []
    for name, group in paths.items():
        for path, (meta, table) in zip(group, load_sets(group)):
            if meta.get("stage", name) != name:
                raise ValueError(f"{path}: a '{meta['stage']}' table given as input '{name}'")
            sets.append((meta, table))
    return sets
