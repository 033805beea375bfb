import functools
import math

import gpytorch
import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import torch

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.gp.nngp import NNGPKernel, gaussian_expectation, nngp_diag, nngp_kernel

CUBE = torch.as_tensor(boolean_cube(7), dtype=torch.float64)
Z_MC = 4.5  # MC standard errors: max over ~8k correlated entries, two-sided N(0,1) tail 7e-6 each
F32 = torch.float32


def test_depth_zero_is_the_linear_kernel():
    X, X2 = torch.randn(5, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64)
    K = nngp_kernel(X, X2, depth=0, sigma_w=1.7, sigma_b=0.3, activation="tanh")
    assert torch.allclose(K, 0.3**2 + 1.7**2 * X @ X2.T / 3, rtol=0, atol=1e-14)


def test_relu_arc_cosine_values():
    # K^0 = [[1, 0, -1, 1/2], ...] on these inputs (sigma_w = 1, sigma_b = 0, d = 2), so one relu
    # layer gives J1(theta)/2pi: 1/2 at theta = 0, 1/2pi at pi/2, 0 at pi, (sqrt3/2 + pi/3)/2pi at pi/3
    r = math.sqrt(2)
    X = torch.tensor([[r, 0], [0, r], [-r, 0], [r / 2, math.sqrt(1.5)]], dtype=torch.float64)
    K = nngp_kernel(X, depth=1, sigma_w=1.0, sigma_b=0.0)
    expected = [0.5, 1 / (2 * math.pi), 0.0, (math.sqrt(3) / 2 + math.pi / 3) / (2 * math.pi)]
    assert torch.allclose(K[0], torch.tensor(expected, dtype=torch.float64), atol=1e-14)
    # the diagonal recursion K -> sigma_b^2 + sigma_w^2 K / 2 per layer
    d = nngp_diag(CUBE, depth=3, sigma_w=1.5, sigma_b=0.5)
    k = 0.25 + 2.25 * CUBE.sum(1) / 7
    for _ in range(3):
        k = 0.25 + 2.25 * k / 2
    assert torch.allclose(d, k, rtol=1e-14)


@functools.cache
def _gauss_legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes on [-12, 12] with weights times the N(0, 1) density."""
    z, w = np.polynomial.legendre.leggauss(nodes)
    return 12 * z, 12 * w * scipy.stats.norm.pdf(12 * z)


def _tanh_pair(k11, k12, k22, nodes=1000):
    """E[tanh(u) tanh(v)] by tensor Gauss-Legendre on [-12, 12]^2: a different rule from the
    module's trapezoid (agrees with mpmath to 1e-15 at (3, -2.9, 3))."""
    z, w = _gauss_legendre(nodes)
    s1, s2 = math.sqrt(k11), math.sqrt(k22)
    rho = k12 / (s1 * s2)
    a, b = rho * s2, math.sqrt(1 - rho**2) * s2
    inner = np.tanh(a * z[:, None] + b * z[None, :]) @ w
    return float((w * np.tanh(s1 * z) * inner).sum())


@pytest.mark.parametrize("k11, k12, k22", [(1.0, 0.5, 2.0), (3.0, -2.9, 3.0), (64.0, 6.0, 1.0),
                                           (0.2, 0.0, 5.0)])
def test_tanh_quadrature_matches_gauss_legendre(k11, k12, k22):
    k = [torch.tensor([v], dtype=torch.float64) for v in (k11, k12, k22)]
    got = gaussian_expectation(torch.tanh, *k)
    assert abs(float(got[0]) - _tanh_pair(k11, k12, k22)) < 1e-9


def test_tanh_kernel_diagonal_matches_1d_integral():
    # one tanh layer on x with K^0(x, x) = k: sigma_b^2 + sigma_w^2 E[tanh(sqrt(k) z)^2]
    d = nngp_diag(CUBE[[0, 1, 127]], depth=1, sigma_w=3.0, sigma_b=0.5, activation="tanh")
    for k, got in zip([0.25 + 9 * 0 / 7, 0.25 + 9 * 1 / 7, 0.25 + 9 * 7 / 7], d):
        ref = scipy.integrate.quad(lambda z: math.tanh(math.sqrt(k) * z) ** 2 * scipy.stats.norm.pdf(z),
                                   -12, 12, points=[0], epsabs=1e-14, limit=200)[0]
        assert abs(float(got) - (0.25 + 9 * ref)) < 1e-9


