# Helpers of occam.smk: the tables its figures read, its shard lists and job parameters.

from nnbayes.occam.plan import prior_set, training_jobs
from nnbayes.occam.targets import shard_range

OCCAM = config["occam"]
OCCAM_JOBS = training_jobs(OCCAM)
OCCAM_GEN = OCCAM["generalisation"]
OCCAM_PANELS = OCCAM["panels"]
OCCAM_TARGETS = "<results>/data/occam/targets.parquet"


def occam_runs(nets, ms):
    """Shard tables of the training jobs (net, m) with net in `nets` and m in `ms`."""
    return [
        f"<results>/samples/occam/{net}/m{m}/shard-{shard:04d}.parquet"
        for (net, m) in OCCAM_JOBS
        if net in nets and m in ms
        for shard in range(OCCAM["shards"])
    ]


def occam_first_run(part):
    """First run of shard `wc.shard` when `part['runs']` are split over `part['shards']`."""
    return lambda wc: shard_range(part["runs"], part["shards"], int(wc.shard))[0]


def occam_shard_runs(part):
    """Number of runs in shard `wc.shard` (see occam_first_run)."""
    return lambda wc: shard_range(part["runs"], part["shards"], int(wc.shard))[1]


def occam_prior_k(nets):
    """P(K) tables of the prior sample sets (prior.experiments.chaos) of these nets."""
    return [
        f"<results>/data/occam/prior_k/{prior_set(OCCAM['nets'][net])}.parquet"
        for net in nets
    ]


def occam_used(keys, nets, **extra):
    """The config a figure depends on: these occam keys, these nets, anything extra."""
    return {k: OCCAM[k] for k in keys} | {
        "nets": {n: OCCAM["nets"][n] for n in nets},
        **extra,
    }


OCCAM_TRAINING = ["lz_variant", "targets", "variant", "runs", "max_epochs"]


def occam_job_names(wc):
    """{target: runs} of training job (net, m), as JSON."""
    return json.dumps(OCCAM_JOBS[(wc.net, int(wc.m))])
