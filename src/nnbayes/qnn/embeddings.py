"""Embeddings of Boolean inputs x in {0,1}^n into q-qubit states |psi(x)> (QNN paper, note §1.3).

Each spec is a dict with `kind` and its parameters:
  * basis        |x> on n qubits: one-hot, F(x, x') = delta_xx'.
  * amplitude    inputs pm: (2x - 1)/sqrt(n) padded to 2^ceil(log2 n) amplitudes;
                 inputs binary: x/|x| needs x != 0, so `zero` says how x = 0 is handled:
                 "constant" appends a constant amplitude c, (x, c)/|(x, c)|; "drop" leaves
                 x = 0 out of the domain (expressivity counts on 2^n - 1 inputs).
  * angle        (x) cos(theta x_j / 2)|0> + sin(theta x_j / 2)|1> (theta in radians).
  * dense_angle  two bits (a, b) per qubit: cos(alpha)|0> + e^{i phase b} sin(alpha)|1>, with
                 alpha = pi (offset_pi + scale_pi a) and phase = pi phase_pi (angles in units
                 of pi so that phase_pi = 2, LaRose & Coyle's e^{2 pi i b}, is exact: `_cis_pi`
                 gives exactly 1, where exp(2 pi i) in floating point is 1 - 2.4e-16 i). That
                 choice with scale_pi = 0.5 is the pitfall: on b in {0, 1} the phase is 1 and
                 b vanishes; with a in {0, 1} and alpha in {0, pi/2} it is a global phase too.
  * zz           Havlicek et al.'s ZZ feature map as Qiskit's ZZFeatureMap builds it: `reps`
                 times H on every qubit then exp(i sum_j 2 x_j b_j + i sum_{j<k}
                 2 (pi - x_j)(pi - x_k) (b_j xor b_k)) on basis state b (full entanglement).
Returned states are complex [N, D] for the N rows of the cube, with a bool mask of the inputs
the embedding can encode (all, except x = 0 under zero: drop).
"""

import math

import numpy as np
import torch

from nnbayes.qnn.quantum import apply_1q

KINDS = ("basis", "amplitude", "angle", "dense_angle", "zz")
AMPLITUDE_INPUTS = ("pm", "binary")
ZERO_HANDLING = ("constant", "drop")


def _pad(v: torch.Tensor) -> torch.Tensor:
    """Zero-pad the last axis to the next power of 2 (at least 2: one qubit)."""
    d = max(2, 1 << (v.shape[-1] - 1).bit_length())
    return torch.nn.functional.pad(v, (0, d - v.shape[-1]))


def _kron_rows(factors: list[torch.Tensor]) -> torch.Tensor:
    """Row-wise tensor product of per-qubit states [N, 2] -> [N, 2^q] (qubit 1 most significant)."""
    out = factors[0]
    for f in factors[1:]:
        out = (out[:, :, None] * f[:, None, :]).reshape(len(out), -1)
    return out


def _cis_pi(t: torch.Tensor) -> torch.Tensor:
    """e^{i pi t}, exactly +-1 where t is an integer: a phase of 2 pi b with b in {0, 1} is then
    exactly 1, so the states of inputs that differ only in b are equal bit for bit."""
    t = torch.remainder(t, 2.0)
    return torch.where(t == t.round(), torch.cos(math.pi * t).round().to(torch.complex128), torch.exp(1j * math.pi * t))


def _qubit(c: torch.Tensor, s: torch.Tensor, phase_pi: torch.Tensor | None = None) -> torch.Tensor:
    one = s.to(torch.complex128) * (1 if phase_pi is None else _cis_pi(phase_pi))
    return torch.stack([c.to(torch.complex128), one], -1)


def embed(spec: dict, cube: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
    """States [N, D] complex128 (unit norm) of the cube's rows, and the bool [N] domain mask."""
    kind = spec.get("kind")
    x = torch.tensor(np.asarray(cube, dtype=np.float64))
    N, n = x.shape
    keep = np.ones(N, dtype=bool)
    if kind == "basis":
        index = (x.long() << torch.arange(n - 1, -1, -1)).sum(1)
        states = torch.nn.functional.one_hot(index, 2**n).to(torch.complex128)
    elif kind == "amplitude":
        inputs = spec.get("inputs")
        if inputs == "pm":
            v = 2 * x - 1
        elif inputs == "binary":
            zero = spec.get("zero")
            if zero == "constant":
                v = torch.cat([x, torch.full((N, 1), float(spec.get("constant", 1.0)), dtype=x.dtype)], 1)
            elif zero == "drop":
                v, keep = x, x.sum(1).numpy() > 0
            else:
                raise ValueError(f"amplitude zero handling {zero!r} is not one of {list(ZERO_HANDLING)}")
        else:
            raise ValueError(f"amplitude inputs {inputs!r} is not one of {list(AMPLITUDE_INPUTS)}")
        v = _pad(v)
        norm = v.norm(dim=1, keepdim=True)
        states = torch.where(norm > 0, v / norm.clamp_min(1e-300), 0).to(torch.complex128)
    elif kind == "angle":
        half = float(spec["theta"]) * x / 2
        states = _kron_rows([_qubit(torch.cos(half[:, j]), torch.sin(half[:, j])) for j in range(n)])
    elif kind == "dense_angle":
        xp = torch.nn.functional.pad(x, (0, n % 2))  # odd n: the last qubit's b is 0
        a, b = xp[:, 0::2], xp[:, 1::2]
        alpha = math.pi * (float(spec["offset_pi"]) + float(spec["scale_pi"]) * a)
        phase_pi = float(spec["phase_pi"]) * b
        states = _kron_rows([_qubit(torch.cos(alpha[:, j]), torch.sin(alpha[:, j]), phase_pi[:, j])
                             for j in range(a.shape[1])])
    elif kind == "zz":
        states = _zz_states(x, int(spec["reps"]))
    else:
        raise ValueError(f"embedding kind {kind!r} is not one of {list(KINDS)}")
    return states, keep


def _zz_states(x: torch.Tensor, reps: int) -> torch.Tensor:
    N, n = x.shape
    b = ((torch.arange(2**n)[:, None] >> torch.arange(n - 1, -1, -1)) & 1).to(x.dtype)  # [D, n]
    phase = 2 * x @ b.T  # sum_j 2 x_j b_j
    for j in range(n):
        for k in range(j + 1, n):
            xor = (b[:, j] - b[:, k]).abs()
            phase = phase + 2 * ((math.pi - x[:, j]) * (math.pi - x[:, k]))[:, None] * xor
    diag = torch.exp(1j * phase)
    hadamard = torch.tensor([[1, 1], [1, -1]], dtype=torch.complex128) / math.sqrt(2)
    state = torch.zeros(N, 2**n, dtype=torch.complex128)
    state[:, 0] = 1
    for _ in range(reps):
        for q in range(1, n + 1):
            state = apply_1q(state, hadamard, q)
        state = state * diag
    return state