def test_erf_closed_form_matches_quadrature():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(6, 4, generator=gen, dtype=torch.float64)
    k0 = 0.5**2 + 1.3**2 * X @ X.T / 4
    k11, k22 = k0.diagonal()[:, None].expand_as(k0), k0.diagonal()[None, :].expand_as(k0)
    quad = gaussian_expectation(torch.erf, k11, k0, k22).reshape(6, 6)
    K = nngp_kernel(X, depth=1, sigma_w=1.3, sigma_b=0.5, activation="erf")
    assert torch.allclose(K, 0.25 + 1.69 * quad, atol=1e-10)


@pytest.mark.parametrize("activation", ["relu", "tanh", "erf"])
@pytest.mark.parametrize("sigma_b", [0.0, 1.0])
def test_kernel_is_symmetric_psd(activation, sigma_b):
    for depth in (1, 3):
        K = nngp_kernel(CUBE, depth=depth, sigma_w=2.0, sigma_b=sigma_b, activation=activation)
        assert torch.equal(K, K.T)
        assert torch.linalg.eigvalsh(K).min() > -1e-10 * K.diagonal().max()
        assert torch.allclose(K.diagonal(), nngp_diag(CUBE, depth=depth, sigma_w=2.0, sigma_b=sigma_b,
                                                      activation=activation), rtol=1e-12)


def test_cross_kernel_tiles_agree_with_the_square_kernel():
    K = nngp_kernel(CUBE, depth=2, sigma_w=1.0, sigma_b=1.0, activation="tanh")
    K2 = nngp_kernel(CUBE[:50], CUBE, depth=2, sigma_w=1.0, sigma_b=1.0, activation="tanh")
    assert torch.allclose(K[:50], K2, atol=1e-12)


