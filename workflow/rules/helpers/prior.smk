# Helpers of prior.smk: its shard lists and job parameters.

from nnbayes.prior import paths as prior_paths


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
    return results(p for e in experiments for p in prior_paths.prior_tables(config, e))
