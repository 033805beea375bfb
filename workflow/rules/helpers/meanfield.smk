# Helpers of meanfield.smk: the tables its figures read, its shard lists and job parameters.

from nnbayes.meanfield.plan import grid_points, point_name

MEANFIELD = config["meanfield"]
MF_POINTS = {name: grid_points(task) for name, task in MEANFIELD["tasks"].items()}
MF_STEP = MEANFIELD["step_control"]


def mf_tables(*tasks):
    """Every grid point's table of `tasks` (all tasks when none are named)."""
    return [
        f"<results>/data/meanfield/{t}/{p}.parquet"
        for t in (tasks or MF_POINTS)
        for p in MF_POINTS[t]
    ]


def mf_settings(task):
    """The solver settings a job of `task` needs, with the task's ARD hyperprior."""
    ard = dict(MEANFIELD["ard"], alpha0=MEANFIELD["tasks"][task]["ard_alpha0"])
    return json.dumps(
        {
            "sgld": MEANFIELD["sgld"],
            "mf": MEANFIELD["mf"],
            "ard": ard,
            "limit": MEANFIELD["limit"],
        }
    )


def mf_point(wc):
    return MF_POINTS[wc.task][wc.point]


MF_FIGURE_TABLES = mf_tables() + ["<results>/data/meanfield/step_control.parquet"]
