"""The figure registry: each figure declared once (its study's figures.py), with a thin notebook
that draws through it, inputs that exist at every scale, and misplaced tables refused."""

import ast

import pandas as pd
import pytest

from conftest import REPO
from nnbayes.core.figure import load_inputs
from nnbayes.core.io import write_table
from nnbayes.workflow.config import resolve
from nnbayes.workflow.registry import STUDIES, all_figures, figure

import yaml


def notebook_figure(path) -> str:
    """The FIGURE name a notebook draws (its one assignment of that name)."""
    tree = ast.parse(path.read_text())
    names = [n.value.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
             and any(getattr(t, "id", None) == "FIGURE" for t in n.targets)]
    assert len(names) == 1, path
    return names[0]


def test_every_figure_has_one_thin_notebook_in_its_study_and_back():
    declared = {(f.study, f.name) for f in all_figures()}
    notebooks = {(p.parent.name, p.stem) for p in (REPO / "notebooks").rglob("*.py")}
    assert declared == notebooks
    for study, name in notebooks:
        assert notebook_figure(REPO / "notebooks" / study / f"{name}.py") == name


def test_checks_and_plot_come_from_the_figures_own_study():
    for f in all_figures():
        assert f.study in STUDIES
        assert f.checks.__module__ == f"nnbayes.{f.study}.checks", f.name
        assert f.plot.__module__ == f"nnbayes.{f.study}.plots", f.name
        assert f.caption.startswith("# ") and len(f.caption.splitlines()) >= 2, f.name


@pytest.mark.parametrize("scale", ["smoke", "default", "paper", "headline"])
def test_every_figure_reads_named_non_empty_inputs_at_every_scale(scale):
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    cfg = resolve({**cfg, "scale": scale}, REPO / "workflow/schemas/config.schema.yaml")
    for f in all_figures():
        inputs = f.inputs(cfg)
        assert inputs and all(isinstance(v, list) and v for v in inputs.values()), (f.name, inputs)
        assert all(p.endswith(".parquet") and not p.startswith("/") for v in inputs.values() for p in v)
        f.config(cfg)  # the stamp's config subtree resolves


def test_unknown_figure_is_refused_with_the_names():
    with pytest.raises(ValueError, match="fig6_sgd_vs_bayes"):
        figure("fig6_sgd_vs_bayse")


def test_a_table_given_as_the_wrong_input_is_refused(tmp_path):
    df = pd.DataFrame({"x": [1]})
    write_table(df, tmp_path / "post.parquet", {"stage": "posterior"})
    write_table(df, tmp_path / "train.parquet", {"stage": "train"})
    sets = load_inputs({"train": [str(tmp_path / "train.parquet")], "posterior": [str(tmp_path / "post.parquet")]})
    assert [m["stage"] for m, _ in sets] == ["train", "posterior"]
    with pytest.raises(ValueError, match="a 'posterior' table given as input 'train'"):
        load_inputs({"train": [str(tmp_path / "post.parquet")]})
