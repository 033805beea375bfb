"""One summary of every figure's checks (Markdown) and an index page linking the figures."""

import html
import os
from pathlib import Path

import pandas as pd


def _verdict(passed) -> str:
    if pd.isna(passed) or passed == "":
        return "report"
    return "PASS" if str(passed) == "True" else "FAIL"


def write_report(checks: list[str], scale: str, summary: str | Path, index: str | Path) -> None:
    df = pd.concat([pd.read_csv(c, keep_default_na=False) for c in checks], ignore_index=True)
    df["verdict"] = df["passed"].map(_verdict)
    counts = df["verdict"].value_counts()
    lines = [f"# Figures: checks at scale `{scale}`", "",
             f"{counts.get('PASS', 0)} passed, {counts.get('FAIL', 0)} failed, "
             f"{counts.get('report', 0)} reported without a criterion.", ""]
    for fig, rows in df.groupby("figure", sort=False):
        lines += [f"## {fig}", "", f"![{fig}](../figures/{fig}.png)", "",
                  rows.drop(columns=["figure", "passed"]).to_markdown(index=False), ""]
    Path(summary).write_text("\n".join(lines))
    root = Path(index).parent
    items = []
    for fig, rows in df.groupby("figure", sort=False):
        v = rows["verdict"].value_counts()
        items.append(f'<li><a href="notebooks/{fig}.html">{fig}</a> '
                     f'(<a href="figures/{fig}.png">png</a>, <a href="figures/{fig}.pdf">pdf</a>): '
                     f'{v.get("PASS", 0)} pass, {v.get("FAIL", 0)} fail</li>')
    rel = os.path.relpath(summary, root)
    Path(index).write_text(f"<!doctype html><title>nnbayes {html.escape(scale)}</title>"
                           f"<h1>nnbayes figures, scale {html.escape(scale)}</h1><ul>{''.join(items)}</ul>"
                           f'<p><a href="{html.escape(rel)}">checks summary</a></p>')
