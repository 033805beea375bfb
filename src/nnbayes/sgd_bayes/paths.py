"""Where the sgd_bayes stage's tables live under results/<scale>/, from config. Pure Python: the
workflow's rules and the figure registry both read it while parsing."""


def variant_runs(task: dict, variant: str) -> int:
    """Training runs of one variant of a task: `runs`, unless `variant_runs` names the variant."""
    return task.get("variant_runs", {}).get(variant, task["runs"])


def train_tables(config: dict, task: str) -> list[str]:
    """Merged training tables of a task, one per optimiser variant it runs."""
    return [variant_table(task, v) for v in config["sgd_bayes"]["tasks"][task]["variants"]]


def variant_table(task: str, variant: str) -> str:
    """The merged training table of one variant of a task."""
    return f"samples/train/{task}/{variant}.parquet"


def abi_tables(config: dict, task: str) -> list[str]:
    """The task's ABI table (P_B by rejection from the finite-width prior), if it has one."""
    return [f"samples/abi/{task}.parquet"] if "abi" in config["sgd_bayes"]["tasks"][task] else []


def posterior_table(task: str) -> str:
    return f"data/posterior/{task}.parquet"


def errors_table(task: str) -> str:
    """The GP's predicted test-error distribution of a task."""
    return f"data/posterior/{task}-errors.parquet"


def samples_table(task: str) -> str:
    """Functions drawn from the task's exact GP posterior, with their posterior mass."""
    return f"data/posterior/{task}-samples.parquet"


def prior_ep_tables(config: dict, sample_sets: dict) -> list[str]:
    """T7: the GP's P(f) against each sampled prior set of `gp_checks.prior_ep.experiment`."""
    experiment = config["gp_checks"]["prior_ep"]["experiment"]
    return [f"data/gp_checks/prior_ep/{experiment}/{name}.parquet" for name in sample_sets]


KERNEL_TABLE = "data/gp_checks/kernel.parquet"  # T14
