"""Where the Occam stage's tables live under results/<scale>/, from config. Pure Python: the
workflow's rules and the figure registry both read it while parsing."""

from nnbayes.occam.plan import prior_set, training_jobs

TARGETS = "data/occam/targets.parquet"
RANDOM_LABELS = "data/occam/random_labels.parquet"
CORRUPTION_BOUND = "data/occam/corruption_bound.parquet"


def run_shards(occam: dict, nets: list[str], ms: list[int]) -> list[str]:
    """Shard tables of the training jobs (net, m) with net in `nets` and m in `ms`."""
    return [f"samples/occam/{net}/m{m}/shard-{shard:04d}.parquet"
            for (net, m) in training_jobs(occam) if net in nets and m in ms
            for shard in range(occam["shards"])]


def bound_tables(nets: list[str]) -> list[str]:
    return [f"data/occam/bound/{net}.parquet" for net in nets]


def spectrum_tables(targets: list[str]) -> list[str]:
    return [f"data/occam/spectrum/{t}.parquet" for t in targets]


def prior_k_tables(occam: dict, nets: list[str]) -> list[str]:
    """P(K) tables of the prior sample sets (prior.experiments.chaos) of these nets."""
    return [f"data/occam/prior_k/{prior_set(occam['nets'][net])}.parquet" for net in nets]


def corruption_shards(occam: dict) -> list[str]:
    return [f"samples/occam/corruption/shard-{s:04d}.parquet" for s in range(occam["corruption"]["shards"])]
