# Helpers shared by the stage files: resolve the preset, expand sample sets, name src inputs.

import json

from nnbayes.workflow_config import config_hash, expand_grids, resolve

config.update(resolve(config, workflow.source_path("../schemas/config.schema.yaml")))

EXPERIMENTS = config["prior"]["experiments"]
SAMPLE_SETS = {
    name: expand_grids(exp, config["prior"]["defaults"])
    for name, exp in EXPERIMENTS.items()
}

TASKS = config["sgd_bayes"]["tasks"]
VARIANTS = config["sgd_bayes"]["variants"]
PRIOR_EP = config["gp_checks"]["prior_ep"]["experiment"]
GPU_JOBS = 1 if config["device"] == "cuda" else 0


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


# figure -> (the tables it reads, the config it depends on); each figure is its own target
FIGURES = {
    "fig1_perceptron_t": (prior_tables(["perceptron"]), EXPERIMENTS["perceptron"]),
    "fig2_depth_t": (prior_tables(["depth"]), EXPERIMENTS["depth"]),
    "fig3_rank": (prior_tables(["fcn"]), EXPERIMENTS["fcn"]),
    "fig4_simplicity": (
        prior_tables(["fcn", "random"]),
        [EXPERIMENTS["fcn"], EXPERIMENTS["random"]],
    ),
    "fig5_order_chaos": (
        prior_tables(["chaos", "random"]),
        [EXPERIMENTS["chaos"], EXPERIMENTS["random"]],
    ),
    "fig6_sgd_vs_bayes": (
        train_tables("boolean") + posterior_tables("boolean"),
        _sgd_bayes("boolean"),
    ),
    "fig7_sgd_vs_bayes_digits": (
        train_tables("digits") + posterior_tables("digits"),
        _sgd_bayes("digits"),
    ),
    "fig8_generalisation": (
        [p for t in TASKS for p in train_tables(t) + posterior_tables(t)],
        _sgd_bayes(*TASKS),
    ),
    "fig9_posterior_complexity": (
        train_tables("boolean") + posterior_tables("boolean"),
        _sgd_bayes("boolean"),
    ),
    "fig10_prior_ep": (
        [
            f"<results>/data/gp_checks/prior_ep/{PRIOR_EP}/{p}.parquet"
            for p in SAMPLE_SETS[PRIOR_EP]
        ],
        [EXPERIMENTS[PRIOR_EP], config["gp_checks"]["prior_ep"]],
    ),
    "fig11_kernel": (
        ["<results>/data/gp_checks/kernel.parquet"],
        config["gp_checks"]["kernel"],
    ),
}


def figure_stamp(fig):
    """Config hash of what a figure depends on (code version is added at render time)."""
    used = [config["seed"], config["data"], FIGURES[fig][1]]
    return f"scale={config['scale']} config={config_hash(used)}"
