"""P(f) of QNNs on the Boolean cube: sample models, count the functions f(x) = [output > 0].

The same sharded design as the network prior (`nnbayes.prior.sampler`): one shard is `n_samples` models
drawn with a seed from (seed, set name, shard); functions are packed into 128-bit ids
(`functions.pack_bits`) and counted (`functions.count_ids`); shards merge with `nnbayes
merge-prior` into the same table (count, t, entropy, C_LZ) as the network prior, so the two are
compared line for line. A set spec names the model:
  * scheme haar | gue | circuit: a plain QNN on `encoding` (`qnn_models`);
  * scheme kernel: the QNN-generated NNGP kernel `kernel` (a GP; `qnn_models.qnn_kernel`);
  * scheme layered: the layered QNN of `layered` width on `encoding` (`qnn_layered`).
"""

from collections.abc import Iterator

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.functions import count_ids, pack_bits
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.layered import sample_outputs as layered_outputs
from nnbayes.qnn.map import state_classes
from nnbayes.qnn.models import SCHEMES, gaussian_factor, gaussian_outputs, qnn_kernel, qnn_outputs
from nnbayes.qnn.quantum import complex_dtype

SET_SCHEMES = (*SCHEMES, "kernel", "layered")


def output_sampler(spec: dict, cube: np.ndarray, device: torch.device, dtype: torch.dtype):
    """A function batch -> outputs [batch, N] for the set `spec`. Inputs are embedded once and
    each class of equal states (`map.state_classes`) is computed once, so inputs the theorems
    tie (x and -x under amplitude +-1, the pitfall's phase bits) get equal outputs exactly."""
    states, keep = embed(spec["encoding"], cube)
    if not keep.all():
        raise ValueError(f"embedding {spec['embedding']!r} leaves inputs out (zero: drop); a prior "
                         "needs every input of the cube")
    phase_blind = spec.get("kernel", {}).get("base") != "overlap"  # Re <psi|psi'> sees a global phase
    first, inverse = state_classes(states, up_to_phase=phase_blind)
    draw = _class_sampler(spec, states[first].to(device=device, dtype=complex_dtype(dtype)), device, dtype)
    if len(first) == len(inverse):  # no two inputs share a state
        return draw
    inverse = torch.as_tensor(inverse, device=device)
    return lambda b, gen: draw(b, gen)[:, inverse]


def _class_sampler(spec: dict, states: torch.Tensor, device: torch.device, dtype: torch.dtype):
    scheme = spec["scheme"]
    if scheme in SCHEMES:
        return lambda b, gen: qnn_outputs(scheme, states, b, gen=gen, layers=spec.get("layers", 1),
                                          qubit=spec.get("qubit", 1))
    if scheme == "kernel":
        factor = gaussian_factor(qnn_kernel(states, **spec["kernel"])).to(device)
        return lambda b, gen: gaussian_outputs(factor, b, gen=gen, dtype=dtype)
    if scheme == "layered":
        layered = spec["layered"]
        return lambda b, gen: layered_outputs(states, layered["width"], b, scheme=layered["scheme"], gen=gen)
    raise ValueError(f"QNN prior scheme {scheme!r} is not one of {list(SET_SCHEMES)}")


def sample_functions(spec: dict, cube: np.ndarray, n_samples: int, *, batch: int, gen: torch.Generator,
                     device: torch.device, dtype: torch.dtype, progress: bool = False) -> Iterator[torch.Tensor]:
    """Yield bool [b, N] functions (output > 0) of `n_samples` models, `batch` at a time."""
    draw = output_sampler(spec, cube, device, dtype)
    with tqdm(total=n_samples, disable=not progress, unit="models", mininterval=2) as bar:
        for start in range(0, n_samples, batch):
            b = min(batch, n_samples - start)
            yield draw(b, gen) > 0
            bar.update(b)


def sample_shard(spec: dict, cube: np.ndarray, n_samples: int, **kw) -> pd.DataFrame:
    """(id_hi, id_lo, count) of the functions of `n_samples` models (the `functions` record)."""
    ids, counts = count_ids(np.concatenate([pack_bits(bits) for bits in sample_functions(spec, cube, n_samples, **kw)]))
    return pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "count": counts})
