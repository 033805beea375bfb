"""Network sampler specs and their names: the names are file paths of sample sets, so every
study that reads a prior table derives the same name from the same spec. Pure Python (the
workflow imports it while parsing)."""

import itertools

SPEC_KEYS = ("kind", "depth", "width", "activation", "sigma_w", "sigma_b", "inputs")


def spec_name(spec: dict) -> str:
    """A readable, unique name for a sampler setting, used in file paths."""
    if spec["kind"] == "uniform":
        return "uniform"
    if spec["depth"] == 0:  # width and activation play no part in a perceptron
        return f"perceptron-sw{spec['sigma_w']:g}-sb{spec['sigma_b']:g}-{spec['inputs']}"
    return (f"{spec['activation']}-d{spec['depth']}-w{spec['width']}"
            f"-sw{spec['sigma_w']:g}-sb{spec['sigma_b']:g}-{spec['inputs']}")


def expand_grids(experiment: dict, defaults: dict) -> dict[str, dict]:
    """Every grid point of an experiment as {name: full spec}, in config order."""
    sets = {}
    for grid in experiment["grids"]:
        full = {k: grid.get(k, defaults[k]) for k in SPEC_KEYS}
        axes = [v if isinstance(v, list) else [v] for v in full.values()]
        for values in itertools.product(*axes):
            spec = dict(zip(SPEC_KEYS, values))
            if spec["kind"] == "uniform":
                spec = {"kind": "uniform"}
            sets.setdefault(spec_name(spec), spec)
    return sets
