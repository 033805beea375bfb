"""CNN-GP kernel: the infinite-channel limit of a stride-1 ConvNet with no pooling and a dense read-out.

The authors' CNN kernel (`cnn_kernel.py` wrapping Garriga-Alonso et al.'s `deep_ckern`,
arXiv 1808.05587; Novak et al. arXiv 1810.05148 without pooling). The parameterisation is that of
`nngp`: a conv weight ~ N(0, sigma_w^2 / (C_in kh kw)), the read-out weight ~ N(0, sigma_w^2 /
fan_in), every bias ~ N(0, sigma_b^2). With infinitely many channels only covariances at the same
spatial location survive, so per layer l, location p and pair (x, x'):

    V^0_q     = x_q . x'_q / C                       (sum over the C input channels at q)
    K^{l+1}_p = sigma_b^2 + sigma_w^2 (1 / kh kw) sum_{q in patch(p)} V^l_q   (padding: V = 0)
    V^l_q     = E[phi(u) phi(v)], (u, v) ~ N(0, [[K^l_q(x,x), K^l_q(x,x')], [., K^l_q(x',x')]])
    K_out     = sigma_b^2 + sigma_w^2 mean_q V^L_q    (the dense read-out over the last map)

The expectation is `nngp`'s (the relu arc-cosine kernel, or erf's closed form), so a 1x1 image
with 1x1 filters is exactly the fully connected NNGP. The channel counts drop out of the limit,
so they are not arguments. 'same' padding is TF's and torch's: the odd padded row/column goes
after (bottom/right), as in `deep_ckern`'s TF convolutions.
Everything is float64; patch sums are avg_pool2d over [pairs, 1, H, W] maps, computed on square
tiles of pairs sized from a memory budget, so 10^4 x 10^4 kernels of 28 x 28 images run in a few
tens of MiB beyond the [N, M] output.
"""

import math

import torch
import torch.nn.functional as F

from nnbayes.core.errors import UserError
from nnbayes.gp.nngp import F64, _as_f64, _diag_expectation, _expectation

CNN_ACTIVATIONS = ("relu", "erf")  # closed forms only: tanh quadrature per map location is too slow
PADDINGS = ("valid", "same")
# Default budget for one tile's maps. Small tiles stay in cache: on 28 x 28 images (one thread)
# 24 x 24-pair tiles (~32 MiB) ran 1.2x ('valid') to 2x ('same') faster than 96 x 96 ones.
MEMORY_BYTES = 32 * 2**20
# [pairs, H, W] float64 maps per tile the budget allows for: the live peak is ~4.5 maps (relu,
# 'same', torch profiler), RSS peaks at ~8 with the blocks glibc keeps after they are freed
MAP_TEMPORARIES = 8
UNUSED_SCALE = 1.0  # `_expectation`'s quadrature scale: only tanh reads it, and tanh is refused here

Layer = tuple[int, int, str]  # (kh, kw, padding)


def _same_pads(kh: int, kw: int) -> tuple[int, int, int, int]:
    """F.pad's (left, right, top, bottom) for stride-1 'same': k - 1 in all, the odd one after."""
    return ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)


def _check_args(image_shape, filters, padding, activation) -> list[Layer]:
    """The layers as (kh, kw, padding), refusing what the geometry cannot run, by argument name."""
    if activation not in CNN_ACTIVATIONS:
        raise UserError(f"activation {activation!r} is not one of {list(CNN_ACTIVATIONS)} for the CNN-GP")
    if len(image_shape) != 3 or any(not isinstance(s, int) or s < 1 for s in image_shape):
        raise UserError(f"image_shape must be three positive ints (C, H, W), got {image_shape!r}")
    if len(filters) != len(padding):
        raise UserError(f"filters and padding must have one entry per layer: {len(filters)} vs {len(padding)}")
    h, w = image_shape[1:]
    layers = []
    for i, (f, pad) in enumerate(zip(filters, padding)):
        if len(f) != 2 or any(not isinstance(s, int) or s < 1 for s in f):
            raise UserError(f"filters[{i}] must be two positive ints (kh, kw), got {f!r}")
        if pad not in PADDINGS:
            raise UserError(f"padding[{i}] is {pad!r}, not one of {list(PADDINGS)}")
        if pad == "valid" and (f[0] > h or f[1] > w):
            raise UserError(f"filters[{i}] {tuple(f)} is larger than its {h}x{w} input with 'valid' padding; "
                            "use a smaller filter or padding 'same'")
        h, w = (h - f[0] + 1, w - f[1] + 1) if pad == "valid" else (h, w)
        layers.append((f[0], f[1], pad))
    return layers


def _patch_mean(v: torch.Tensor, layer: Layer) -> torch.Tensor:
    """(1 / kh kw) times the patch sum at every output location, over any leading dims of v [..., H, W]."""
    kh, kw, padding = layer
    flat = v.reshape(-1, 1, *v.shape[-2:])
    flat = flat if padding == "valid" else F.pad(flat, _same_pads(kh, kw))
    out = F.avg_pool2d(flat, (kh, kw), stride=1)  # no pool padding: the divisor is always kh kw
    return out.reshape(*v.shape[:-2], *out.shape[-2:])


def _propagate(v, layers, sigma_w, sigma_b, expect) -> torch.Tensor:
    """Read-out K [...] from V^0 [..., H, W]; expect(l, K^l) gives V^l. Each map is freed once
    used, so a tile's peak holds few [pairs, H, W] maps (MAP_TEMPORARIES)."""
    sw2, sb2 = sigma_w**2, sigma_b**2
    for layer_index, layer in enumerate(layers):
        k = _patch_mean(v, layer).mul_(sw2).add_(sb2)
        del v
        v = expect(layer_index, k)
        del k
    return sb2 + sw2 * v.mean((-2, -1))


