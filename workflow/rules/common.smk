# Helpers shared by the stage files: resolve the config (base, preset, the user's values) and
# check it with the machine, expand sample sets, name src inputs.

import json
import sys
from functools import cache, partial
from pathlib import Path

import yaml
from snakemake.logging import logger

from nnbayes.core.errors import UserError
from nnbayes.workflow.cli import handler
from nnbayes.workflow.code_deps import code_files, file_imports, handler_imports
from nnbayes.workflow.config import config_hash, expand_grids, resolve
from nnbayes.workflow.machine import check_device, check_threads, check_writable
from nnbayes.workflow.overrides import overridden_keys, user_overrides

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
# One thread per job everywhere. Shards are independent, and two one-thread jobs side by side
# finish 1.3-1.4x sooner than two two-thread jobs in turn (measured on 2 cores, a prior shard
# takes 13.3 s at 1 thread and 9.5 s at 2). A cluster profile sets threads itself (set-threads).


@cache
def code(command, *modules):
    """Library files a job running `nnbayes <command>` is made of (plus `modules` it loads by
    name), derived from the imports (`nnbayes.workflow.code_deps`): editing one reruns exactly
    the jobs whose code holds it."""
    return code_files(handler_imports(*handler(command)) | set(modules))


def figure(tables, used_config, study):
    """A figure target of `study`: the tables it reads and the config it depends on. It is judged
    by nnbayes.<study>.checks, plotted by nnbayes.<study>.plots from notebooks/<study>/<name>.py.
    """
    return {"tables": tables, "config": used_config, "study": study}


# Every figure is its own target; each study's rules file adds its figures before figures.smk runs.
FIGURES = {}


# report sections, by study
REPORT_CATEGORIES = {
    "prior": "1 Prior P(f)",
    "sgd_bayes": "2 P_SGD vs P_B",
    "qnn": "3 QNNs as perceptrons",
    "meanfield": "4 Mean-field feature learning",
    "ensemble": "5 Ensemble prior",
    "occam": "6 Occam's razor",
}


def notebook_path(fig):
    return f"notebooks/{FIGURES[fig]['study']}/{fig}.py"


def notebook_caption(fig, wildcards):
    """The notebook's first markdown cell (title and what the figure shows), for the report.
    Used as `partial(notebook_caption, fig)`: a function, since a params string would be
    formatted with the wildcards (captions hold LaTeX braces)."""
    lines = Path(notebook_path(fig)).read_text().splitlines()
    start = lines.index("# %% [markdown]") + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("# %%")), len(lines)
    )
    return "\n".join(line[2:] for line in lines[start:end]).strip().lstrip("# ")


def figure_stamp(fig):
    """Config hash of what a figure depends on and the keys the user set over the preset (code
    version is added at render time)."""
    used = [config["seed"], config["data"], FIGURES[fig]["config"]]
    stamp = f"scale={config['scale']} config={config_hash(used)}"
    if USER_KEYS:  # the first three: a stamp is one short line
        more = f" and {len(USER_KEYS) - 3} more" if len(USER_KEYS) > 3 else ""
        stamp += f" user: {', '.join(USER_KEYS[:3])}{more}"
    return stamp
