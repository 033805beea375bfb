"""P_B(f|S) by rejection from the finite-width prior (the authors' "ABI"): keep the prior
samples whose function fits S and count their functions on E.

No Gaussian-process approximation enters, so where P(S) is not tiny this is the ground truth
for the network actually sampled; P(S) itself is estimated by the acceptance rate.
"""

import numpy as np
import pandas as pd
import torch

from nnbayes.functions import count_ids, pack_bits
from nnbayes.prior import sample_functions


def abi_posterior(spec: dict, cube: np.ndarray, y: np.ndarray, train: np.ndarray, n_samples: int,
                  **kw) -> tuple[pd.DataFrame, int]:
    """Counts (id_hi, id_lo on E, count) of accepted samples, and the number accepted.

    y: target outputs uint8 [N] on the cube (only y[train] is used); train: bool mask of S.
    kw: batch, gen, device, dtype, progress (as for `prior.sample_functions`).
    """
    train_t = torch.as_tensor(train, device=kw["device"])
    y_s = torch.as_tensor(y[train] > 0, device=kw["device"])
    ids = []
    for bits in sample_functions(spec, cube, n_samples, **kw):
        fits = (bits[:, train_t] == y_s).all(1)
        ids.append(pack_bits(bits[fits][:, ~train_t]))
    uniq, counts = count_ids(np.concatenate(ids))
    table = pd.DataFrame({"id_hi": uniq[:, 0], "id_lo": uniq[:, 1], "count": counts})
    return table, int(counts.sum())
