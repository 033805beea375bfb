import functools
import math
import warnings

import pytest
import scipy.stats
import torch
import torch.nn.functional as F

from nnbayes.gp import cnngp
from nnbayes.gp.cnngp import cnngp_kernel
from nnbayes.gp.nngp import nngp_kernel

F64 = torch.float64
SIGMA_W, SIGMA_B = 1.4, 0.3

# Monte Carlo check: wide random CNNs drawn here with torch's conv2d (its own 'same' padding).
MC_FILTERS = [(3, 3), (2, 2), (3, 3)]
MC_PADDINGS = {"same": ["same"] * 3, "valid": ["valid"] * 3, "mixed": ["same", "valid", "same"]}
MC_IMAGES, MC_SHAPE = 8, (1, 6, 6)
# Finite-width bias is O(1/width): at width 32 the mean relative deviation over 4096 nets was
# ~1%, so at 128 it is ~0.25%, under a third of the ~0.9% standard error of 384 nets.
MC_WIDTH, MC_NETS, MC_BATCH = 128, 384, 64
MC_ENTRIES = len(MC_PADDINGS) * MC_IMAGES * (MC_IMAGES + 1) // 2
FAMILY_FALSE_ALARM = 1e-3  # over every entry of every architecture below (Bonferroni)
Z_MC = scipy.stats.t.isf(FAMILY_FALSE_ALARM / (2 * MC_ENTRIES), MC_NETS - 1)  # ~4.5


