"""A small batched state-vector simulator (torch, complex dtype) for the QNN stages.

Conventions, used by every qnn_* module and checked against Qiskit in the tests:
  * q qubits, D = 2^q amplitudes; qubit 1 is the most significant bit of the basis index, so
    basis state |x_1 ... x_q> has index int("x_1...x_q", 2), the Boolean cube's row order;
  * states are tensors [..., D]: any leading batch dims (circuits, inputs) broadcast;
  * a QNN output is <psi| U^dag M U |psi> with M = Z on one qubit (a Pauli observable).

Gates act by reshaping the amplitude axis to [..., 2^(k-1), 2, 2^(q-k)] and mixing the middle
axis, so a layer on B circuits x N inputs is a few tensor ops, never a loop over circuits.
"""

import math

import torch

COMPLEX = {torch.float32: torch.complex64, torch.float64: torch.complex128}


def complex_dtype(dtype: torch.dtype) -> torch.dtype:
    """The complex dtype with `dtype`'s precision (float32 -> complex64)."""
    if dtype in COMPLEX.values():
        return dtype
    if dtype not in COMPLEX:
        raise ValueError(f"dtype {dtype} is not one of {list(COMPLEX)}")
    return COMPLEX[dtype]


def n_qubits(dim: int) -> int:
    q = int(round(math.log2(dim)))
    if 2**q != dim:
        raise ValueError(f"state dimension {dim} is not a power of 2")
    return q


def apply_1q(state: torch.Tensor, gate: torch.Tensor, qubit: int) -> torch.Tensor:
    """Apply 2x2 gates to `qubit` (1-based): state [..., D], gate [..., 2, 2] broadcast over
    the state's leading dims (one gate per circuit: shape [B, 1, 2, 2] against [B, N, D])."""
    D = state.shape[-1]
    q = n_qubits(D)
    if not 1 <= qubit <= q:
        raise ValueError(f"qubit {qubit} is outside 1..{q}")
    s = state.reshape(*state.shape[:-1], 2 ** (qubit - 1), 2, 2 ** (q - qubit))
    g = gate.unsqueeze(-3)  # [..., 1, 2, 2]: broadcast over the high-index block
    s0, s1 = s[..., 0, :], s[..., 1, :]
    out0 = g[..., 0, 0, None] * s0 + g[..., 0, 1, None] * s1
    out1 = g[..., 1, 0, None] * s0 + g[..., 1, 1, None] * s1
    return torch.stack([out0, out1], dim=-2).reshape(*out0.shape[:-2], D)


def ry(theta: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """RY(theta) = exp(-i theta Y / 2) = [[c, -s], [s, c]], c = cos(theta/2): [..., 2, 2]."""
    c, s = torch.cos(theta / 2), torch.sin(theta / 2)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2).to(dtype)


