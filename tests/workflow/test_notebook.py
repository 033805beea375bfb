"""The render wrapper: unknown or missing parameters fail before running; lists pass through."""

import json

import pytest

from nnbayes.workflow.notebook import render

NB = '''# %% tags=["parameters"]
paths: list = []  # inputs
out = None  # required
title = "t"  # optional

# %%
import json, pathlib
pathlib.Path(out).write_text(json.dumps({"paths": paths, "title": title}))
'''


@pytest.fixture
def nb(tmp_path):
    path = tmp_path / "nb.py"
    path.write_text(NB)
    return path


def test_renders_with_list_and_scalar_parameters(nb, tmp_path):
    out = tmp_path / "out.json"
    render(nb, tmp_path / "x.ipynb", tmp_path / "x.html", {"paths": ["a"], "out": [str(out)]})
    assert json.loads(out.read_text()) == {"paths": ["a"], "title": "t"}
    assert "<html" in (tmp_path / "x.html").read_text()


def test_unknown_parameter_fails_before_running(nb, tmp_path):
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['titel'\]"):
        render(nb, tmp_path / "x.ipynb", tmp_path / "x.html", {"out": ["o"], "titel": ["x"]})
    assert not (tmp_path / "x.ipynb").exists()


def test_missing_required_parameter_fails(nb, tmp_path):
    with pytest.raises(ValueError, match=r"\['out'\] have no default"):
        render(nb, tmp_path / "x.ipynb", tmp_path / "x.html", {"paths": ["a"]})


def test_scalar_parameter_takes_one_value(nb, tmp_path):
    with pytest.raises(ValueError, match="takes one value"):
        render(nb, tmp_path / "x.ipynb", tmp_path / "x.html", {"out": ["a", "b"]})


def test_rendering_twice_gives_the_same_html(nb, tmp_path):
    """papermill draws a random id for the cell it injects; the HTML must not carry it."""
    html = []
    for run in ("a", "b"):
        render(nb, tmp_path / f"{run}.ipynb", tmp_path / f"{run}.html", {"paths": ["p"], "out": [str(tmp_path / "o")]})
        html.append((tmp_path / f"{run}.html").read_bytes())
    assert b"injected-parameters" in html[0] and html[0] == html[1]
