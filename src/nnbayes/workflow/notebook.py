"""Run a jupytext (percent .py) notebook with papermill and export it to HTML.

The one way figures are rendered: parameters are checked against the notebook's tagged
`parameters` cell (papermill itself only warns on an unknown name, so a typo in a rule
would silently plot the defaults), the kernel is the running environment's, the executed
notebook is kept even when a cell fails, and the HTML is the same bytes for the same inputs.
"""

import os
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill
from nbconvert import HTMLExporter


def notebook_parameters(nb_path: str | Path) -> dict[str, dict]:
    """Declared parameters of an .ipynb: name -> papermill's inferred type/default."""
    return papermill.inspect_notebook(str(nb_path))


def coerce(name: str, values: list[str], declared: dict) -> object:
    """One value -> str; a parameter whose default is a list takes every value given."""
    is_list = declared["default"].strip().startswith("[") or "list" in str(declared["inferred_type_name"])
    if is_list:
        return list(values)
    if len(values) != 1:
        raise ValueError(f"notebook parameter {name!r} takes one value, got {len(values)}")
    return values[0]


def render(notebook: str | Path, executed: str | Path, html: str | Path, params: dict[str, list[str]]) -> None:
    """Execute `notebook` with `params` (all names must be declared), write .ipynb and HTML."""
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    nb = jupytext.read(notebook)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, cell in enumerate(nb.cells):  # stable ids: jupytext draws random ones
        cell["id"] = f"cell-{i}"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (Path(notebook).stem + ".ipynb")
        nbformat.write(nb, src)
        declared = notebook_parameters(src)
        unknown = sorted(set(params) - set(declared))
        if unknown:
            raise ValueError(f"{notebook}: unknown parameter(s) {unknown}; declared: {sorted(declared)}")
        missing = sorted(n for n, d in declared.items() if d["default"] == "None" and n not in params)
        if missing:
            raise ValueError(f"{notebook}: parameter(s) {missing} have no default and were not given")
        values = {n: coerce(n, v, declared[n]) for n, v in params.items()}
        Path(executed).parent.mkdir(parents=True, exist_ok=True)
        papermill.execute_notebook(str(src), str(executed), parameters=values, kernel_name="python3",
                                   cwd=os.getcwd(), progress_bar=False)
    done = nbformat.read(executed, 4)
    for i, cell in enumerate(done.cells):  # papermill gives its injected-parameters cell a random id
        cell["id"] = f"cell-{i}"
    body, _ = HTMLExporter(exclude_input=True, embed_images=True).from_notebook_node(done)
    Path(html).parent.mkdir(parents=True, exist_ok=True)
    Path(html).write_text(body)
