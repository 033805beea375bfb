"""The exact QNN -> perceptron map (arXiv 2407.04371; note §1.2).

  f(x) = <psi(x)| U^dag M U |psi(x)> = sum_jk O_jk psi_j* psi_k = vec(O) . h(x),
  O = U^dag M U,  h(x) = psi(x)* (x) psi(x)  (complex, D^2 entries).

Its real form, the "tensor-product perceptron" this pipeline trains and samples:
  h_R(x) = (|psi_j|^2 ; sqrt2 Re psi_j* psi_k ; sqrt2 Im psi_j* psi_k)_{j<k}  in R^{D^2},
  w_R    = (O_jj ; sqrt2 Re O_jk ; -sqrt2 Im O_jk)_{j<k},     f(x) = w_R . h_R(x).
|h_R(x)| = <psi|psi> = 1 and h_R(x) . h_R(x') = |<psi(x)|psi(x')>|^2 = F(x, x'): the fidelity
kernel is the perceptron's kernel; |w_R| = |O|_F.
"""

import numpy as np
import torch


def _upper(D: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.triu_indices(D, D, offset=1, device=device).unbind(0)


def tensor_features(states: torch.Tensor) -> torch.Tensor:
    """h(x) = psi* (x) psi as complex [..., D*D] (entry j*D + k is psi_j* psi_k)."""
    return (states.conj()[..., :, None] * states[..., None, :]).flatten(-2)


def quadratic_features(states: torch.Tensor) -> torch.Tensor:
    """h_R(x) [..., D^2] real (see module doc); differentiable, so layered QNNs train through it."""
    D = states.shape[-1]
    j, k = _upper(D, states.device)
    cross = states.conj()[..., j] * states[..., k] * 2**0.5
    imag = cross.imag if cross.is_complex() else torch.zeros_like(cross)  # real amplitudes
    return torch.cat([states.abs() ** 2, cross.real, imag], -1)


def observable_weights(O: torch.Tensor) -> torch.Tensor:
    """w_R [..., D^2] of a Hermitian O [..., D, D], so that w_R . h_R(x) = <psi|O|psi>."""
    D = O.shape[-1]
    j, k = _upper(D, O.device)
    cross = O[..., j, k] * 2**0.5
    return torch.cat([torch.diagonal(O, dim1=-2, dim2=-1).real, cross.real, -cross.imag], -1)


def weights_observable(w: torch.Tensor) -> torch.Tensor:
    """The Hermitian O [..., D, D] of weights w_R [..., D^2] (inverse of `observable_weights`)."""
    D = int(round(w.shape[-1] ** 0.5))
    j, k = _upper(D, w.device)
    m = len(j)
    dtype = torch.complex128 if w.dtype == torch.float64 else torch.complex64
    O = torch.zeros(*w.shape[:-1], D, D, dtype=dtype, device=w.device)
    O[..., torch.arange(D), torch.arange(D)] = w[..., :D].to(dtype)
    cross = torch.complex(w[..., D : D + m], -w[..., D + m :]) / 2**0.5
    O[..., j, k] = cross
    O[..., k, j] = cross.conj()
    return O


def fidelity_kernel(states: torch.Tensor) -> torch.Tensor:
    """F(x, x') = |<psi(x)|psi(x')>|^2 [N, N]: the kernel of the mapped perceptron."""
    return (states.conj() @ states.T).abs() ** 2



def state_classes(states: torch.Tensor, *, up_to_phase: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(first, inverse): the first input of each class of bit-for-bit equal states [N, D] (equal
    up to a global phase, i.e. equal h(x), when `up_to_phase`), classes in first-seen order, and
    each input's class. A model that computes each class once gives its inputs equal outputs
    exactly, as the theorems f(x) = f(-x) (amplitude +-1) and the dense-angle pitfall say; a
    sampler over all N inputs breaks them at round-off (a factor of the rank-deficient kernel)."""
    key = (tensor_features(states) if up_to_phase else states).detach().cpu().numpy() + 0.0  # -0.0 -> 0.0
    rows = np.ascontiguousarray(key).view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, first, inverse = np.unique(rows, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order], rank[inverse.ravel()]