def _rand(shape, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_one_pixel_cnn_is_the_fully_connected_nngp(activation, depth):
    # 1x1 image, C channels, 1x1 filters: conv fan_in C, the FCN's input dimension d = C
    X, X2 = _rand((6, 5), 0), _rand((4, 5), 1)
    kw = {"image_shape": (5, 1, 1), "filters": [(1, 1)] * depth, "padding": ["same", "valid", "same"][:depth],
          "sigma_w": SIGMA_W, "sigma_b": SIGMA_B, "activation": activation}
    fc = {"depth": depth, "sigma_w": SIGMA_W, "sigma_b": SIGMA_B, "activation": activation}
    assert torch.allclose(cnngp_kernel(X, **kw), nngp_kernel(X, **fc), rtol=0, atol=1e-12)
    assert torch.allclose(cnngp_kernel(X, X2, **kw), nngp_kernel(X, X2, **fc), rtol=0, atol=1e-12)


@pytest.mark.parametrize("sigma_b", [SIGMA_B, 0.0])
def test_whole_image_filter_is_the_fully_connected_nngp_on_pixels(sigma_b):
    # a 'valid' filter the size of the image leaves one location: one dense layer on C*H*W inputs;
    # an all-zero image with sigma_b = 0 has zero variance from the first layer on (0 / 0 guarded)
    X = _rand((6, 2 * 5 * 4), 2)
    X[0] = 0
    K = cnngp_kernel(X, image_shape=(2, 5, 4), filters=[(5, 4), (1, 1)], padding=["valid", "same"],
                     sigma_w=SIGMA_W, sigma_b=sigma_b)
    ref = nngp_kernel(X, depth=2, sigma_w=SIGMA_W, sigma_b=sigma_b)
    assert torch.allclose(K, ref, rtol=0, atol=1e-12)


def _readout_covariances(X4: torch.Tensor, filters, padding, gen) -> torch.Tensor:
    """[nets, N, N]: each net's read-out covariance E[f(x) f(x') | conv features] over its random
    dense read-out (sigma_b^2 + sigma_w^2 phi.phi' / fan_in), an unbiased per-net estimate with far
    less variance than f(x) f(x') itself. Nets are batched as conv2d groups, in float32."""
    N, out = X4.shape[0], []
    for _ in range(0, MC_NETS, MC_BATCH):
        h, c_in = X4.repeat(1, MC_BATCH, 1, 1), X4.shape[1]
        for (kh, kw), pad in zip(filters, padding):
            W = torch.randn(MC_BATCH * MC_WIDTH, c_in, kh, kw, generator=gen) * (SIGMA_W / math.sqrt(c_in * kh * kw))
            b = torch.randn(MC_BATCH * MC_WIDTH, generator=gen) * SIGMA_B
            h, c_in = torch.relu(F.conv2d(h, W, b, padding=pad, groups=MC_BATCH)), MC_WIDTH
        phi = h.reshape(N, MC_BATCH, -1).to(F64)
        out.append(SIGMA_B**2 + SIGMA_W**2 * torch.einsum("ibz,jbz->bij", phi, phi) / phi.shape[-1])
    return torch.cat(out)


@functools.cache
def _mc(arch: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(images [N, 36], MC mean, its standard error) for one architecture, seeded."""
    torch.set_num_threads(1)
    X = torch.randn(MC_IMAGES, math.prod(MC_SHAPE), generator=torch.Generator().manual_seed(1))
    with warnings.catch_warnings():  # torch notes that even 'same' filters copy the input: expected
        warnings.simplefilter("ignore", UserWarning)
        S = _readout_covariances(X.reshape(-1, *MC_SHAPE), MC_FILTERS, MC_PADDINGS[arch],
                                 torch.Generator().manual_seed(list(MC_PADDINGS).index(arch)))
    return X.to(F64), S.mean(0), S.std(0) / math.sqrt(len(S))


def _max_z(arch: str, padding=None) -> float:
    X, mean, se = _mc(arch)
    K = cnngp_kernel(X, image_shape=MC_SHAPE, filters=MC_FILTERS, padding=padding or MC_PADDINGS[arch],
                     sigma_w=SIGMA_W, sigma_b=SIGMA_B)
    return float(((mean - K) / se).abs().max())


@pytest.mark.parametrize("arch", list(MC_PADDINGS))
def test_kernel_matches_monte_carlo_over_wide_cnns(arch):
    assert _max_z(arch) < Z_MC


@pytest.mark.parametrize("arch", list(MC_PADDINGS))
def test_monte_carlo_rejects_the_other_padding(arch):
    flipped = ["valid" if p == "same" else "same" for p in MC_PADDINGS[arch]]
    assert _max_z(arch, flipped) > Z_MC


@pytest.mark.parametrize("arch", list(MC_PADDINGS))
def test_monte_carlo_rejects_an_unnormalised_patch_sum(arch, monkeypatch):
    mean = cnngp._patch_mean
    monkeypatch.setattr(cnngp, "_patch_mean", lambda v, layer: mean(v, layer) * layer[0] * layer[1])
    assert _max_z(arch) > Z_MC


def test_monte_carlo_rejects_same_padding_on_the_wrong_side(monkeypatch):
    # the 2x2 'same' layer pads one row and column; torch and TF put them after, not before
    monkeypatch.setattr(cnngp, "_same_pads", lambda kh, kw: (kw // 2, (kw - 1) // 2, kh // 2, (kh - 1) // 2))
    assert _max_z("same") > Z_MC


KW = {"image_shape": (2, 7, 6), "filters": [(3, 2), (2, 2), (3, 3)], "padding": ["same", "valid", "same"],
      "sigma_w": SIGMA_W, "sigma_b": SIGMA_B}


def test_symmetric_psd_and_tiling_invariant():
    X = _rand((23, 2 * 7 * 6), 3)
    K = cnngp_kernel(X, **KW)
    assert torch.equal(K, K.T)
    eig = torch.linalg.eigvalsh(K)
    assert eig.min() >= -1e-10 * eig.max()
    for tile in (1, 4, 10):
        assert torch.equal(cnngp_kernel(X, tile_rows=tile, **KW), K)
    assert torch.equal(cnngp_kernel(X, memory_bytes=1, **KW), K)  # the budget's floor: 1 x 1 tiles


def test_cross_block_is_the_full_kernels_block():
    X = _rand((15, 2 * 7 * 6), 4)
    K = cnngp_kernel(X, **KW)
    assert torch.allclose(cnngp_kernel(X[:6], X[6:], tile_rows=4, **KW), K[:6, 6:], rtol=0, atol=1e-14)
    # the diagonal from the per-image recursion agrees with the pair recursion on x' = x
    assert torch.allclose(cnngp_kernel(X, X.clone(), **KW), K, rtol=1e-14, atol=0)


def _live_peak_bytes(fn) -> int:
    """Peak bytes of live CPU tensors while fn runs, at the resolution of top-level torch ops."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    live = peak = 0
    for event in sorted((e for e in prof.events() if e.cpu_parent is None), key=lambda e: e.time_range.start):
        live += event.cpu_memory_usage
        peak = max(peak, live)
    return peak


@pytest.mark.parametrize("activation", ["relu", "erf"])
def test_live_memory_stays_within_the_budget_on_mnist_sized_images(activation):
    # 'same' padding keeps every map 28 x 28, the costliest case; 40 x 40 pairs make 4 tiles
    budget, X = 16 * 2**20, _rand((80, 784), 6)
    kw = {"image_shape": (1, 28, 28), "filters": [(5, 5), (2, 2), (5, 5), (2, 2)], "padding": ["same"] * 4,
          "sigma_w": 1.0, "sigma_b": 1.0, "activation": activation, "memory_bytes": budget}
    peak = _live_peak_bytes(lambda: cnngp_kernel(X[:40], X[40:], **kw))
    assert budget / 4 < peak <= budget  # tiles use a fair part of the budget, and no more


@pytest.mark.parametrize("change, name", [
    ({"filters": [(5, 5)], "padding": ["valid"], "image_shape": (1, 4, 4)}, "filters\\[0\\]"),
    ({"filters": [(3, 3), (3, 3)], "padding": ["valid", "valid"], "image_shape": (1, 4, 4)}, "filters\\[1\\]"),
    ({"filters": [(3, 3)], "padding": ["valid", "same"]}, "filters and padding"),
    ({"filters": [(3, 3)], "padding": ["full"]}, "padding\\[0\\]"),
    ({"filters": [(3, 0)], "padding": ["same"]}, "filters\\[0\\]"),
    ({"image_shape": (1, 4)}, "image_shape"),
    ({"image_shape": (1, 5, 5)}, "image_shape"),
    ({"activation": "tanh"}, "activation"),
    ({"tile_rows": 0}, "tile_rows"),
])
def test_bad_arguments_are_refused_by_name(change, name):
    kw = {"image_shape": (1, 4, 4), "filters": [(3, 3)], "padding": ["same"], "sigma_w": 1.0, "sigma_b": 0.0} | change
    with pytest.raises(ValueError, match=name):
        cnngp_kernel(_rand((3, 16), 5), **kw)
