# Helpers of sgd_bayes.smk: its shard lists and job parameters.

from nnbayes.sgd_bayes import paths as sgd_paths
from nnbayes.sgd_bayes.plan import image_source

TASKS = config["sgd_bayes"]["tasks"]
VARIANTS = config["sgd_bayes"]["variants"]
PRIOR_EP = config["gp_checks"]["prior_ep"]["experiment"]


def shard_runs(wc):
    """Training runs in shard `wc.shard` of a task's variant."""
    task = TASKS[wc.task]
    return shard_size(
        sgd_paths.variant_runs(task, wc.variant), task["shards"], int(wc.shard)
    )


def train_shard_paths(wc):
    return expand(
        "<results>/samples/train/{task}/{variant}/shard-{shard:04d}.parquet",
        task=wc.task,
        variant=wc.variant,
        shard=range(TASKS[wc.task]["shards"]),
    )


def train_expect(wc):
    """What each training shard records (`merge-train --expect`): one of another set, seed or
    scale is refused."""
    task = TASKS[wc.task]
    return json.dumps(
        {
            "name": f"{wc.task}/{wc.variant}",
            "seed": config["seed"],
            "dtype": config["dtype"],
            "task": task["data"],
            "net": task["net"],
            "variant": VARIANTS[wc.variant],
            "max_epochs": task["max_epochs"],
            "runs": sgd_paths.variant_runs(task, wc.variant),
            "shards": task["shards"],
        }
    )


def abi_expect(wc):
    """What each ABI shard records (`merge-abi --expect`)."""
    task = TASKS[wc.task]
    return json.dumps(
        {
            "name": f"{wc.task}/abi",
            "seed": config["seed"],
            "dtype": config["dtype"],
            "task": task["data"],
            "net": task["net"],
            "samples": task["abi"]["samples"],
            "shards": task["abi"]["shards"],
        }
    )


def train_tables(task):
    return results(sgd_paths.train_tables(config, task))


def abi_tables(task):
    return results(sgd_paths.abi_tables(config, task))


def abi_shard_samples(wc):
    abi = TASKS[wc.task]["abi"]
    return shard_size(abi["samples"], abi["shards"], int(wc.shard))


def abi_shard_paths(wc):
    return expand(
        "<results>/samples/abi/{task}/shard-{shard:04d}.parquet",
        task=wc.task,
        shard=range(TASKS[wc.task]["abi"]["shards"]),
    )


def task_inputs(wc):
    """The data files a task is built from (named, so `task_flags` can pass them on)."""
    data = TASKS[wc.task]["data"]
    if data["kind"] == "images":
        return {"images": images_file(image_source(config, data))}
    return {
        "cube": rules.boolean_data.output.cube,
        "targets": rules.boolean_data.output.targets,
    }


def task_flags(wc, input):
    return " ".join(
        f"--{k} {input[k]}" for k in ("cube", "targets", "images") if k in input.keys()
    )
