# Helpers of prior.smk: the tables its figures read, its shard lists and job parameters.


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
