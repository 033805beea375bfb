"""Cross-references of the sgd_bayes config the schema cannot check: variants a task names must
exist, ABI needs a boolean task, a boolean task's target and training mask must fit the cube, an
image task must fit in the image set.
Pure Python (the workflow imports it while parsing)."""

from nnbayes.core.errors import ConfigError
from nnbayes.core.tasks import size_error


def image_source(config: dict, data: dict) -> str:
    """The image set an image task reads: its own `source`, else data.images.source."""
    return data.get("source", config["data"]["images"]["source"])


def image_sources(config: dict) -> set[str]:
    """Every image set the run reads: data.images.source (T15) and each image task's."""
    return {config["data"]["images"]["source"]} | {
        image_source(config, t["data"]) for t in config["sgd_bayes"]["tasks"].values() if t["data"]["kind"] == "images"}


def check_references(config: dict, sizes: dict[str, tuple[int, int | None]]) -> None:
    """Raise ConfigError naming the key; sizes: the (train, test) image counts of each image set
    (test None: one pool), as data.plan gives them."""
    sgd = config["sgd_bayes"]
    for name, task in sgd["tasks"].items():
        key = f"sgd_bayes.tasks.{name}"
        for v in task["variants"]:
            if v not in sgd["variants"]:
                raise ConfigError(f"config key '{key}.variants': {v!r} is not one of {sorted(sgd['variants'])}")
        for v in task.get("variant_runs", {}):
            if v not in task["variants"]:
                raise ConfigError(f"config key '{key}.variant_runs': {v!r} is not one of the task's variants "
                                  f"{task['variants']}")
        data = task["data"]
        if "abi" in task and data["kind"] != "boolean":
            raise ConfigError(f"config key '{key}.abi': rejection sampling (ABI) needs a boolean task, "
                              f"not kind {data['kind']!r}")
        if data["kind"] == "images" and (err := size_error(data["m"], data["test_size"],
                                                            *sizes[image_source(config, data)])):
            raise ConfigError(f"config key '{key}.data': {err}")
        if data["kind"] == "boolean":
            if data["target"] not in config["data"]["targets"]:
                raise ConfigError(f"config key '{key}.data.target': {data['target']!r} is not one of "
                                  f"{sorted(config['data']['targets'])}")
            n_points = 2 ** config["data"]["n"]
            ones = data["train"].count("1")
            if len(data["train"]) != n_points or not 0 < ones < n_points:
                raise ConfigError(f"config key '{key}.data.train': need {n_points} characters with "
                                  f"between 1 and {n_points - 1} ones (got {len(data['train'])}, {ones} ones)")
