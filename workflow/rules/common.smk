# Helpers shared by the stage files: resolve the config (base, preset, the user's values) and
# check it with the machine, expand sample sets, derive code inputs, and the figure registry.

import json
import sys
from functools import cache, partial
from pathlib import Path

import yaml
from snakemake.logging import logger

from nnbayes.core.errors import UserError
from nnbayes.core.shards import shard_size
from nnbayes.core.specs import expand_grids
from nnbayes.sgd_bayes.plan import image_sources
from nnbayes.workflow.cli import handler
from nnbayes.workflow.code_deps import code_files, file_imports, handler_modules
from nnbayes.workflow.config import config_hash, resolve
from nnbayes.workflow.machine import check_device, check_threads, check_writable
from nnbayes.workflow.overrides import overridden_keys, user_overrides
from nnbayes.workflow.registry import all_figures

ROOT = Path(workflow.basedir)
SCHEMA = workflow.source_path("../schemas/config.schema.yaml")


def resolved_config():
    """config.yaml's base, then the scale preset, then what the user set (--configfile, --config),
    checked with the machine before any job: (config, the keys the user overrode). A user error
    stops the run here, in one line."""
    base = yaml.safe_load((ROOT / "config.yaml").read_text())
    schema = yaml.safe_load(Path(SCHEMA).read_text())
    given = workflow.config_settings
    try:
        overrides = user_overrides(base, given.overwrite_config, given.config, schema)
        resolved = resolve(base, SCHEMA, overrides)
        check_threads(workflow.resource_settings.overwrite_threads)
        if workflow.is_main_process:
            check_machine(resolved)
    except UserError as e:
        sys.exit(f"error: {e}")
    return resolved, overridden_keys(overrides)


def check_machine(cfg):
    """What no job or retry could fix: no CUDA for `device: cuda` (a cluster run, --jobs, finds
    its GPUs on its nodes); figure directories that cannot be written (the figure rule retries,
    as a kernel may not start under load)."""
    if workflow.resource_settings.nodes is None:
        check_device(cfg["device"])
    results = Path("results") / cfg["scale"]
    check_writable(
        [results / "figures", results / "notebooks", results / "logs/notebooks"]
    )


_resolved, USER_KEYS = resolved_config()
config.update(_resolved)
if USER_KEYS and workflow.is_main_process:
    logger.info(
        f"config: scale {config['scale']}, user overrides (over the preset): {', '.join(USER_KEYS)}"
    )

EXPERIMENTS = config["prior"]["experiments"]
SAMPLE_SETS = {
    name: expand_grids(exp, config["prior"]["defaults"])
    for name, exp in EXPERIMENTS.items()
}

GPU_JOBS = 1 if config["device"] == "cuda" else 0
# The data, training and the posterior it feeds are the DAG's longest chain (the headline variant's 10^5-run
# shards, then P_B of ~2000 functions, then checks, figure and notebook): scheduled first, the
# rest fills the other cores (default: 20.5 min when Snakemake started the long shards last).
CRITICAL_PATH = 10
# One thread per job everywhere. Shards are independent, and two one-thread jobs side by side
# finish 1.3-1.4x sooner than two two-thread jobs in turn (measured on 2 cores, a prior shard
# takes 13.3 s at 1 thread and 9.5 s at 2). A cluster profile sets threads itself (set-threads).


@cache
def code(command, *modules):
    """Library files a job running `nnbayes <command>` is made of (plus `modules` it loads by
    name), derived from the imports (`nnbayes.workflow.code_deps`): editing one reruns exactly
    the jobs whose code holds it."""
    return code_files(handler_modules(*handler(command), frozenset(modules)))


# Every figure is its own target, declared once in its study's figures.py (core.figure.Figure).
FIGURES = {f.name: f for f in all_figures()}

# report sections, by study
REPORT_CATEGORIES = {
    "prior": "1 Prior P(f)",
    "sgd_bayes": "2 P_SGD vs P_B",
    "qnn": "3 QNNs as perceptrons",
    "meanfield": "4 Mean-field feature learning",
    "ensemble": "5 Ensemble prior",
    "occam": "6 Occam's razor",
}


def images_file(source):
    """The npz of one image set (the `images` rule's output for it)."""
    return f"<results>/data/images_{source}.npz"


def results(paths):
    """Paths relative to results/<scale>/ (as the study `paths` modules give them) as rule files."""
    return [f"<results>/{p}" for p in paths]


def figure_inputs(fig):
    """A figure's named input tables as rule inputs."""
    return {name: results(paths) for name, paths in FIGURES[fig].inputs(config).items()}


def inputs_json(names, wildcards, input):
    """The named inputs as the JSON `nnbayes checks --inputs` and the notebook take."""
    return json.dumps({n: list(input[n]) for n in names})


def notebook_path(fig):
    return f"notebooks/{FIGURES[fig].study}/{fig}.py"


def figure_caption(fig, wildcards):
    """The figure's caption from the registry, for the report. Used as `partial(figure_caption,
    fig)`: a function, since a params string would be formatted with the wildcards (captions hold
    LaTeX braces)."""
    return FIGURES[fig].caption.lstrip("# ")


def figure_stamp(fig):
    """Config hash of what a figure depends on and the keys the user set over the preset (code
    version is added at render time)."""
    used = [config["seed"], config["data"], FIGURES[fig].config(config)]
    stamp = f"scale={config['scale']} config={config_hash(used)}"
    if USER_KEYS:  # the first three: a stamp is one short line
        more = f" and {len(USER_KEYS) - 3} more" if len(USER_KEYS) > 3 else ""
        stamp += f" user: {', '.join(USER_KEYS[:3])}{more}"
    return stamp
