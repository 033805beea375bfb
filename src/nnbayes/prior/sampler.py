"""The prior P(f): sample nets from their init distribution and count the functions they compute.

A sampling job is one shard: `n_samples` nets drawn with a seed derived from (seed, name,
shard), in batches, counted as either
  * `functions`: a table (id_hi, id_lo, count) of every function seen, or
  * `ones_count`: a histogram (t, count) of t = number of inputs mapped to 1, for priors
    whose functions are too many to tabulate (a perceptron has ~10^10 on {0,1}^7).
Shards merge in `nnbayes.core.tables`.
"""

from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.boolean import center
from nnbayes.core.functions import count_ids, pack_bits
from nnbayes.core.networks import forward, init_params, layer_widths, n_params

RECORDS = ("functions", "ones_count")
KINDS = ("fcn", "uniform")
INPUTS = ("binary", "centered")


def sample_functions(
    spec: dict,
    cube: np.ndarray,
    n_samples: int,
    *,
    batch: int,
    gen: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
    progress: bool = False,
) -> Iterator[torch.Tensor]:
    """Yield bool [b, N] outputs on `cube` of prior samples, `batch` nets at a time.

    spec: kind 'fcn' (depth, width, activation, sigma_w, sigma_b, inputs) or 'uniform'
    (every function equally likely: the unbiased-learner baseline).
    """
    if spec["kind"] not in KINDS:
        raise ValueError(f"prior kind {spec['kind']!r} is not one of {list(KINDS)}")
    sizes = [min(batch, n_samples - done) for done in range(0, n_samples, batch)]
    if spec["kind"] == "uniform":
        batches = (torch.randint(0, 2, (b, len(cube)), generator=gen, device=device) > 0 for b in sizes)
    else:
        batches = fcn_outputs(spec, cube, sizes, gen=gen, device=device, dtype=dtype)
    with tqdm(total=n_samples, disable=not progress, unit="nets", mininterval=2) as bar:
        for bits in batches:
            yield bits
            bar.update(len(bits))


def fcn_outputs(spec: dict, cube: np.ndarray, sizes: list[int], **kw) -> Iterator[torch.Tensor]:
    """`sample_functions` for kind 'fcn', one batch per entry of `sizes`.

    The parameters and every layer's activations live in buffers allocated once per shard: a
    fresh batch's ~5 MB of temporaries would come back from the kernel as new pages (a job
    measured ~10 page faults per net and half its speed). Biases drawn with sigma_b = 0 are
    zeros and are left out of the forward pass (they are still drawn: the random stream is kept).
    """
    if spec["inputs"] not in INPUTS:
        raise ValueError(f"inputs {spec['inputs']!r} is not one of {list(INPUTS)}")
    x = center(cube) if spec["inputs"] == "centered" else cube
    X = torch.as_tensor(x, device=kw["device"], dtype=kw["dtype"])
    widths = layer_widths(cube.shape[1], spec["depth"], spec["width"])
    size = max(sizes, default=0)
    flat = torch.empty(size, n_params(widths), device=kw["device"], dtype=kw["dtype"])
    acts = [torch.empty(size, len(X), w, device=kw["device"], dtype=kw["dtype"]) for w in widths[1:]]
    for b in sizes:
        params = init_params(widths, b, sigma_w=spec["sigma_w"], sigma_b=spec["sigma_b"], out=flat[:b], **kw)
        if spec["sigma_b"] == 0:
            params = [(W, None) for W, _ in params]
        yield forward(params, X, spec["activation"], out=[h[:b] for h in acts]) > 0  # f(x) = 1 iff output > 0


def sample_shard(spec: dict, cube: np.ndarray, n_samples: int, record: str, **kw) -> pd.DataFrame:
    """Count the functions (or their t) of `n_samples` prior draws; see module doc."""
    if record not in RECORDS:
        raise ValueError(f"record {record!r} is not one of {list(RECORDS)}")
    batches = sample_functions(spec, cube, n_samples, **kw)
    if record == "ones_count":
        hist = sum(torch.bincount(bits.sum(1), minlength=len(cube) + 1).cpu() for bits in batches)
        return pd.DataFrame({"t": np.arange(len(cube) + 1), "count": hist.numpy().astype(np.int64)})
    # One preallocated array, not a list of per-batch arrays: thousands of small long-lived
    # arrays between torch's large temporaries fragment the heap (~8 kB RSS per net).
    ids, done = np.empty((n_samples, 2), np.uint64), 0
    for bits in batches:
        ids[done : done + len(bits)] = pack_bits(bits)
        done += len(bits)
    ids, counts = count_ids(ids)
    return pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "count": counts})
