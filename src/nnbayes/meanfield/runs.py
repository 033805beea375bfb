"""One (task, P, kappa) grid point of the mean-field study: every method on the same data.

Methods (note section 2.9 observables, identical for all):
  krr        the N -> inf limit: GP regression with the NNGP kernel (`meanfield.krr_predict`)
  mf         plain mean-field theory, isotropic prior, particle solver from the prior
  mf_aligned the same theory solved from aligned particles (the other branch, if one exists)
  mf_ard     MF with learned per-input prior precisions (input feature selection)
  mf_limit   plain MF at width limit.width (e.g. 10^6): must reproduce krr
  sgld       the finite-width Bayesian posterior itself, sampled by SGLD chains
One row per (method, data seed). Seeds derive from (root seed, names), so every grid point
and method has its own random stream, and a point's data depend only on (task, seed, P):
the same training set for every kappa, nested in P.
"""

import time

import numpy as np
import pandas as pd
import torch

from nnbayes.meanfield.solver import krr_predict, solve_mf
from nnbayes.core.seeds import shard_seed
from nnbayes.meanfield.sgld import Prior, run_sgld
from nnbayes.meanfield.sparse_tasks import make_task

METHODS = ("krr", "mf", "mf_aligned", "mf_ard", "mf_limit", "sgld")


def anisotropy(w2: np.ndarray, relevant: np.ndarray) -> float:
    """zeta = mean_{j in S} <w_j^2> / mean_{j not in S} <w_j^2> (1 for an isotropic measure)."""
    mask = np.zeros(len(w2), dtype=bool)
    mask[relevant] = True
    return float(w2[mask].mean() / w2[~mask].mean())


def scaled_sgld(sgld: dict, step_factor: float) -> dict:
    """SGLD settings with lr * f and steps, burn-in, thinning / f: the same simulated time and
    number of draws, so a step-size check compares like with like."""
    if step_factor == 1:
        return dict(sgld)
    out = dict(sgld, lr=sgld["lr"] * step_factor)
    for key in ("steps", "burn_in", "thin"):
        out[key] = max(1, round(sgld[key] / step_factor))
    return out


def _method(method, task, kappa, prior, width, settings, gen, device, dtype, progress) -> dict:
    as_t = lambda v: torch.as_tensor(v, dtype=dtype, device=device)  # noqa: E731
    X, y, X_test, y_test = map(as_t, (task.X_train, task.y_train, task.X_test, task.y_test))
    P = len(task.y_train)
    if method == "sgld":
        s = settings["sgld"]
        return run_sgld(X, y, X_test, y_test, task.relevant, width=width, chains=s["chains"], kappa=kappa,
                        lr=s["lr"] / P, steps=s["steps"], burn_in=s["burn_in"], thin=s["thin"], prior=prior,
                        gen=gen, progress=progress)
    s, ard = settings["mf"], None
    if method == "mf_ard":
        a = settings["ard"]
        beta0 = a["beta0"] if a["beta0"] is not None else a["alpha0"] * prior.sigma_w / X.shape[1]
        ard = {"alpha0": a["alpha0"], "beta0": beta0, "ema": a["ema"]}
    if method == "mf_limit":
        width, s = settings["limit"]["width"], dict(s, particles=settings["limit"]["particles"])
    return solve_mf(X, y, X_test, y_test, task.relevant, width=width, kappa=kappa, prior=prior,
                    particles=s["particles"], steps=s["steps"], burn_in=s["burn_in"], lr=s["lr"],
                    resolve_every=s["resolve_every"], ard=ard, gen=gen,
                    init="aligned" if method == "mf_aligned" else "prior", progress=progress)


def run_point(target: dict, net: dict, P: int, kappa: float, *, n_test: int, seeds: list[int],
              methods: list[str], settings: dict, root_seed: int, name: str, device: torch.device,
              dtype: torch.dtype, step_factor: float = 1.0, progress: bool = False) -> pd.DataFrame:
    """Every method in `methods` on every data seed; `settings` holds the config's sgld, mf,
    ard (with the task's alpha0) and limit blocks. `name` (the task name) keys the data stream; the point keys the methods'.
    `step_factor` rescales the SGLD step (`scaled_sgld`) for the step-size check."""
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise ValueError(f"methods {unknown} are not in {list(METHODS)}")
    settings = dict(settings, sgld=scaled_sgld(settings["sgld"], step_factor))
    prior = Prior(net["sigma_a"], net["sigma_w"], net["gamma"])
    width = net["width"]
    rows = []
    for seed in seeds:
        task = make_task(target, P, n_test, shard_seed(root_seed, f"meanfield/{name}", seed))
        krr = krr_predict(task.X_train, task.y_train, task.X_test, kappa=kappa, prior=prior, width=width,
                          device=device)
        ysq = float((task.y_test**2).mean())
        for method in methods:
            t0 = time.perf_counter()
            if method == "krr":
                res = {"pred": krr}
            else:
                gen = torch.Generator(device=device).manual_seed(
                    shard_seed(root_seed, f"{name}/P{P}/kappa{kappa:g}/{method}", seed))
                res = _method(method, task, kappa, prior, width, settings, gen, device, dtype, progress)
            pred = np.asarray(res["pred"], dtype=np.float64)
            w2 = res.get("w2")
            rows.append({
                "method": method, "seed": seed, "P": P, "kappa": kappa, "step_factor": step_factor,
                "width": settings["limit"]["width"] if method == "mf_limit" else width,
                "test_mse": float(((pred - task.y_test) ** 2).mean()),
                "m": float((pred * task.y_test).mean() / ysq),
                "dist_krr": float(np.linalg.norm(pred - krr) / np.linalg.norm(krr)),
                "gibbs_mse": res.get("gibbs_mse", np.nan),
                "rhat_m": res.get("rhat_m", np.nan),
                "spec_frac": res.get("spec_frac", np.nan),
                "zeta": anisotropy(w2, task.relevant) if w2 is not None else np.nan,
                "w2": None if w2 is None else list(map(float, w2)),
                "inv_rho": list(map(float, res["inv_rho"])) if "inv_rho" in res else None,
                "hist_rel": list(map(float, res["hist_rel"])) if "hist_rel" in res else None,
                "hist_irr": list(map(float, res["hist_irr"])) if "hist_irr" in res else None,
            })
            print(f"{name} P={P} kappa={kappa:g} seed={seed} {method}: test MSE {rows[-1]['test_mse']:.4f}, "
                  f"m {rows[-1]['m']:.3f}, zeta {rows[-1]['zeta']:.2f} ({time.perf_counter() - t0:.1f} s)",
                  flush=True)
    return pd.DataFrame(rows)