def rz(phi: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """RZ(phi) = exp(-i phi Z / 2) = diag(e^{-i phi/2}, e^{i phi/2}): [..., 2, 2]."""
    e = torch.exp(0.5j * phi.to(dtype))
    z = torch.zeros_like(e)
    return torch.stack([torch.stack([e.conj(), z], -1), torch.stack([z, e], -1)], -2)


def cnot_permutation(q: int, control: int, target: int) -> torch.Tensor:
    """Index map of CNOT(control -> target): new[i] = old[perm[i]] (a permutation, its own inverse)."""
    if control == target or not (1 <= control <= q and 1 <= target <= q):
        raise ValueError(f"CNOT({control}, {target}) is not valid on {q} qubits")
    i = torch.arange(2**q)
    c = (i >> (q - control)) & 1
    return i ^ (c << (q - target))


def ladder_permutation(q: int) -> torch.Tensor:
    """CNOT(1->2), then CNOT(2->3), ..., CNOT(q-1->q), composed into one index map."""
    perm = torch.arange(2**q)
    for k in range(1, q):
        perm = perm[cnot_permutation(q, k, k + 1)]
    return perm


def product_matrix(gates: torch.Tensor) -> torch.Tensor:
    """The tensor product gates[..., 0] (x) ... (x) gates[..., q-1] of one layer of single-qubit
    gates [..., q, 2, 2] as matrices [..., D, D] (qubit 1 = the most significant factor)."""
    K = gates[..., 0, :, :]
    for k in range(1, gates.shape[-3]):
        g = gates[..., k, :, :]
        K = (K[..., :, None, :, None] * g[..., None, :, None, :]).flatten(-4, -3).flatten(-2, -1)
    return K


def hea_apply(state: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """The layered hardware-efficient ansatz U(theta) applied to states.

    angles [B, L, q, 2]: layer l applies RY(angles[..., 0]) then RZ(angles[..., 1]) on every
    qubit, then the CNOT ladder 1->2->...->q. state [B, N, D] (or [B, D]); the b-th circuit
    acts on state[b]. Each layer is one dense [D, D] matrix per circuit (the rotations' tensor
    product with the ladder's permutation folded into its rows), so a layer is one batched
    matmul: for D <= 128 that beats q strided 2x2 updates by several times on a CPU.
    """
    B, L, q, _ = angles.shape
    if 2**q != state.shape[-1]:
        raise ValueError(f"{q}-qubit angles on {state.shape[-1]}-dim states")
    perm = ladder_permutation(q).to(state.device)
    squeeze = state.dim() == 2
    state = state.unsqueeze(1) if squeeze else state
    for layer in range(L):
        gates = rz(angles[:, layer, :, 1], state.dtype) @ ry(angles[:, layer, :, 0], state.dtype)
        layer_matrix = product_matrix(gates)[:, perm, :]  # new[i] = (K psi)[perm[i]]
        state = state @ layer_matrix.transpose(-1, -2)
    return state.squeeze(1) if squeeze else state


def hea_unitary(angles: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """U(theta) as matrices [B, D, D]: the ansatz applied to every basis state (columns)."""
    B, _, q, _ = angles.shape
    eye = torch.eye(2**q, dtype=dtype, device=angles.device).expand(B, -1, -1)
    return hea_apply(eye, angles).transpose(-1, -2)  # row b, j of hea_apply = U e_j


def complex_normal(shape: tuple, *, gen: torch.Generator, dtype: torch.dtype, device) -> torch.Tensor:
    """Standard complex Gaussian entries (E|z|^2 = 1) of complex `dtype`: a Ginibre matrix."""
    re_im = torch.randn(*shape, 2, generator=gen, device=device, dtype=real_dtype(dtype))
    return torch.view_as_complex(re_im) / math.sqrt(2)


def haar_unitary(batch: int, dim: int, *, gen: torch.Generator, dtype: torch.dtype,
                 device: torch.device) -> torch.Tensor:
    """Haar-random unitaries [batch, dim, dim]: QR of a complex Ginibre matrix with the phase
    fix U = Q diag(R_jj / |R_jj|) (Mezzadri 2007; without it QR's sign convention biases U)."""
    Q, R = torch.linalg.qr(complex_normal((batch, dim, dim), gen=gen, dtype=dtype, device=device))
    d = torch.diagonal(R, dim1=-2, dim2=-1)
    return Q * (d / d.abs()).unsqueeze(-2)


def z_observable(q: int, qubit: int, dtype: torch.dtype, device=None) -> torch.Tensor:
    """The diagonal of Z on `qubit` (1-based): +1 where that bit is 0, -1 where it is 1. [D]"""
    if not 1 <= qubit <= q:
        raise ValueError(f"observable qubit {qubit} is outside 1..{q}")
    bit = (torch.arange(2**q, device=device) >> (q - qubit)) & 1
    return (1 - 2 * bit).to(dtype)


def z_expectation(state: torch.Tensor, qubit: int) -> torch.Tensor:
    """<psi| Z_qubit |psi> for states [..., D] -> real [...]."""
    z = z_observable(n_qubits(state.shape[-1]), qubit, real_dtype(state.dtype), state.device)
    return (state.abs() ** 2) @ z


def expectation(state: torch.Tensor, O: torch.Tensor) -> torch.Tensor:
    """<psi| O |psi> (real part) for states [..., N, D] and Hermitian O [..., D, D] -> [..., N]."""
    return torch.einsum("...nj,...jk,...nk->...n", state.conj(), O, state).real


def real_dtype(dtype: torch.dtype) -> torch.dtype:
    """complex64 -> float32, complex128 -> float64 (real dtypes pass through)."""
    return {torch.complex64: torch.float32, torch.complex128: torch.float64}.get(dtype, dtype)
