# Helpers shared by the stage files: resolve the preset, expand sample sets, name src inputs.

import json
from functools import partial
from pathlib import Path

from nnbayes.workflow_config import config_hash, expand_grids, resolve

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


def src(*modules):
    """Library files a job imports, listed as inputs so editing one reruns exactly its users."""
    return [f"src/nnbayes/{m}" for m in ("__init__.py", "cli.py", *modules)]


def shard_samples(wc):
    """Nets in shard `wc.shard`: the experiment's samples split as evenly as possible."""
    exp = EXPERIMENTS[wc.experiment]
    q, r = divmod(exp["samples"], exp["shards"])
    return q + (int(wc.shard) < r)


def shard_paths(wc):
    exp = EXPERIMENTS[wc.experiment]
    return expand(
        "<results>/samples/prior/{experiment}/{point}/shard-{shard:04d}.parquet",
        experiment=wc.experiment,
        point=wc.point,
        shard=range(exp["shards"]),
    )


def prior_tables(experiments):
    return [
        f"<results>/samples/prior/{e}/{p}.parquet"
        for e in experiments
        for p in SAMPLE_SETS[e]
    ]


TASKS = config["sgd_bayes"]["tasks"]
VARIANTS = config["sgd_bayes"]["variants"]
PRIOR_EP = config["gp_checks"]["prior_ep"]["experiment"]


def shard_runs(wc):
    """Training runs in shard `wc.shard` of a task's variant."""
    task = TASKS[wc.task]
    q, r = divmod(task["runs"], task["shards"])
    return q + (int(wc.shard) < r)


def train_shard_paths(wc):
    return expand(
        "<results>/samples/train/{task}/{variant}/shard-{shard:04d}.parquet",
        task=wc.task,
        variant=wc.variant,
        shard=range(TASKS[wc.task]["shards"]),
    )


def train_tables(task):
    return [
        f"<results>/samples/train/{task}/{v}.parquet" for v in TASKS[task]["variants"]
    ]


def abi_tables(task):
    """The task's ABI table (P_B by rejection from the finite-width prior), if it has one."""
    return [f"<results>/samples/abi/{task}.parquet"] if "abi" in TASKS[task] else []


def abi_shard_samples(wc):
    abi = TASKS[wc.task]["abi"]
    q, r = divmod(abi["samples"], abi["shards"])
    return q + (int(wc.shard) < r)


def abi_shard_paths(wc):
    return expand(
        "<results>/samples/abi/{task}/shard-{shard:04d}.parquet",
        task=wc.task,
        shard=range(TASKS[wc.task]["abi"]["shards"]),
    )


def posterior_tables(task):
    return [
        f"<results>/data/posterior/{task}.parquet",
        f"<results>/data/posterior/{task}-errors.parquet",
    ]


def task_inputs(wc):
    """The data files a task is built from (named, so `task_flags` can pass them on)."""
    if TASKS[wc.task]["data"]["kind"] == "images":
        return {"images": rules.images.output[0]}
    return {
        "cube": rules.boolean_data.output.cube,
        "targets": rules.boolean_data.output.targets,
    }


def task_flags(wc, input):
    return " ".join(
        f"--{k} {input[k]}" for k in ("cube", "targets", "images") if k in input.keys()
    )


def _sgd_bayes(*tasks):
    """What a P_opt-vs-P_B figure depends on: its tasks, their variants, the GP options."""
    return {
        "tasks": {t: TASKS[t] for t in tasks},
        "variants": {v: VARIANTS[v] for t in tasks for v in TASKS[t]["variants"]},
        "posterior": config["sgd_bayes"]["posterior"],
    }


def figure(tables, used_config, checks, plots, modules=()):
    """A figure target: the tables it reads, the config it depends on, the library modules that
    judge it (`checks`: a module with FIGURE_CHECKS) and plot it; `modules`: any others it imports.
    """
    return {
        "tables": tables,
        "config": used_config,
        "checks": checks,
        "plots": plots,
        "modules": list(modules),
    }


# Every figure is its own target; stage files add theirs to FIGURES before figures.smk runs.
FIGURES = {
    "fig1_perceptron_t": figure(
        prior_tables(["perceptron"]), EXPERIMENTS["perceptron"], "checks", "plotting"
    ),
    "fig2_depth_t": figure(
        prior_tables(["depth"]), EXPERIMENTS["depth"], "checks", "plotting"
    ),
    "fig3_rank": figure(
        prior_tables(["fcn"]), EXPERIMENTS["fcn"], "checks", "plotting"
    ),
    "fig4_simplicity": figure(
        prior_tables(["fcn", "random"]),
        [EXPERIMENTS["fcn"], EXPERIMENTS["random"]],
        "checks",
        "plotting",
    ),
    "fig5_order_chaos": figure(
        prior_tables(["chaos", "random"]),
        [EXPERIMENTS["chaos"], EXPERIMENTS["random"]],
        "checks",
        "plotting",
    ),
}


# report sections, by the module that judges a figure
REPORT_CATEGORIES = {
    "checks": "1 Prior P(f)",
    "posterior_checks": "2 P_SGD vs P_B",
    "qnn_checks": "3 QNNs as perceptrons",
    "meanfield_checks": "4 Mean-field feature learning",
    "ensemble_checks": "5 Ensemble prior",
    "occam_checks": "6 Occam's razor",
}


def notebook_caption(fig, wildcards):
    """The notebook's first markdown cell (title and what the figure shows), for the report.
    Used as `partial(notebook_caption, fig)`: a function, since a params string would be
    formatted with the wildcards (captions hold LaTeX braces)."""
    lines = Path(workflow.basedir, "notebooks", f"{fig}.py").read_text().splitlines()
    start = lines.index("# %% [markdown]") + 1
    end = next(
        (i for i in range(start, len(lines)) if lines[i].startswith("# %%")), len(lines)
    )
    return "\n".join(line[2:] for line in lines[start:end]).strip().lstrip("# ")


def figure_stamp(fig):
    """Config hash of what a figure depends on (code version is added at render time)."""
    used = [config["seed"], config["data"], FIGURES[fig]["config"]]
    return f"scale={config['scale']} config={config_hash(used)}"
