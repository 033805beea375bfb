"""Where the ensemble-prior stage's tables live under results/<scale>/, from config. Pure Python:
the workflow's rules and the figure registry both read it while parsing."""

RATIO = "data/ensemble/ratio.parquet"
WIDTH_LIMIT = "data/ensemble/width/limit.parquet"


def width_tables(config: dict) -> list[str]:
    """One table of fitted nets per width."""
    return [f"data/ensemble/width/N{w}.parquet" for w in config["ensemble"]["width"]["widths"]]
