"""P_B(f|S) by rejection from the finite-width prior (the authors' "ABI"): keep the prior
samples whose function fits S and count their functions on E.

No Gaussian-process approximation enters, so where P(S) is not tiny this is the ground truth
for the network actually sampled; P(S) itself is the acceptance rate. Each batch of nets is
evaluated on S first and only the nets that fit S are evaluated on E: with P(S) ~ 1e-4 that
skips most of the work of sampling whole functions.
"""

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.functions import count_ids, pack_bits
from nnbayes.core.networks import forward, init_params, layer_widths, n_params
from nnbayes.core.tasks import Task


def abi_shard(task: Task, net: dict, n_samples: int, *, batch: int, gen: torch.Generator,
              device: torch.device, dtype: torch.dtype, progress: bool = False) -> tuple[pd.DataFrame, int]:
    """Counts (id_hi, id_lo of f on E, count) of the accepted samples, and how many were accepted.

    net: the trainer's architecture (depth, width, activation, sigma_w, sigma_b; binary inputs)
    or {"kind": "uniform"}, every labelling equally likely (the unbiased learner, exactly known).
    """
    as_t = lambda a: torch.as_tensor(a, device=device, dtype=dtype)  # noqa: E731
    X_S, X_E = as_t(task.X_train), as_t(task.X_test)
    y_S = torch.as_tensor(task.y_train > 0, device=device)
    uniform = net.get("kind") == "uniform"
    widths = None if uniform else layer_widths(X_S.shape[1], net["depth"], net["width"])
    if not uniform:  # buffers reused by every batch, as in the prior's sampler (networks' doc)
        flat = torch.empty(batch, n_params(widths), device=device, dtype=dtype)
        acts = [torch.empty(batch, len(X_S), w, device=device, dtype=dtype) for w in widths[1:]]
    ids, done = [], 0
    with tqdm(total=n_samples, disable=not progress, unit="nets", mininterval=2) as bar:
        while done < n_samples:
            b = min(batch, n_samples - done)
            if uniform:
                fits = (torch.randint(0, 2, (b, len(y_S)), generator=gen, device=device) > 0) == y_S
                fits = fits.all(1)
                on_E = torch.randint(0, 2, (int(fits.sum()), len(X_E)), generator=gen, device=device) > 0
            else:
                params = init_params(widths, b, sigma_w=net["sigma_w"], sigma_b=net["sigma_b"],
                                     gen=gen, device=device, dtype=dtype, out=flat[:b])
                out_S = forward(params, X_S, net["activation"], out=[h[:b] for h in acts])
                fits = ((out_S > 0) == y_S).all(1)
                kept = [(W[fits], c[fits]) for W, c in params]
                on_E = forward(kept, X_E, net["activation"]) > 0
            ids.append(pack_bits(on_E))
            done += b
            bar.update(b)
    uniq, counts = count_ids(np.concatenate(ids))
    table = pd.DataFrame({"id_hi": uniq[:, 0], "id_lo": uniq[:, 1], "count": counts})
    return table, int(counts.sum())
