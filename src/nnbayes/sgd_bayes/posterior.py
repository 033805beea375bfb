"""P_B(f|S) of the functions optimisers found, from the NNGP of the same architecture.

The functions scored are those some optimiser variant found at least `min_count` times (the
ones whose P_opt is measured, not a single-count guess), plus the target itself. Each gets
  * log P_B by EP (batched, fast, biased where P is large: the papers' method), and
  * for the `exact_top` most frequent, log P_B by minimax tilting (unbiased, with a standard
    error), so EP's error is measured on the functions that carry most of the mass.
Each function is also scored (EP) under the mismatched priors of `baselines` (the same net
with other width-independent parameters), so the checks can ask whether the matched prior
predicts P_opt better than a wrong one. The GP's own prediction of the test error is a weighted
sample from the exact posterior; the sampled functions themselves are kept too (P_B's top).
Boolean functions are labelled by their orbit under permutations of the inputs (`orbit`); an
FCN prior gives an orbit one P_B, so EP runs once per orbit (`_ep_by_orbit`), tilting per function.
"""

import numpy as np
import pandas as pd

from nnbayes.core.complexity import lz_complexity
from nnbayes.core.functions import pack_array, unpack_ids
from nnbayes.core.symmetry import orbits
from nnbayes.gp.base import BatchEstimate
from nnbayes.gp.prob import log_posterior_batch, log_prob_labels
from nnbayes.gp.tilting import posterior_test_samples
from nnbayes.gp.two_stage import condition_on_train, two_stage_log_posterior_batch
from nnbayes.gp.cnngp import cnngp_kernel
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.core.tasks import Task


# EP sweeps under a baseline prior. The perceptron's kernel has rank d + 1 (8 on the 7-cube), so
# the functions it cannot separate sit at the jitter's floor (log P_B ~ -34 at the headline):
# there EP's log Z settles within 1e-6 nats by 100 sweeps while its sites grow without end, and
# 1000 sweeps on the 27 % of found functions that do this were 11 of the 14 minutes of the 10^6-run
# headline's posterior. Measured there on all 5000 scored functions, 200 against 1000 sweeps:
# log P_B moves by at most 7.9e-6 nats, also for the 837 that met tol only after 200 sweeps.
BASELINE_MAX_ITER = 200


def task_kernel(task: Task, net: dict) -> np.ndarray:
    """The GP kernel on S then E of `net`'s infinite-width limit: the CNN-GP of an `arch: cnn`
    net (channel counts drop out), else the FCN's NNGP (width drops out)."""
    X = task.X.astype(np.float64)
    if net.get("arch") == "cnn":
        return cnngp_kernel(X, image_shape=tuple(net["image_shape"]), filters=[(k, k) for k in net["filters"]],
                            padding=list(net["padding"]), sigma_w=net["sigma_w"], sigma_b=net["sigma_b"],
                            activation=net["activation"]).numpy()
    return nngp_kernel(X, depth=net["depth"], sigma_w=net["sigma_w"], sigma_b=net["sigma_b"],
                       activation=net["activation"]).numpy()


def baseline_net(net: dict, change: dict) -> dict:
    """A mismatched prior: `net` with `change`'s keys; a change of depth makes it a fully
    connected net (a CNN's perceptron baseline is the FCN with no hidden layer)."""
    if "depth" in change and net.get("arch") == "cnn":
        return {"arch": "fcn", "activation": net["activation"], "sigma_w": net["sigma_w"],
                "sigma_b": net["sigma_b"], **change}
    return {**net, **change}


def functions_to_score(tables: dict[str, pd.DataFrame], target_id: np.ndarray, min_count: int,
                       max_functions: int) -> pd.DataFrame:
    """Ids found >= min_count times by any variant (most found first, at most max_functions),
    with the target's own labels on E always included."""
    found = pd.concat(tables.values(), ignore_index=True)
    best = found.groupby(["id_hi", "id_lo"], as_index=False).agg(count=("count", "sum"),
                                                                  top=("count", "max"),
                                                                  errors=("errors", "first"))
    best = best[best["top"] >= min_count]
    best = best.sort_values(["count", "id_hi", "id_lo"], ascending=[False, True, True], kind="stable")
    best = best.head(max_functions)[["id_hi", "id_lo", "errors"]]
    target = pd.DataFrame({"id_hi": target_id[:1, 0], "id_lo": target_id[:1, 1], "errors": [0]})
    return pd.concat([best, target]).drop_duplicates(["id_hi", "id_lo"]).reset_index(drop=True)


