"""What the user set on top of config.yaml (`--configfile`, `--config`), so it can be merged after
the scale preset: the user's value is the one that runs.

Snakemake reads `--config 'prior={batch: 512}'` with YAML's base loader, so nested values arrive
as strings; they are given the type the schema asks for here.
"""

import copy

import jsonschema
import yaml


def deep_merge(base: dict, over: dict) -> dict:
    """`over` merged into a copy of `base`: dicts recurse, everything else (lists too) replaces."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def differing(over: dict, base: dict) -> dict:
    """The leaves of `over` whose value is not `base`'s at the same key: config.yaml itself, or an
    edited copy of it, passed as a --configfile overrides only what it changes."""
    out = {}
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            sub = differing(v, base[k])
            if sub:
                out[k] = sub
        elif k not in base or base[k] != v:
            out[k] = copy.deepcopy(v)
    return out


def leaf_keys(tree: dict, prefix: str = "") -> list[str]:
    """Dotted keys of every leaf (a list is a leaf), in order."""
    keys = []
    for k, v in tree.items():
        key = f"{prefix}{k}"
        keys += leaf_keys(v, f"{key}.") if isinstance(v, dict) and v else [key]
    return keys


def overridden_keys(overrides: dict) -> list[str]:
    """The keys the user set over the preset, as the log and the figure stamps list them: the
    scale (which the stamp names anyway) and edits of the presets themselves aside."""
    return [k for k in leaf_keys(overrides) if k != "scale" and not k.startswith("presets.")]


def _members(root: dict, node: dict, key: str | None) -> list[dict]:
    """The schemas member `key` of a dict (None: an item of a list) may be checked against: one
    per oneOf/anyOf branch that has it. `$ref`s are local ("#/...")."""
    while "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    found = [s for b in node.get("oneOf", []) + node.get("anyOf", []) for s in _members(root, b, key)]
    sub = node.get("items") if key is None else node.get("properties", {}).get(key, node.get("additionalProperties"))
    return found + [sub] if isinstance(sub, dict) else found


def coerce(value, node: dict, schema: jsonschema.protocols.Validator):
    """`value` with each string leaf read as YAML where the schema (`node`, within the validator's
    schema) accepts the typed reading: '512' -> 512, 'null' -> None, while '0101' for a bit string
    (a YAML integer, which the schema refuses there) stays a string."""
    if isinstance(value, (dict, list)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        out = {}
        for k, v in items:
            nodes = _members(schema.schema, node, k if isinstance(value, dict) else None)
            out[k] = coerce(v, {"anyOf": nodes}, schema) if nodes else v
        return out if isinstance(value, dict) else list(out.values())
    if not isinstance(value, str):
        return value
    check = schema.evolve(schema=node)
    return next((typed for typed in _readings(value) if check.is_valid(typed)), value)


def _readings(text: str):
    """Typed readings of a string: YAML's, then a float ('1e-3', which YAML 1.1 leaves a string)."""
    try:
        yield yaml.safe_load(text)
    except yaml.YAMLError:
        pass
    try:
        yield float(text)
    except ValueError:
        pass


def user_overrides(base: dict, given: dict, cli: dict, schema: dict) -> dict:
    """The user's overrides of config.yaml's `base`: `given` (Snakemake's merged --configfile and
    --config values) where it differs from `base`, then every `--config` value (`cli`), each typed
    by `schema`."""
    validator = jsonschema.Draft202012Validator(schema)
    return deep_merge(differing(coerce(given, schema, validator), base), coerce(cli, schema, validator))
