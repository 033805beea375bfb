"""Where the prior stage's tables live under results/<scale>/, from config. Pure Python: the
workflow's rules and the figure registry both read it while parsing."""

from nnbayes.core.specs import expand_grids


def sample_sets(config: dict, experiment: str) -> dict[str, dict]:
    """{set name: sampler spec} of one prior experiment, in config order."""
    return expand_grids(config["prior"]["experiments"][experiment], config["prior"]["defaults"])


def prior_tables(config: dict, experiment: str) -> list[str]:
    """The merged sample tables of one experiment (one per grid point)."""
    return [f"samples/prior/{experiment}/{name}.parquet" for name in sample_sets(config, experiment)]
