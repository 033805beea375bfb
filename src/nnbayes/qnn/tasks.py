"""The learning tasks of the QNN stage: which targets (spanning complexity) and which splits.

Torch-free: the targets job and the checks read these without loading torch.
"""

import numpy as np
import pandas as pd

from nnbayes.core.boolean import train_mask
from nnbayes.core.functions import unpack_ids


def learning_targets(named: pd.DataFrame, names: list[str], prior: pd.DataFrame, prior_meta: dict,
                     k: int) -> pd.DataFrame:
    """Targets spanning complexity: the named data targets `names`, plus k functions of the FCN
    prior at evenly spaced quantiles of C_LZ among its distinct functions (at each, the most
    probable function of that C_LZ): "functions sampled from a DNN prior binned by C_LZ"."""
    missing = sorted(set(names) - set(named["name"]))
    if missing:
        raise ValueError(f"learning targets {missing} are not in the data targets {sorted(named['name'])}")
    chosen = named.set_index("name").loc[names].reset_index()[["name", "bits", "t", "clz"]]
    levels = np.sort(prior["clz"].to_numpy())[((np.arange(k) + 0.5) / k * len(prior)).astype(int)]
    rows = []
    for i, level in enumerate(levels):
        best = prior[prior["clz"] == level].iloc[0]  # the table is sorted by count
        bits = unpack_ids(np.array([[best["id_hi"], best["id_lo"]]], dtype=np.uint64), prior_meta["n_points"])[0]
        rows.append({"name": f"fcn_prior_{i}", "bits": "".join(map(str, bits)), "t": int(best["t"]),
                     "clz": float(best["clz"])})
    out = pd.concat([chosen, pd.DataFrame(rows)], ignore_index=True)
    return out.drop_duplicates("bits").reset_index(drop=True)


def tasks(targets: pd.DataFrame, splits: dict) -> pd.DataFrame:
    """One row per (target, m, seed): the target's bits and the training mask, as arrays."""
    rows = []
    for t in targets.itertuples():
        for m in splits["m"]:
            for seed in splits["seeds"]:
                rows.append({"target": t.name, "clz": t.clz, "t": t.t, "m": m, "seed": seed,
                             "y": np.frombuffer(t.bits.encode(), np.uint8) - ord("0"),
                             "mask": train_mask(len(t.bits), m, seed)})
    return pd.DataFrame(rows)
