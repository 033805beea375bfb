"""The workflow's view of config.yaml: preset merge, schema check with readable errors, and
the expansion of sampler grids into named sample sets.

The Snakefile hands the loaded dicts in; nothing here opens config.yaml itself.
"""

import hashlib
import json
from pathlib import Path

import jsonschema
import yaml

from nnbayes.core.errors import ConfigError
from nnbayes.core.specs import expand_grids
from nnbayes.data.plan import check_references as data_references
from nnbayes.ensemble.toy import ratio_cells
from nnbayes.meanfield.plan import check_references as meanfield_references
from nnbayes.occam.plan import check_references as occam_references
from nnbayes.qnn.plan import check_references as qnn_references
from nnbayes.sgd_bayes.plan import check_references as sgd_bayes_references
from nnbayes.sgd_bayes.plan import image_sources
from nnbayes.workflow.overrides import deep_merge


def resolve(base: dict, schema_path: str | Path, overrides: dict | None = None) -> dict:
    """config.yaml's `base`, then the preset named by `scale`, then the user's `overrides`
    (`overrides.user_overrides`: what they set wins over the preset); validated."""
    overrides = overrides or {}
    config = deep_merge(base, overrides)  # the user may pick the scale or edit a preset
    scale = config.get("scale")
    presets = config.get("presets", {})
    if scale not in presets:
        raise ConfigError(f"config key 'scale': {scale!r} is not one of {sorted(presets)}")
    merged = deep_merge(deep_merge(config, presets[scale]), overrides)
    validate(merged, schema_path)
    check_references(merged)
    return merged


def check_references(config: dict) -> None:
    """What the schema cannot say: names that must exist elsewhere, sizes that must agree."""
    try:
        ratio_cells(config["ensemble"]["ratio"])
    except ValueError as e:
        raise ConfigError(f"config key {e}") from None
    sizes = data_references(config, image_sources(config))
    sgd_bayes_references(config, sizes)
    # T15 draws its S and E from the training images alone (occam.targets.corrupted_task)
    occam_references(config, list(expand_grids(config["prior"]["experiments"]["chaos"], config["prior"]["defaults"])),
                     sizes[config["data"]["images"]["source"]][0])
    qnn_references(config)
    meanfield_references(config)


def _describe(err: jsonschema.ValidationError) -> str:
    key = ".".join(str(p) for p in err.absolute_path) or "<top level>"
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        return f"config key '{key}': unknown key(s) {extra}; allowed keys: {allowed}"
    if err.validator == "enum":
        return f"config key '{key}': {err.instance!r} is not one of {err.validator_value}"
    if err.validator == "required":
        return f"config key '{key}': {err.message}"
    return f"config key '{key}': {err.message} (schema rule: {err.validator}={err.validator_value!r})"


def validate(config: dict, schema_path: str | Path) -> None:
    """Raise ConfigError naming the first bad key (the deepest, most specific error)."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    err = jsonschema.exceptions.best_match(validator.iter_errors(config))
    if err is None:
        return
    while err.context:  # oneOf/anyOf: report the alternative that came closest
        err = jsonschema.exceptions.best_match(err.context)
    raise ConfigError(_describe(err))


def config_hash(obj) -> str:
    """Short stable hash of a config subtree (figures and tables carry it)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:10]