def _input_cov(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """V^0 [n, m, H, W] = x_q . x'_q / C for A [n, C, H, W], B [m, C, H, W].

    A loop over the few channels in a fixed order (not einsum's matmul), so an entry's bits do
    not depend on the tile it is computed in.
    """
    v = A[:, None, 0] * B[None, :, 0]
    for c in range(1, A.shape[1]):
        v = v + A[:, None, c] * B[None, :, c]
    return v / A.shape[1]


def _tile_side(hw: int, memory_bytes: int) -> int:
    """Rows (and columns) per square tile: tile^2 pairs of MAP_TEMPORARIES float64 [H, W] maps fit."""
    return max(1, math.isqrt(memory_bytes // (8 * hw * MAP_TEMPORARIES)))


def _relu_expectation_(k11: torch.Tensor, k12: torch.Tensor, k22: torch.Tensor) -> torch.Tensor:
    """`nngp`'s arc-cosine kernel (1/2pi) s (sin t + (pi - t) cos t), s = sqrt(k11 k22), computed in
    place over k12 (a tile's own K map, dead afterwards): half the passes and new maps of the
    out-of-place formula, and this elementwise work is most of the kernel's time."""
    # s = 0 where sigma_b = 0 and a patch of x is all zero (MNIST's borders): there k12 ~ 0 too,
    # and the floor keeps 0 / 0 out while the result stays ~1e-300
    s = (k11 * k22).sqrt_().clamp_min_(1e-300)
    cos = k12.div_(s).clamp_(-1, 1)
    theta = torch.arccos(cos)
    out = torch.sin(theta)
    out.add_(theta.neg_().add_(math.pi).mul_(cos))
    return out.mul_(s).div_(2 * math.pi)


def _tile(A, B, dA, dB, layers, sigma_w, sigma_b, activation) -> torch.Tensor:
    """The read-out covariances [n, m] of image blocks A, B with their diagonal maps dA, dB."""
    def expect(l, k):
        if activation == "relu":
            return _relu_expectation_(dA[l][:, None], k, dB[l][None, :])
        return _expectation(activation, dA[l][:, None], k, dB[l][None, :], UNUSED_SCALE)

    return _propagate(_input_cov(A, B), layers, sigma_w, sigma_b, expect)


def _diag(Z, layers, sigma_w, sigma_b, activation):
    """(K_out(x, x) [n], maps [K^l(x, x) [n, H_l, W_l]]) per image: n maps, not n^2, so done once."""
    maps = []

    def expect(_, k):
        maps.append(k)
        return _diag_expectation(activation, k, UNUSED_SCALE)

    return _propagate((Z * Z).mean(1), layers, sigma_w, sigma_b, expect), maps


def _images(X, image_shape, device) -> torch.Tensor:
    X = _as_f64(X).to(device)
    if X.shape[1] != math.prod(image_shape):
        raise UserError(f"inputs have {X.shape[1]} columns but image_shape {tuple(image_shape)} "
                        f"needs C*H*W = {math.prod(image_shape)}")
    return X.reshape(-1, *image_shape)


def cnngp_kernel(
    X,
    X2=None,
    *,
    image_shape: tuple[int, int, int],
    filters: list[tuple[int, int]],
    padding: list[str],
    sigma_w: float,
    sigma_b: float,
    activation: str = "relu",
    tile_rows: int | None = None,
    memory_bytes: int = MEMORY_BYTES,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """K(X, X2) [N, M] in float64: the read-out covariance of infinitely wide stride-1 CNNs.

    X [N, C*H*W], X2 [M, C*H*W] are images flattened channel-first (torch's [C, H, W] order);
    X2 None: X, whose diagonal is then set from the per-image recursion and only tiles on or
    above the diagonal are computed (the rest mirrored). One conv layer per filters/padding
    entry, each followed by the activation. Tiles are tile_rows x tile_rows pairs (default:
    what memory_bytes allows for the input map size). Computed and returned on `device`
    (default: X's).
    """
    layers = _check_args(tuple(image_shape), list(filters), list(padding), activation)
    if tile_rows is not None and (not isinstance(tile_rows, int) or tile_rows < 1):
        raise UserError(f"tile_rows must be a positive int or None, got {tile_rows!r}")
    device = torch.as_tensor(X).device if device is None else torch.device(device)
    A = _images(X, image_shape, device)
    same = X2 is None
    B = A if same else _images(X2, image_shape, device)
    out_a, dA = _diag(A, layers, sigma_w, sigma_b, activation)
    dB = dA if same else _diag(B, layers, sigma_w, sigma_b, activation)[1]
    side = tile_rows or _tile_side(image_shape[1] * image_shape[2], memory_bytes)
    out = torch.empty(len(A), len(B), dtype=F64, device=device)
    for i in range(0, len(A), side):
        rows = slice(i, i + side)
        for j in range(i if same else 0, len(B), side):
            cols = slice(j, j + side)
            block = _tile(A[rows], B[cols], [d[rows] for d in dA], [d[cols] for d in dB],
                          layers, sigma_w, sigma_b, activation)
            out[rows, cols] = block
            if same and j != i:
                out[cols, rows] = block.T
    if same:
        out.diagonal().copy_(out_a)
    return out