def _full_functions(task: Task, test_bits: np.ndarray, n_points: int) -> np.ndarray:
    """Functions on the whole cube: the target on S, each row of test_bits on E."""
    full = np.zeros((len(test_bits), n_points), dtype=np.uint8)
    m = len(task.y_train)
    full[:, task.order[:m]] = task.y_train
    full[:, task.order[m:]] = test_bits
    return full


def log_pb(K: np.ndarray, task: Task, bits: np.ndarray, method: str, route: str, **kw):
    """log P_B(f|S) of each row of bits (the functions on E) by `route`: "full" (EP or tilting on
    S u E per function) or "two_stage" (one EP on S, then an orthant of q(f_E|S) per function)."""
    m, n_test = len(task.y_train), len(task.y_test)
    if route == "two_stage":
        if kw.pop("probit_scale", None) is not None:
            raise ValueError("pb_route two_stage computes the Heaviside P_B only: set probit_scale: null")
        return two_stage_log_posterior_batch(K, m, task.y_train, bits, method=method, **kw)
    return log_posterior_batch(K, task.y_train, bits, np.arange(m), np.arange(m, m + n_test), method, **kw)


def _ep_by_orbit(orbit: pd.Series | None, K: np.ndarray, task: Task, bits: np.ndarray, route: str,
                 **kw) -> BatchEstimate:
    """EP's log P_B (`log_pb`) of the first function of each orbit, copied to the rest of its
    orbit (orbit None: of every row). Exact for the full-route P_B of an FCN prior on the whole cube:
    its kernel is a function of inner products, so EP on f o pi is EP on f with S u E permuted,
    the same log Z up to summation order (~1e-11); at the 10^6-run headline 5000 functions
    were 1851 orbits."""
    if orbit is None:
        return log_pb(K, task, bits, "ep", route, **kw)
    _, first, inverse = np.unique(orbit.to_numpy(), return_index=True, return_inverse=True)
    return log_pb(K, task, bits[first], "ep", route, **kw).take(inverse.reshape(-1))


def score(task: Task, net: dict, funcs: pd.DataFrame, *, exact_top: int, exact_samples: int,
          probit_scale: float | None, seed: int, boolean: bool, route: str = "full", check_points: int = 0,
          baselines: dict[str, dict] | None = None) -> tuple[pd.DataFrame, dict]:
    """log P_B(f|S) by EP (on `route`) for every row of `funcs`, and by tilting for the first
    `exact_top`; `log_pb_<name>` by EP under each baseline net (`net` updated with the baseline's
    keys). A two-stage task no larger than `check_points` is also scored by EP on S u E
    (`log_pb_full`), and only a task that small gets the exact log P(S) (tilting on S)."""
    K = task_kernel(task, net)
    m, n_test = len(task.y_train), len(task.y_test)
    small = m + n_test <= check_points
    bits = unpack_ids(funcs[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), n_test)
    out = funcs.copy()
    if boolean:  # orbits: functions every permutation-invariant prior gives one P_B (core.symmetry)
        full = _full_functions(task, bits, len(task.order))
        out["clz"], out["orbit"] = lz_complexity(full), orbits(full)
    orbit = out["orbit"] if boolean and route == "full" and net.get("arch") != "cnn" else None
    ep = _ep_by_orbit(orbit, K, task, bits, route, probit_scale=probit_scale)
    out["log_pb_ep"], out["ep_converged"] = ep.log_p, ep.converged
    out["log_pb_exact"], out["exact_stderr"] = np.nan, np.nan
    k = min(exact_top, len(funcs))
    if k:
        ex = log_pb(K, task, bits[:k], "tilting", route, probit_scale=probit_scale, n_samples=exact_samples, rng=seed)
        out.loc[: k - 1, "log_pb_exact"], out.loc[: k - 1, "exact_stderr"] = ex.log_p, ex.stderr
    if route == "two_stage" and small:
        out["log_pb_full"] = log_pb(K, task, bits, "ep", "full", probit_scale=probit_scale).log_p
    for name, change in (baselines or {}).items():
        b = _ep_by_orbit(orbit, task_kernel(task, baseline_net(net, change)), task, bits, route,
                         probit_scale=probit_scale, max_iter=BASELINE_MAX_ITER)
        out[f"log_pb_{name}"], out[f"ep_converged_{name}"] = b.log_p, b.converged
    ps_ep = log_prob_labels(K[:m, :m], task.y_train, "ep", probit_scale=probit_scale)
    ps_ex = (log_prob_labels(K[:m, :m], task.y_train, "tilting", probit_scale=probit_scale,
                             n_samples=exact_samples, rng=seed + 1) if route == "full" or small else None)
    summary = {"log_ps_ep": ps_ep.log_p, "log_ps_exact": ps_ex.log_p if ps_ex else float("nan"),
               "log_ps_stderr": ps_ex.stderr if ps_ex else float("nan"), "route": route,
               "ep_all_converged": bool(ep.converged.all()), "n_functions": len(out),
               "pb_mass_ep": float(np.exp(ep.log_p).sum())}
    return out, summary


