"""Where the mean-field stage's tables live under results/<scale>/, from config. Pure Python:
the workflow's rules and the figure registry both read it while parsing."""

from nnbayes.meanfield.plan import grid_points

STEP_CONTROL = "data/meanfield/step_control.parquet"  # SGLD rerun at half the step


def point_tables(config: dict, *tasks: str) -> list[str]:
    """Every grid point's table of `tasks` (all tasks when none are named)."""
    mf = config["meanfield"]["tasks"]
    return [f"data/meanfield/{t}/{p}.parquet" for t in (tasks or mf) for p in grid_points(mf[t])]
