"""Monte Carlo of the ensemble-prior toy model (research note §3.3): the ratio R of perfect to
random contributions in min-L2-norm regression, for many independent draws of labels and random
features at once (batched tensors), against the closed forms of `ensemble.toy`.

Each draw measures R twice: by Sherman-Morrison (R = q y^T K_r^-1 y) and from the full system
Phi Phi^T alpha = y, so the identity itself is checked, not assumed.
"""

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from nnbayes.core.device import generator
from nnbayes.ensemble.toy import FEATURES, ratio_cells, ratio_finite, ratio_limit, split_features
from nnbayes.core.seeds import shard_seed

F64 = torch.float64


def unpack_bits(codes: torch.Tensor, m: int) -> torch.Tensor:
    """Random bytes [..., ceil(m / 8)] -> their first m bits [..., m] (uint8 0/1, most significant
    bit first). On the CPU numpy's unpackbits is ~5x faster than torch's shifts."""
    if codes.device.type == "cpu":
        return torch.from_numpy(np.unpackbits(codes.numpy(), axis=-1, count=m))
    return unpack_bits_torch(codes, m)


def unpack_bits_torch(codes: torch.Tensor, m: int) -> torch.Tensor:
    """`unpack_bits` on any device (the GPU path)."""
    shifts = torch.arange(7, -1, -1, device=codes.device, dtype=torch.uint8)
    return ((codes.unsqueeze(-1) >> shifts) & 1).flatten(-2)[..., :m]


def random_features(out: torch.Tensor, features: str, gen: torch.Generator) -> torch.Tensor:
    """Fill `out` [D, n, m] with i.i.d. random features in place (one reused buffer avoids a
    page-faulting allocation per chunk). Fair coins come from random bytes, 8 per draw."""
    if features == "gaussian":
        return out.normal_(generator=gen)
    if features != "rademacher":
        raise ValueError(f"features {features!r} is not one of {list(FEATURES)}")
    m = out.shape[-1]
    codes = torch.randint(0, 256, (*out.shape[:-1], -(-m // 8)), generator=gen, device=out.device,
                          dtype=torch.uint8)
    return out.copy_(unpack_bits(codes, m)).mul_(2).sub_(1)


def solve_draws(y: torch.Tensor, K: torch.Tensor, q: int) -> dict[str, torch.Tensor]:
    """Per draw, from labels y [D, n] and random-feature Grams K = R R^T [D, n, n] (float64):

    ratio          q a, a = y^T K^-1 y (Sherman-Morrison)
    ratio_outputs  |perfect outputs| / |random outputs| of the min-norm fit, from the full system
    ratio_weights  sum of squared perfect weights / random ones, from the full system
    off_axis       |part of the random outputs orthogonal to y| / |random outputs| (0 in theory)
    train_error    max |fitted outputs - y| (0: the fit interpolates)
    """
    a = (y.unsqueeze(1) @ torch.cholesky_solve(y.unsqueeze(-1), torch.linalg.cholesky(K))).squeeze((1, 2))
    alpha = torch.linalg.solve(K + q * y.unsqueeze(-1) * y.unsqueeze(1), y)  # (Phi Phi^T) alpha = y
    ya = (y * alpha).sum(-1)  # the weight of each perfect copy
    perfect = q * ya.unsqueeze(-1) * y
    random = (K @ alpha.unsqueeze(-1)).squeeze(-1)  # R (R^T alpha)
    along = (random * y).sum(-1, keepdim=True) / (y * y).sum(-1, keepdim=True) * y
    rnorm = random.norm(dim=-1)
    return {
        "ratio": q * a,
        "ratio_outputs": perfect.norm(dim=-1) / rnorm,
        "ratio_weights": q * ya**2 / (alpha * random).sum(-1),  # |R^T alpha|^2 = alpha^T K alpha
        "off_axis": (random - along).norm(dim=-1) / rnorm,
        "train_error": (perfect + random - y).abs().amax(-1),
    }


def contribution_ratios(
    n: int,
    M: int,
    C: float,
    draws: int,
    *,
    features: str,
    batch_entries: int,
    gen: torch.Generator,
    device: torch.device,
    dtype: torch.dtype,
) -> pd.DataFrame:
    """One row per draw of (labels y, random features R), with the closed forms beside it.

    Draws go in chunks of at most `batch_entries` random-feature entries (memory only; the
    chunking enters the random stream). The Gram R R^T is formed in `dtype` and solved in
    float64: for +-1 features it is exact in float32 while m < 2^24.
    """
    q, m = split_features(M, C)
    if m < n + 2:
        raise ValueError(f"m = {m} random features for n = {n} points: need m >= n + 2")
    chunk = max(1, min(draws, batch_entries // (n * m)))
    buf = torch.empty(chunk, n, m, device=device, dtype=dtype)
    parts = []
    for start in range(0, draws, chunk):
        d = min(chunk, draws - start)
        y = torch.randint(0, 2, (d, n), generator=gen, device=device, dtype=F64).mul_(2).sub_(1)
        R = random_features(buf[:d], features, gen)
        K = torch.bmm(R, R.transpose(1, 2)).to(F64)
        parts.append({k: v.cpu().numpy() for k, v in solve_draws(y, K, q).items()})
    cols = dict(features=features, M=M, C=float(C), n=n, q=q, m=m, p=q / M, draw=np.arange(draws))
    cols.update({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    return pd.DataFrame(cols).assign(limit=ratio_limit(n, q, m), finite=ratio_finite(n, q, m))


def cell_seed(seed: int, cell: dict) -> int:
    """An independent seed per grid cell: a cell's draws do not depend on the rest of the grid."""
    return shard_seed(seed, "ensemble/{features}/M{M}/C{C:g}/n{n}".format(**cell), 0)


def ratio_grid(spec: dict, seed: int, *, device: torch.device, dtype: torch.dtype,
               progress: bool = False) -> pd.DataFrame:
    """Every cell of `spec` (the config's ensemble.ratio), `spec['draws']` rows per cell."""
    frames = []
    for cell in tqdm(ratio_cells(spec), desc="ratio cells", disable=not progress):
        frames.append(contribution_ratios(cell["n"], cell["M"], cell["C"], spec["draws"],
                                          features=cell["features"], batch_entries=spec["batch"],
                                          gen=generator(cell_seed(seed, cell), device), device=device,
                                          dtype=dtype))
    return pd.concat(frames, ignore_index=True)
