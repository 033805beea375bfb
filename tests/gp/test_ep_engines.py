"""EP's precision engine (`_posterior_precision`, LAPACK on K^-1 + diag(tau)) against the
stable B-form (`_posterior`, R&W Alg. 3.5), and its fallback where K^-1 would cost digits."""

import numpy as np
import pytest
import torch

from nnbayes.core.boolean import boolean_cube
from nnbayes.gp import ep
from nnbayes.gp.base import prepare_kernel
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.gp.prob import log_prob_labels_batch

CUBE = boolean_cube(7)


def kernel(**net) -> torch.Tensor:
    return torch.as_tensor(prepare_kernel(nngp_kernel(CUBE, **net).numpy(), 128, None, 1e-8))


def random_sites(F: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Site precisions over 8 decades (and some exactly 0, as EP's start and clamp give), means."""
    rng = np.random.default_rng(seed)
    tau = 10 ** rng.uniform(-4, 4, (F, n)) * (rng.random((F, n)) > 0.1)
    return torch.as_tensor(tau), torch.as_tensor(rng.normal(0, 3, (F, n)))


@pytest.mark.parametrize("net", [{"depth": 2, "sigma_w": 1.0, "sigma_b": 1.0},
                                 {"depth": 10, "sigma_w": 1.0, "sigma_b": 0.1, "activation": "tanh"}])
def test_precision_posterior_is_the_b_form_posterior(net):
    """diag Sigma, mu and log|B| / 2 agree to 1e-9 relative on kernels of condition 1e6 - 5e6
    (the pipeline's ReLU and ten-layer tanh NNGPs), with sites from 1e-4 to 1e4."""
    K = kernel(**net)
    P = ep._precision_factor(K)
    assert P is not None
    tau, nu = random_sites(8, 128, 0)
    ld_a, var_a, mu_a, _ = ep._posterior_precision(P, tau, nu)
    ld_b, var_b, mu_b, _ = ep._posterior(K, tau, nu)
    np.testing.assert_allclose(var_a, var_b, rtol=1e-9)
    np.testing.assert_allclose(mu_a, mu_b, rtol=1e-9, atol=1e-9 * mu_b.abs().max().item())
    np.testing.assert_allclose(ld_a, ld_b, rtol=1e-10)


def test_ill_conditioned_kernels_fall_back_to_the_lean_engine():
    """The perceptron's kernel on the cube (rank 8, condition ~1e10 after the jitter) is not
    inverted: "fast" runs `_posterior_lean` there, to the same bytes as engine "lean"."""
    K = kernel(depth=0, sigma_w=1.0, sigma_b=1.0)
    assert ep._precision_factor(K) is None and ep._precision_factor(kernel(depth=2, sigma_w=1.0, sigma_b=1.0))
    Y = np.random.default_rng(1).integers(0, 2, (4, 128))
    fast = log_prob_labels_batch(K.numpy(), Y, "ep", jitter=0, max_iter=30)
    lean = log_prob_labels_batch(K.numpy(), Y, "ep", jitter=0, max_iter=30, engine="lean")
    assert fast.log_p.tobytes() == lean.log_p.tobytes()


def test_precision_engine_needs_a_positive_definite_precision():
    """A negative site precision that makes K^-1 + diag(tau) indefinite is refused, not
    returned as a silently wrong posterior."""
    K = kernel(depth=2, sigma_w=1.0, sigma_b=1.0)
    tau = torch.zeros(1, 128, dtype=torch.float64)
    tau[0, 0] = -2 * ep._precision_factor(K)[0].diagonal().max()
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        ep._posterior_precision(ep._precision_factor(K), tau, torch.zeros_like(tau))