def probit_estimates(task: Task, net: dict, top_bits: np.ndarray, *, iters: int, exact_samples: int,
                     seed: int) -> dict:
    """log P(S) and log P_B(top function|S) under the probit likelihood (s = 1, the authors' GPy
    setting) three ways: EP, exact (tilting) and gpytorch's variational ELBO, a lower bound."""
    from nnbayes.gp.variational import variational_log_prob  # gpytorch: only when asked for

    K = task_kernel(task, net)
    m = len(task.y_train)
    y_all = np.concatenate([task.y_train, top_bits])
    out = {}
    for name, rows, y in (("S", slice(0, m), task.y_train), ("S+E", slice(None), y_all)):
        ep = log_prob_labels(K[rows, rows], y, "ep", probit_scale=1.0)
        ex = log_prob_labels(K[rows, rows], y, "tilting", probit_scale=1.0, n_samples=exact_samples, rng=seed)
        vi = variational_log_prob(task.X[rows], y, net, probit_scale=1.0, iters=iters, seed=seed)
        out[name] = {"ep": ep.log_p, "exact": ex.log_p, "exact_stderr": ex.stderr, "vi": vi}
    return out


def gp_error_distribution(task: Task, net: dict, n_samples: int, seed: int,
                          approximate: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """P_B(test errors = k) under the exact posterior, from importance-weighted samples, and the
    sampled functions on E with their posterior mass (summed normalised weights) and draws.
    approximate: sample the two-stage route's Gaussian q(f_E|S) instead (the authors' "GP-EP
    sampling"; what is affordable at |S| = 10^4), every draw weighing the same."""
    K = task_kernel(task, net)
    m, n_test = len(task.y_train), len(task.y_test)
    rng = np.random.default_rng(seed)
    if approximate:
        mean, cov, _, _ = condition_on_train(K, task.y_train, m)
        bits = rng.multivariate_normal(mean, cov, size=n_samples, method="cholesky") > 0
        log_w = np.zeros(n_samples)
    else:
        bits, log_w = posterior_test_samples(K, task.y_train, np.arange(m), np.arange(m, m + n_test), n_samples, rng)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    errors = (bits != task.y_test.astype(bool)).sum(1)
    p = np.bincount(errors, weights=w, minlength=n_test + 1)
    table = pd.DataFrame({"errors": np.arange(n_test + 1), "p": p})
    ess = float(1 / (w**2).sum())
    mean_error = float((errors * w).sum() / n_test)
    summary = {"samples": n_samples, "ess": ess, "mean_test_error": mean_error,
               "sampler": "q(f_E|S) of the two-stage EP" if approximate else "exact"}
    return table, sampled_functions(bits, w, errors), summary


def sampled_functions(bits: np.ndarray, w: np.ndarray, errors: np.ndarray) -> pd.DataFrame:
    """Distinct sampled functions with their weight sum (`mass`), draws and test errors, most
    probable first."""
    ids = pack_array(bits)
    d = pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "mass": w, "draws": 1, "errors": errors})
    d = d.groupby(["id_hi", "id_lo"], as_index=False).agg(mass=("mass", "sum"), draws=("draws", "sum"),
                                                          errors=("errors", "first"))
    return d.sort_values(["mass", "id_hi", "id_lo"], ascending=[False, True, True], kind="stable",
                         ignore_index=True)
