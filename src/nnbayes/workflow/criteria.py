"""The pre-registered criteria (workflow/criteria/<study>.yaml) and the judging of a figure's
statistics against them.

Each entry: `statistic` (what is measured), `rule` (core.criteria's vocabulary; one rule, or one
per scale), `source` (theorem | authors | preregistered | sanity, with its reference: the
authors' number and error, or the commit that fixed a threshold) and `rationale`. A `sanity`
row is shown but never counted as a PASS: it checks the pipeline, not the paper.
"""

from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import yaml

from nnbayes.core.criteria import judge

JUDGED_AS = {"headline": "paper"}  # the headline preset runs Figure 1 at the paper's counts
COLUMNS = ["figure", "id", "check", "value", "reference", "criterion", "passed", "counted", "source", "note"]


def load(path: str | Path) -> dict[str, dict]:
    """One study's criteria file, validated against the schema beside it."""
    path = Path(path)
    schema = yaml.safe_load((path.parent / "criteria.schema.yaml").read_text())
    entries = yaml.safe_load(path.read_text()) or {}
    err = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(entries))
    if err is not None:
        raise ValueError(f"{path}: {'.'.join(map(str, err.absolute_path)) or '<top>'}: {err.message}")
    return entries


def load_all(folder: str | Path) -> dict[str, dict]:
    """Every study's criteria (workflow/criteria/<study>.yaml); a key may be declared only once."""
    criteria: dict[str, dict] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        if path.name in ("criteria.schema.yaml", "known_findings.yaml"):
            continue
        entries = load(path)
        twice = sorted(set(entries) & set(criteria))
        if twice:
            raise ValueError(f"{path}: criteria declared twice: {twice}")
        criteria.update(entries)
    return criteria


def resolved(criterion: dict, instance: str, scale: str) -> tuple[dict, dict]:
    """(rule, source) for one row: the instance's override if it has one, the rule at this scale."""
    scale = JUDGED_AS.get(scale, scale)
    override = criterion.get("instances", {}).get(instance, {})
    rule = override.get("rule", criterion["rule"])
    return (rule[scale] if scale in rule else rule), override.get("source", criterion["source"])


def reference(source: dict, rule: dict) -> str:
    value = source.get("value", rule["value"] if rule["op"] == "within" else "")
    err = f" +- {source['error']}" if "error" in source else ""
    return f"{value}{err} ({source['ref']})" if value != "" else source["ref"]


def judged(figure: str, rows: list[dict], criteria: dict[str, dict], scale: str) -> pd.DataFrame:
    """A figure's checks table: each statistic with its criterion, verdict and source. A row
    whose key has no criterion is an error: nothing is judged by a rule not written down."""
    out = []
    for r in rows:
        if r["key"] not in criteria:
            raise ValueError(f"{figure}: statistic {r['key']!r} has no criterion in workflow/criteria")
        c = criteria[r["key"]]
        rule, source = resolved(c, r["instance"], scale)
        se = r["se"] if "error" not in source else float(np.hypot(r["se"] or 0.0, source["error"]))
        text, passed = judge(rule, r["value"], se=se, n=r["n"])
        value = r["value"] if not isinstance(r["value"], (list, tuple)) else str([round(v, 4) for v in r["value"]])
        out.append({"figure": figure, "id": r["key"] + (f"[{r['instance']}]" if r["instance"] else ""),
                    "check": c["statistic"] + (f" ({r['instance']})" if r["instance"] else ""),
                    "value": value, "reference": reference(source, rule), "criterion": text, "passed": passed,
                    "counted": passed is not None and source["kind"] != "sanity",
                    "source": source["kind"], "note": r["note"]})
    return pd.DataFrame(out, columns=COLUMNS)