def _readout_moments(activation, sigma_b, width, n_nets, chunk, seed=0):
    """Per-net E[f f' | hidden layers] = sigma_b^2 + h2 . h2' / width (sigma_w = 1), over nets.

    The read-out weights are independent of the hidden layers, so averaging over them
    analytically leaves the read-out covariance unchanged (law of total covariance) and cuts
    the MC variance ~width-fold. Returns the mean over nets and its standard error.
    """
    gen = torch.Generator().manual_seed(seed)
    X = CUBE.to(F32)
    total, total_sq = 0.0, 0.0
    for _ in range(n_nets // chunk):
        params = init_params(layer_widths(7, 2, width), chunk, sigma_w=1.0, sigma_b=sigma_b, gen=gen,
                             device="cpu", dtype=F32)
        h = forward(params[:2], X, activation)  # last hidden pre-activations [B, N, width]
        h = torch.relu(h) if activation == "relu" else torch.tanh(h)
        k = sigma_b**2 + (h @ h.transpose(1, 2)).double() / width
        total, total_sq = total + k.sum(0), total_sq + (k * k).sum(0)
    mean = total / n_nets
    return mean, ((total_sq / n_nets - mean**2).clamp_min(0) / (n_nets - 1)).sqrt()


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("sigma_b", [1.0, 0.0])
def test_kernel_is_the_covariance_of_wide_random_nets(activation, sigma_b):
    # T14: depth 2, width 1024, all 128 inputs. Finite-width bias: given layer 1, layer-2
    # pre-activations are exactly Gaussian with covariance Sigma1 (an average of `width` iid
    # terms), so the bias is the second-order term of E[F(Sigma1)] - F(K1): O(1/width). Measured
    # with 2-4e4 nets at widths 64 and 256, |bias| < 0.1 K / width; we allow 1.0 K / width.
    width = 1024
    mean, se = _readout_moments(activation, sigma_b, width, n_nets=128, chunk=16)
    K = nngp_kernel(CUBE, depth=2, sigma_w=1.0, sigma_b=sigma_b, activation=activation)
    tol = Z_MC * se + K.abs() / width + 1e-6  # 1e-6: float32 nets
    assert ((mean - K).abs() <= tol).all(), float(((mean - K).abs() / tol).max())
    # negative control: a 5 % larger sigma_w is rejected
    K_wrong = nngp_kernel(CUBE, depth=2, sigma_w=1.05, sigma_b=sigma_b, activation=activation)
    assert ((mean - K_wrong).abs() > tol).any()


def test_kernel_is_the_covariance_of_the_readout_itself():
    # the same check on the read-out f = forward(...) of 10k nets, without averaging the last
    # layer analytically: cov = E[f f'] (zero mean), standard error from the sample of f f'
    gen = torch.Generator().manual_seed(1)
    X = CUBE[::4].to(F32)  # 32 inputs
    width, n = 128, 10_000
    f = forward(init_params(layer_widths(7, 2, width), n, sigma_w=1.0, sigma_b=1.0, gen=gen,
                            device="cpu", dtype=F32), X).double()
    prod = f[:, :, None] * f[:, None, :]
    mean, se = prod.mean(0), prod.std(0) / n**0.5
    K = nngp_kernel(X, depth=2, sigma_w=1.0, sigma_b=1.0)
    assert ((mean - K).abs() <= Z_MC * se + K / width).all()


def test_gpytorch_kernel_equals_nngp_kernel():
    kern = NNGPKernel(depth=2, sigma_w=1.0, sigma_b=1.0, activation="tanh")
    K = nngp_kernel(CUBE, depth=2, sigma_w=1.0, sigma_b=1.0, activation="tanh")
    assert torch.allclose(kern(CUBE).to_dense(), K, atol=1e-14)
    assert torch.allclose(kern(CUBE[:10], CUBE[5:20]).to_dense(), K[:10, 5:20], atol=1e-12)
    assert torch.allclose(kern(CUBE, diag=True), K.diagonal(), atol=1e-14)
    batched = kern(torch.stack([CUBE[:8], CUBE[8:16]])).to_dense()
    assert torch.allclose(batched[1], K[8:16, 8:16], atol=1e-12)
    assert kern(CUBE.to(F32)).to_dense().dtype == F32


class _GP(gpytorch.models.ExactGP):
    def __init__(self, X, y, likelihood):
        super().__init__(X, y, likelihood)
        self.mean = gpytorch.means.ZeroMean()
        self.kern = NNGPKernel(depth=2, sigma_w=1.0, sigma_b=1.0)

    def forward(self, x):
        return gpytorch.distributions.MultivariateNormal(self.mean(x), self.kern(x))


def test_gpytorch_exact_gp_marginal_likelihood():
    y = CUBE.sum(1) % 2 * 2 - 1.0  # parity as +-1 regression targets
    lik = gpytorch.likelihoods.GaussianLikelihood().double()
    lik.noise = 0.1
    model = _GP(CUBE, y, lik).double()
    model.train()
    mll = gpytorch.mlls.ExactMarginalLogLikelihood(lik, model)(model(CUBE), y).detach()
    noise = float(lik.noise)  # 0.1 up to the softplus round trip
    K = nngp_kernel(CUBE, depth=2, sigma_w=1.0, sigma_b=1.0).numpy()
    ref = scipy.stats.multivariate_normal(cov=K + noise * np.eye(128)).logpdf(y.numpy()) / 128
    assert abs(float(mll) - ref) < 1e-10
    model.eval()
    with torch.no_grad(), gpytorch.settings.debug(False):  # predicting at the training inputs
        pred = lik(model(CUBE))
    assert torch.allclose(pred.mean, torch.as_tensor(K @ np.linalg.solve(K + noise * np.eye(128), y.numpy())),
                          atol=1e-6)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="activation"):
        nngp_kernel(CUBE, depth=1, sigma_w=1.0, sigma_b=0.0, activation="gelu")
    with pytest.raises(ValueError, match="depth"):
        nngp_kernel(CUBE, depth=-1, sigma_w=1.0, sigma_b=0.0)
    with pytest.raises(ValueError, match="depth"):
        nngp_kernel(CUBE, depth=1.0, sigma_w=1.0, sigma_b=0.0)
    with pytest.raises(ValueError, match="2-D"):
        nngp_kernel(CUBE[0], depth=1, sigma_w=1.0, sigma_b=0.0)
    with pytest.raises(ValueError, match="dimensions differ"):
        nngp_kernel(CUBE, CUBE[:, :3], depth=1, sigma_w=1.0, sigma_b=0.0)
    with pytest.raises(ValueError, match="paired"):
        nngp_diag(CUBE, CUBE[:3], depth=1, sigma_w=1.0, sigma_b=0.0)
    with pytest.raises(ValueError, match="activation"):
        NNGPKernel(depth=1, sigma_w=1.0, sigma_b=0.0, activation="sigmoid")
