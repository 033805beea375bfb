"""Which training jobs the `occam` config section asks for, and what it must agree with.

Pure Python (the workflow imports it while parsing). A training job is one (net, m) pair and
trains every target that some figure needs at that pair: all targets for the generalisation
sweep (T10), the panel targets for T11 (at the sweep's m) and T12 (at each panel m).
"""

from nnbayes.occam.targets import target_names
from nnbayes.core.errors import ConfigError
from nnbayes.core.specs import spec_name


def training_jobs(occam: dict) -> dict[tuple[str, int], dict[str, int]]:
    """{(net, m): {target: runs}} in config order: `runs` for the sweep's targets, the larger of
    `runs` and `panels.runs` for a panel target."""
    names = target_names(occam["targets"])
    gen, panels = occam["generalisation"], occam["panels"]
    wanted: dict[tuple[str, int], dict[str, int]] = {}
    for net in gen["nets"]:
        job = wanted.setdefault((net, gen["m"]), {})
        job.update({t: occam["runs"] for t in names})
    for net in panels["nets"]:
        for m in [gen["m"], *panels["m"]]:
            job = wanted.setdefault((net, m), {})
            job.update({t: max(job.get(t, 0), panels["runs"]) for t in panels["targets"]})
    return {key: {t: job[t] for t in names if t in job} for key, job in wanted.items()}


def prior_set(net: dict) -> str:
    """Name of the prior sample set (prior.experiments.chaos) with `net`'s init distribution."""
    return spec_name({"kind": "fcn", "inputs": "binary", **net})


def check_references(config: dict, chaos_sets: list[str], n_images: int) -> None:
    """Names in `occam` that must exist elsewhere, sizes that must fit; raise ConfigError naming
    the key.

    chaos_sets: the sample sets prior.experiments.chaos expands to (T12's P(K) comes from them);
    n_images: the size of the data.images set (T15's training and test images come from it).
    """
    occam, n_points = config["occam"], 2 ** config["data"]["n"]
    names = target_names(occam["targets"])
    for key, used in (("generalisation.nets", occam["generalisation"]["nets"]),
                      ("panels.nets", occam["panels"]["nets"])):
        for net in used:
            if net not in occam["nets"]:
                raise ConfigError(f"config key 'occam.{key}': {net!r} is not one of {sorted(occam['nets'])}")
    for t in occam["panels"]["targets"]:
        if t not in names:
            raise ConfigError(f"config key 'occam.panels.targets': {t!r} is not one of {names}")
    for m in [occam["generalisation"]["m"], *occam["panels"]["m"]]:
        if not 0 < m < n_points:
            raise ConfigError(f"config key 'occam': training-set size m={m} must satisfy 0 < m < {n_points}")
    for net in occam["panels"]["nets"]:
        name = prior_set(occam["nets"][net])
        if name not in chaos_sets:
            raise ConfigError(f"config key 'occam.panels.nets': the prior of {net!r} ({name}) is not a sample "
                              f"set of prior.experiments.chaos ({chaos_sets}); T12 needs its P(K)")
    for key, part in (("occam", occam), ("occam.panels", {**occam["panels"], "shards": occam["shards"]}),
                      ("occam.corruption", occam["corruption"])):
        if part["shards"] > part["runs"]:
            raise ConfigError(f"config key '{key}.shards': {part['shards']} shards for {part['runs']} runs "
                              "would leave shards empty")
    data = occam["corruption"]["data"]
    if data["m"] + data["test_size"] > n_images:
        raise ConfigError(f"config key 'occam.corruption.data': m + test_size = {data['m']} + "
                          f"{data['test_size']} exceeds the {n_images} images of data.images")
