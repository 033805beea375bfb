# Helpers shared by the stage files: resolve the preset, expand sample sets, name src inputs.

import json
from functools import cache, partial
from pathlib import Path

from nnbayes.core.shards import shard_size
from nnbayes.workflow.cli import handler
from nnbayes.workflow.code_deps import code_files, file_imports, handler_imports
from nnbayes.workflow.config import config_hash, expand_grids, resolve

ROOT = Path(workflow.basedir)

config.update(resolve(config, workflow.source_path("../schemas/config.schema.yaml")))

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
    """Config hash of what a figure depends on (code version is added at render time)."""
    used = [config["seed"], config["data"], FIGURES[fig]["config"]]
    return f"scale={config['scale']} config={config_hash(used)}"
