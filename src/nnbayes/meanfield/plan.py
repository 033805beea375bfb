"""The mean-field stage's job plan from config: which (P, kappa) points run which methods, and
the cross-references the schema cannot check. Torch-free: the workflow imports it at parse time.
"""

from nnbayes.core.errors import ConfigError


def point_name(P: int, kappa: float) -> str:
    return f"P{P}-kappa{kappa:g}"


def grid_points(task: dict) -> dict[str, dict]:
    """{name: {P, kappa, methods}} for one task: every (P, kappa) of its grid runs `methods`;
    points on the learning curve (kappa = curve.kappa) add `curve_methods`, points on the kappa
    slice (P = curve.P) add `slice_methods`. One job per point (the shard the cluster spreads)."""
    points = {}
    for kappa in task["kappa"]:
        for P in task["P"]:
            methods = list(task["methods"])
            if kappa == task["curve"]["kappa"]:
                methods += [m for m in task["curve_methods"] if m not in methods]
            if P == task["curve"]["P"]:
                methods += [m for m in task["slice_methods"] if m not in methods]
            points[point_name(P, kappa)] = {"P": P, "kappa": kappa, "methods": methods}
    return points


def check_references(config: dict) -> None:
    """Slices must lie on their task's grid; step-size control must name a grid point; every
    run must keep draws after burn-in; a target needs k <= d (and a degree for single_index)."""
    mf = config["meanfield"]
    for name, task in mf["tasks"].items():
        key = f"meanfield.tasks.{name}"
        t = task["target"]
        if t["k"] > t["d"]:
            raise ConfigError(f"config key '{key}.target.k': {t['k']} exceeds d = {t['d']}")
        if t["kind"] == "single_index" and "degree" not in t:
            raise ConfigError(f"config key '{key}.target.degree': required for kind single_index")
        for axis, values in (("kappa", task["kappa"]), ("P", task["P"])):
            if task["curve"][axis] not in values:
                raise ConfigError(f"config key '{key}.curve.{axis}': {task['curve'][axis]!r} is not one "
                                  f"of {values}")
    for block in ("sgld", "mf"):
        if mf[block]["burn_in"] >= mf[block]["steps"]:
            raise ConfigError(f"config key 'meanfield.{block}.burn_in': {mf[block]['burn_in']} leaves no "
                              f"draws out of steps = {mf[block]['steps']}")
    sc = mf["step_control"]
    if sc["task"] not in mf["tasks"]:
        raise ConfigError(f"config key 'meanfield.step_control.task': {sc['task']!r} is not one of "
                          f"{sorted(mf['tasks'])}")
    task = mf["tasks"][sc["task"]]
    for axis in ("P", "kappa"):
        if sc[axis] not in task[axis]:
            raise ConfigError(f"config key 'meanfield.step_control.{axis}': {sc[axis]!r} is not one of "
                              f"{task[axis]}")
