"""One summary of every figure's checks (Markdown) and an index page linking the figures."""

import html
import os
from pathlib import Path

import pandas as pd


def verdict(passed, counted, source) -> str:
    """PASS / FAIL for judged rows; sanity rows (checks of the pipeline, not the paper) are shown
    apart and never counted as a pass; rows without a criterion are 'report'."""
    if pd.isna(passed) or passed == "":
        return "report"
    ok = str(passed) == "True"
    if source == "sanity" or str(counted) == "False":
        return "sanity ok" if ok else "sanity FAIL"
    return "PASS" if ok else "FAIL"


def conclusion(checks: pd.DataFrame) -> str:
    """The sentence under a figure, generated from its verdicts, never written by hand: each judged
    statistic with our value, its criterion and PASS/FAIL, then the count."""
    v = [verdict(*r) for r in zip(checks["passed"], checks["counted"], checks["source"])]
    judged = checks.assign(verdict=v)[[x in ("PASS", "FAIL") for x in v]]
    if judged.empty:
        return "Nothing in this figure is judged: every row is reported or a sanity check."
    lines = [f"- {r.check}: {_short(r.value)} (criterion {r.criterion}): **{r.verdict}**" for r in judged.itertuples()]
    passed = int((judged["verdict"] == "PASS").sum())
    return f"**{passed} of {len(judged)} judged statistics pass.**\n\n" + "\n".join(lines)


def _short(value) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def write_report(checks: list[str], scale: str, summary: str | Path, index: str | Path) -> None:
    df = pd.concat([pd.read_csv(c, keep_default_na=False) for c in checks], ignore_index=True)
    df["verdict"] = [verdict(*r) for r in zip(df["passed"], df["counted"], df["source"])]
    counts = df["verdict"].value_counts()
    lines = [f"# Figures: checks at scale `{scale}`", "",
             f"{counts.get('PASS', 0)} passed, {counts.get('FAIL', 0)} failed against pre-registered "
             f"criteria (workflow/criteria); {counts.get('sanity ok', 0)} sanity checks ok, "
             f"{counts.get('sanity FAIL', 0)} failed; {counts.get('report', 0)} reported without a criterion.", ""]
    for fig, rows in df.groupby("figure", sort=False):
        lines += [f"## {fig}", "", f"![{fig}](../figures/{fig}.png)", "",
                  rows.drop(columns=["figure", "passed", "counted"]).to_markdown(index=False), ""]
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
