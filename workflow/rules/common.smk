# Helpers shared by the stage files: resolve the preset, expand sample sets, name src inputs.

import json

from nnbayes.workflow_config import config_hash, expand_grids, resolve

config.update(resolve(config, workflow.source_path("../schemas/config.schema.yaml")))

EXPERIMENTS = config["prior"]["experiments"]
SAMPLE_SETS = {
    name: expand_grids(exp, config["prior"]["defaults"])
    for name, exp in EXPERIMENTS.items()
}

# figure -> the prior experiments it reads (each figure is its own target rule)
FIGURES = {
    "fig1_perceptron_t": ["perceptron"],
    "fig2_depth_t": ["depth"],
    "fig3_rank": ["fcn"],
    "fig4_simplicity": ["fcn", "random"],
    "fig5_order_chaos": ["chaos", "random"],
}
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


def figure_stamp(fig):
    """Config hash of what a figure depends on (code version is added at render time)."""
    used = {e: EXPERIMENTS[e] for e in FIGURES[fig]}
    return f"scale={config['scale']} config={config_hash([config['seed'], used])}"
