"""The NNGP against the networks it describes (T7, T14): the two approximations under P_B.

* `kernel_vs_wide_nets`: the analytic kernel against the Monte-Carlo covariance of the read-out
  of wide random nets (the NNGP is their infinite-width limit);
* `prior_vs_gp`: P(f) of the most frequent functions of the sampled finite-width prior against
  the GP's P(f) by EP and by the exact tilting estimator (the authors' empirical_vs_GPEP plot).
"""

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.functions import unpack_ids
from nnbayes.gp.prob import log_prob_labels_batch
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.gp.nngp import nngp_kernel


def kernel_vs_wide_nets(X: np.ndarray, net: dict, n_nets: int, *, batch: int, gen: torch.Generator,
                        device: torch.device, dtype: torch.dtype, progress: bool = False) -> pd.DataFrame:
    """Upper-triangle entries (i, j, analytic, empirical, stderr) of the read-out covariance.

    The empirical covariance is the mean of f(x_i) f(x_j) over nets (the mean is 0 by
    symmetry, so it is not subtracted); stderr is the standard error of that mean.
    """
    Xt = torch.as_tensor(X, device=device, dtype=dtype)
    widths = layer_widths(X.shape[1], net["depth"], net["width"])
    iu = torch.triu_indices(len(X), len(X), device=device)
    s1 = torch.zeros(iu.shape[1], dtype=torch.float64, device=device)
    s2 = torch.zeros_like(s1)
    with tqdm(total=n_nets, disable=not progress, unit="nets", mininterval=2) as bar:
        for start in range(0, n_nets, batch):
            b = min(batch, n_nets - start)
            params = init_params(widths, b, sigma_w=net["sigma_w"], sigma_b=net["sigma_b"], gen=gen,
                                 device=device, dtype=dtype)
            out = forward(params, Xt, net["activation"]).double()
            prod = out[:, iu[0]] * out[:, iu[1]]
            s1 += prod.sum(0)
            s2 += (prod * prod).sum(0)
            bar.update(b)
    mean = s1 / n_nets
    se = ((s2 / n_nets - mean**2).clamp_min(0) / (n_nets - 1)).sqrt()
    K = nngp_kernel(X.astype(np.float64), depth=net["depth"], sigma_w=net["sigma_w"], sigma_b=net["sigma_b"],
                    activation=net["activation"])
    i, j = iu.cpu().numpy()
    return pd.DataFrame({"i": i, "j": j, "analytic": K.numpy()[i, j], "empirical": mean.cpu().numpy(),
                         "stderr": se.cpu().numpy()})


def prior_vs_gp(table: pd.DataFrame, samples: int, cube: np.ndarray, net: dict, *, top: int, exact_top: int,
                exact_samples: int, seed: int) -> pd.DataFrame:
    """log P(f) sampled vs GP (EP for `top` functions, tilting for the first `exact_top`).

    Inputs where the GP variance is 0 (x = 0 when sigma_b = 0: the output is exactly 0, so
    f(0) = 0 always) are dropped from the kernel, as the authors did.
    """
    K = nngp_kernel(cube.astype(np.float64), depth=net["depth"], sigma_w=net["sigma_w"], sigma_b=net["sigma_b"],
                    activation=net["activation"]).numpy()
    keep = np.diag(K) > 0
    head = table.head(top)
    bits = unpack_ids(head[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), len(cube))
    out = head[["id_hi", "id_lo", "count", "t", "clz"]].copy()
    out["log_p_sampled"] = np.log(head["count"].to_numpy() / samples)
    Kk = K[np.ix_(keep, keep)]
    ep = log_prob_labels_batch(Kk, bits[:, keep], "ep")
    out["log_p_ep"], out["ep_converged"] = ep.log_p, ep.converged
    out["log_p_exact"], out["exact_stderr"] = np.nan, np.nan
    k = min(exact_top, len(out))
    if k:
        ex = log_prob_labels_batch(Kk, bits[:k, keep], "tilting", n_samples=exact_samples, rng=seed)
        out.loc[: k - 1, "log_p_exact"], out.loc[: k - 1, "exact_stderr"] = ex.log_p, ex.stderr
    return out.reset_index(drop=True)
