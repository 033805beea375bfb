# Helpers of meanfield.smk: its grid points and job parameters.

from nnbayes.meanfield.plan import grid_points, point_name

MEANFIELD = config["meanfield"]
MF_POINTS = {name: grid_points(task) for name, task in MEANFIELD["tasks"].items()}
MF_STEP = MEANFIELD["step_control"]


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
