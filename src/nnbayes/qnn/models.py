"""Random QNN outputs f(x) on a set of embedded inputs, batched over many random models.

Sampling schemes for P(f) (note §1.4; which one the paper used is not known, so all are kept):
  * haar     U Haar on U(D), M = Z on one qubit. O = U^dag M U = 2P - I with P the projector
             onto a Haar-random D/2-dim subspace, which is all f depends on, so we draw P as
             the column space of a D x D/2 complex Ginibre matrix G:
             f = 2 |L^-1 G^dag psi|^2 - 1, G^dag G = L L^dag (no full unitary, no QR).
             Exact second moment: E[f f'] = (D F - 1)/(D^2 - 1) (tested).
  * gue      Gaussian perceptron weights on h_R: w_R ~ N(0, I) (O from the GUE with unit
             diagonal variance). Then f ~ N(0, F) exactly: sampled from a factor of F.
  * circuit  the layered hardware-efficient ansatz with angles ~ U[0, 2 pi), M = Z_qubit,
             simulated state by state.
and, beyond plain QNNs (note §1.8), `qnn_kernel`: the fidelity (or overlap) kernel fed into the
NNGP recursion of a deep ReLU net, whose GP samples are the "DNN-inspired kernel" prior.
"""

import math

import torch

from nnbayes.gp.nngp import nngp_kernel
from nnbayes.qnn.map import fidelity_kernel, weights_observable
from nnbayes.qnn.quantum import complex_normal, expectation, hea_apply, n_qubits, real_dtype, z_expectation

SCHEMES = ("haar", "gue", "circuit")
KERNEL_BASES = ("fidelity", "overlap")


def haar_outputs(states: torch.Tensor, batch: int, *, gen: torch.Generator) -> torch.Tensor:
    """f [batch, N] of `batch` Haar QNNs (M = Z on any one qubit: Haar makes them equal in law)
    on states [N, D] shared by all, or [batch, N, D] one set per model."""
    D = states.shape[-1]
    G = complex_normal((batch, D, D // 2), gen=gen, dtype=states.dtype, device=states.device)
    L = torch.linalg.cholesky(G.mH @ G)
    if states.dim() == 2:
        proj = G.mH @ states.T  # [B, k, N]
    else:
        proj = G.mH @ states.transpose(-1, -2)
    Y = torch.linalg.solve_triangular(L, proj, upper=False)
    return 2 * (Y.abs() ** 2).sum(-2) - 1


def gaussian_factor(K: torch.Tensor) -> torch.Tensor:
    """R [N, N] with R R^T = K (PSD part; eigenvalues below 0 are round-off, clipped)."""
    evals, evecs = torch.linalg.eigh(K.to(torch.float64))
    return evecs * evals.clamp_min(0).sqrt()


def gaussian_outputs(factor: torch.Tensor, batch: int, *, gen: torch.Generator, dtype: torch.dtype) -> torch.Tensor:
    """f [batch, N] ~ N(0, R R^T): samples of a zero-mean GP with kernel factor R."""
    z = torch.randn(batch, factor.shape[1], generator=gen, device=factor.device, dtype=dtype)
    return z @ factor.to(dtype).T


def gue_outputs(states: torch.Tensor, batch: int, *, gen: torch.Generator) -> torch.Tensor:
    """f [batch, N] = w_R . h_R(x) with w_R ~ N(0, I): from F's factor for shared states [N, D];
    as <psi|O|psi> with O built from w_R for per-model states [batch, N, D] (equal in law:
    N(0, F); O avoids materialising D^2 features per input)."""
    real = real_dtype(states.dtype)
    if states.dim() == 2:
        return gaussian_outputs(gaussian_factor(fidelity_kernel(states)), batch, gen=gen, dtype=real)
    D = states.shape[-1]
    w = torch.randn(batch, D * D, generator=gen, device=states.device, dtype=real)
    return expectation(states, weights_observable(w))


def circuit_outputs(states: torch.Tensor, batch: int, *, layers: int, qubit: int,
                    gen: torch.Generator) -> torch.Tensor:
    """f [batch, N] of hardware-efficient ansatz QNNs with angles ~ U[0, 2 pi), M = Z_qubit."""
    q = n_qubits(states.shape[-1])
    angles = 2 * math.pi * torch.rand(batch, layers, q, 2, generator=gen, device=states.device,
                                      dtype=real_dtype(states.dtype))
    out = hea_apply(states.expand(batch, *states.shape[-2:]), angles)
    return z_expectation(out, qubit)


def qnn_outputs(scheme: str, states: torch.Tensor, batch: int, *, gen: torch.Generator,
                layers: int = 1, qubit: int = 1) -> torch.Tensor:
    """Dispatch on the sampling scheme (see module doc)."""
    if scheme == "haar":
        return haar_outputs(states, batch, gen=gen)
    if scheme == "gue":
        return gue_outputs(states, batch, gen=gen)
    if scheme == "circuit":
        return circuit_outputs(states, batch, layers=layers, qubit=qubit, gen=gen)
    raise ValueError(f"QNN scheme {scheme!r} is not one of {list(SCHEMES)}")


def qnn_kernel(states: torch.Tensor, *, base: str, depth: int, sigma_w: float, sigma_b: float) -> torch.Tensor:
    """The QNN-generated, DNN-inspired kernel [N, N] float64 (note §1.8):
    Sigma^1 = sigma_w^2 k0 + sigma_b^2, then `depth` ReLU (arc-cosine) NNGP layers.

    k0 is the fidelity |<psi|psi'>|^2 (swap test) or the overlap Re <psi|psi'> (Hadamard test).
    It enters `nngp.nngp_kernel` as inputs X with X X^T / d = k0 (X = sqrt(d) R, R R^T = k0, an
    N-column factor however large D is), so the recursion is the network prior's own.
    """
    s = states.to(torch.complex128)
    if base == "fidelity":
        k0 = fidelity_kernel(s)
    elif base == "overlap":
        k0 = (s.conj() @ s.T).real
    else:
        raise ValueError(f"kernel base {base!r} is not one of {list(KERNEL_BASES)}")
    R = gaussian_factor(k0)
    return nngp_kernel(R * math.sqrt(R.shape[1]), depth=depth, sigma_w=sigma_w, sigma_b=sigma_b,
                       activation="relu")
