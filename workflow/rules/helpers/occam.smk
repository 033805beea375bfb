# Helpers of occam.smk: its training jobs, shard lists and job parameters.

from nnbayes.occam import paths as occam_paths
from nnbayes.occam.plan import prior_set, training_jobs
from nnbayes.occam.targets import shard_range

OCCAM = config["occam"]
OCCAM_JOBS = training_jobs(OCCAM)
OCCAM_GEN = OCCAM["generalisation"]
OCCAM_PANELS = OCCAM["panels"]
OCCAM_TARGETS = f"<results>/{occam_paths.TARGETS}"


def occam_first_run(part):
    """First run of shard `wc.shard` when `part['runs']` are split over `part['shards']`."""
    return lambda wc: shard_range(part["runs"], part["shards"], int(wc.shard))[0]


def occam_shard_runs(part):
    """Number of runs in shard `wc.shard` (see occam_first_run)."""
    return lambda wc: shard_range(part["runs"], part["shards"], int(wc.shard))[1]


def occam_job_names(wc):
    """{target: runs} of training job (net, m), as JSON."""
    return json.dumps(OCCAM_JOBS[(wc.net, int(wc.m))])
