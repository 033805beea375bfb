"""log P(S) of the training sets the Occam runs used, and their PAC-Bayes bounds (`pac_bayes`).

P(S) is the NNGP's probability of S's labels under the trained architecture's prior: EP (fast,
biased low on strongly correlated kernels) and, where affordable, the unbiased minimax-tilting
estimate (`nnbayes.gp.prob`), so EP's error on the bound is visible.
"""

import numpy as np
import pandas as pd

from nnbayes.gp.prob import log_prob_labels
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.occam.targets import corrupted_task, run_masks
from nnbayes.occam.pac_bayes import bound


def log_p_s(K: np.ndarray, y: np.ndarray, *, exact_samples: int, seed: int) -> dict:
    """log P(S) of labels y on kernel K by EP and, if exact_samples > 0, by tilting."""
    ep = log_prob_labels(K, y, "ep")
    out = {"log_ps_ep": ep.log_p, "ep_converged": ep.converged,
           "log_ps_exact": np.nan, "exact_stderr": np.nan}
    if exact_samples:
        ex = log_prob_labels(K, y, "tilting", n_samples=exact_samples, rng=seed)
        out.update(log_ps_exact=ex.log_p, exact_stderr=ex.stderr)
    return out


def net_kernel(X: np.ndarray, net: dict) -> np.ndarray:
    """NNGP kernel of `net` (its width-independent parameters) on the rows of X, float64."""
    return nngp_kernel(X.astype(np.float64), depth=net["depth"], sigma_w=net["sigma_w"],
                       sigma_b=net["sigma_b"], activation=net["activation"]).numpy()


def boolean_bounds(cube: np.ndarray, targets: dict[str, np.ndarray], net: dict, m: int, splits: int,
                   *, seed: int, delta: float, formula: str, exact_samples: int) -> pd.DataFrame:
    """log P(S) and the bound for the training sets of runs 0..splits-1 of every target (the very
    sets those runs trained on)."""
    K = net_kernel(cube, net)
    rows = []
    for name, y in targets.items():
        for run, mask in enumerate(run_masks(seed, name, m, np.arange(splits), len(cube))):
            idx = np.flatnonzero(mask)
            est = log_p_s(K[np.ix_(idx, idx)], y[idx], exact_samples=exact_samples, seed=seed + run)
            rows.append({"target": name, "run": run, "m": m, **est})
    df = pd.DataFrame(rows)
    df["bound_ep"] = bound(df["log_ps_ep"], m, delta, formula)
    df["bound_exact"] = bound(df["log_ps_exact"], m, delta, formula)
    return df


def corruption_bounds(X: np.ndarray, y: np.ndarray, spec: dict, net: dict, *, seed: int, delta: float,
                      formula: str, exact_samples: int) -> pd.DataFrame:
    """log P(S) and the bound at every corruption level of `spec` (one S, noisy labels)."""
    tasks = {level: corrupted_task(X, y, spec, level) for level in spec["levels"]}
    K = net_kernel(next(iter(tasks.values())).X_train, net)  # the same images at every level
    rows = [{"level": level, "m": spec["m"], **log_p_s(K, task.y_train, exact_samples=exact_samples, seed=seed + i)}
            for i, (level, task) in enumerate(tasks.items())]
    df = pd.DataFrame(rows)
    df["bound_ep"] = bound(df["log_ps_ep"], spec["m"], delta, formula)
    df["bound_exact"] = bound(df["log_ps_exact"], spec["m"], delta, formula)
    return df
