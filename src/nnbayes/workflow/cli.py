"""`nnbayes <command> --flags`: the one entry point every rule calls.

Each study keeps its commands in its own `cli` module (`add_commands(sub)` adds its subparsers,
heavy imports stay inside the handlers); this module gathers them and adds the workflow's own
(checks, render, report). Nothing here reads config.yaml.
"""

import argparse
import importlib
import sys
from pathlib import Path

from nnbayes.core.errors import UserError

COMMAND_MODULES: tuple[str, ...] = tuple(f"nnbayes.{s}.cli" for s in (
    "data", "prior", "sgd_bayes", "qnn", "meanfield", "ensemble", "occam"))


def _checks(a):
    import json

    from nnbayes.workflow.criteria import load
    from nnbayes.workflow.registry import figure_checks

    df = figure_checks(a.figure, json.loads(a.inputs), load(a.criteria), a.scale)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(a.out, index=False)
    print(df.to_string(index=False))


def _render(a):
    from nnbayes.workflow.notebook import render

    render(a.notebook, a.executed, a.html, {name: values for name, *values in a.p})


def _report(a):
    from nnbayes.workflow.report import write_report

    write_report(a.checks, a.scale, a.summary, a.index)


def _workflow_commands(sub) -> None:
    s = sub.add_parser("checks", help="the numbers a figure is judged by")
    s.add_argument("--figure", required=True, help="figure name (its study's figures.FIGURES)")
    s.add_argument("--inputs", required=True, help="JSON {input name: [tables]}")
    s.add_argument("--criteria", required=True, help="the study's pre-registered criteria (workflow/criteria/<study>.yaml)")
    s.add_argument("--scale", required=True, help="the scale whose criteria apply")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_checks)

    s = sub.add_parser("render", help="run a jupytext notebook with papermill, export HTML")
    s.add_argument("notebook")
    s.add_argument("--executed", required=True, help="executed .ipynb (kept on failure)")
    s.add_argument("--html", required=True)
    s.add_argument("-p", nargs="+", action="append", default=[], metavar=("NAME", "VALUE"),
                   help="parameter: NAME VALUE [VALUE ...]")
    s.set_defaults(func=_render)

    s = sub.add_parser("report", help="summary of every figure's checks + an index page")
    s.add_argument("--scale", required=True)
    s.add_argument("--summary", required=True)
    s.add_argument("--index", required=True)
    s.add_argument("checks", nargs="+")
    s.set_defaults(func=_report)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nnbayes", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    _workflow_commands(sub)
    return p


def handler(command: str) -> tuple[str, str]:
    """(module, function name) of the handler that runs `nnbayes <command>`: what a rule's code
    inputs are derived from (`code_deps`)."""
    sub = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    if command not in sub.choices:
        raise ValueError(f"nnbayes command {command!r} is not one of {sorted(sub.choices)}")
    func = sub.choices[command].get_default("func")
    return func.__module__, func.__name__


def main(argv: list[str] | None = None) -> None:
    """Run one command; a user's mistake (UserError) is one line on stderr, a bug a traceback."""
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as e:  # the user's to fix (a config value, a file): one line, exit 2
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(main())
