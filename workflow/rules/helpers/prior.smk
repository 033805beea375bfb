# Helpers of prior.smk: its shard lists and job parameters.

from nnbayes.prior import paths as prior_paths


def shard_samples(wc):
    """Nets in shard `wc.shard`: the experiment's samples split as evenly as possible."""
    exp = EXPERIMENTS[wc.experiment]
    return shard_size(exp["samples"], exp["shards"], int(wc.shard))


def shard_paths(wc):
    exp = EXPERIMENTS[wc.experiment]
    return expand(
        "<results>/samples/prior/{experiment}/{point}/shard-{shard:04d}.parquet",
        experiment=wc.experiment,
        point=wc.point,
        shard=range(exp["shards"]),
    )


def prior_expect(wc):
    """What each shard of the set records (`merge-prior --expect`): one of another set, seed or
    scale is refused."""
    exp = EXPERIMENTS[wc.experiment]
    return json.dumps(
        {
            "name": f"{wc.experiment}/{wc.point}",
            "seed": config["seed"],
            "dtype": config["dtype"],
            "spec": SAMPLE_SETS[wc.experiment][wc.point],
            "record": exp["record"],
            "samples": exp["samples"],
            "shards": exp["shards"],
        }
    )


def prior_tables(experiments):
    return results(p for e in experiments for p in prior_paths.prior_tables(config, e))
