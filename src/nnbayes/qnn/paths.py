"""Where the QNN stage's tables live under results/<scale>/, from config. Pure Python: the
workflow's rules and the figure registry both read it while parsing."""

from nnbayes.qnn.plan import prior_sets

LEARNERS = ("tpp", "kernel", "layered", "fcn")  # the learners of qnn-learn, one table each
MAPPING, MOMENTS = "data/qnn/mapping.parquet", "data/qnn/moments.parquet"
EXPRESSIVITY = "data/qnn/expressivity.parquet"
TARGETS = "data/qnn/targets.parquet"


def prior_tables(config: dict) -> list[str]:
    """The merged QNN prior sample tables, one per (embedding, scheme) set."""
    return [f"samples/qnn/prior/{name}.parquet" for name in prior_sets(config["qnn"])]


def learning_tables() -> list[str]:
    return [f"data/qnn/learning/{k}.parquet" for k in LEARNERS]
