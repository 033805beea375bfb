"""Judging a statistic against its pre-registered criterion.

A study's checks compute statistics (`core.checks.stat`: a key, our value and what the criterion
may need, such as a standard error or a count) and judge nothing themselves. Criteria are fixed
in workflow/criteria/<study>.yaml before the data they judge, each with its source; this module
turns one criterion's rule and one statistic into (criterion text, passed). A rule is a small
vocabulary, so every criterion reads the same way in the file and in the tables:

    {op: "==" | "<" | "<=" | ">" | ">=", value: x}
    {op: within, value: ref, tol: a, z: k, rel: r}  |v - ref| <= max(a, k * se, r * |ref|)
    {op: between, value: [lo, hi]}
    {op: increasing | decreasing | nondecreasing}    over a list of values
    {op: reported}                                    shown, never judged
    min_n: k (any rule)                               reported, not judged, when n < k
"""

import math
from collections.abc import Sequence

OPS = ("==", "<", "<=", ">", ">=", "within", "between", "increasing", "decreasing", "nondecreasing",
       "reported")
COMPARE = {"==": lambda v, x: v == x, "<": lambda v, x: v < x, "<=": lambda v, x: v <= x,
           ">": lambda v, x: v > x, ">=": lambda v, x: v >= x}


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _monotone(op: str, values: Sequence[float]) -> bool:
    steps = [b - a for a, b in zip(values, values[1:])]
    if op == "increasing":
        return all(s > 0 for s in steps)
    if op == "decreasing":
        return all(s < 0 for s in steps)
    return all(s >= 0 for s in steps) and values[-1] > values[0]


def tolerance(rule: dict, se: float | None) -> float:
    """Half-width of a `within` window: the largest of the absolute, z * SE and relative parts."""
    parts = [rule.get("tol", 0.0), rule.get("rel", 0.0) * abs(rule["value"])]
    if "z" in rule:
        if se is None or not math.isfinite(se):
            raise ValueError("a 'within' rule with z needs the statistic's standard error (se)")
        parts.append(rule["z"] * se)
    return max(parts)


def describe(rule: dict, se: float | None = None) -> str:
    """The criterion as the tables print it."""
    op = rule["op"]
    if op in COMPARE:
        return f"{op} {rule['value']:g}" if isinstance(rule["value"], float) else f"{op} {rule['value']}"
    if op == "within":
        return f"within {tolerance(rule, se):.4g} of {rule['value']:g}"
    if op == "between":
        lo, hi = rule["value"]
        return f"in [{lo:g}, {hi:g}]"
    if op == "reported":
        return "reported"
    return {"increasing": "increasing", "decreasing": "decreasing",
            "nondecreasing": "non-decreasing, last > first"}[op]


def judge(rule: dict, value, se: float | None = None, n: int | None = None) -> tuple[str, bool | None]:
    """(criterion text, passed); passed is None when the rule only reports. A value that is not a
    finite number (or list) fails a judged rule: a statistic that could not be computed is a miss."""
    op = rule["op"]
    if op not in OPS:
        raise ValueError(f"criterion op {op!r} is not one of {list(OPS)}")
    if op == "reported":
        return "reported", None
    if "min_n" in rule and (n is None or n < rule["min_n"]):
        return f"reported (n = {n} < {rule['min_n']})", None
    text = describe(rule, se)
    if op in ("increasing", "decreasing", "nondecreasing"):
        ok = isinstance(value, (list, tuple)) and len(value) > 1 and all(map(_finite, value))
        return text, bool(ok and _monotone(op, list(value)))
    if not _finite(value):
        return text, False
    if op in COMPARE:
        return text, bool(COMPARE[op](value, rule["value"]))
    if op == "within":
        return text, bool(abs(value - rule["value"]) <= tolerance(rule, se))
    lo, hi = rule["value"]
    return text, bool(lo <= value <= hi)
