"""A layered non-linear QNN ("DQNN", note §1.9): quantum neurons, a classical ReLU, re-encoding.

Layer 1: m neurons, each a QNN (a tensor-product perceptron, by the map) on the amplitude state
x~ = (x, c)/|(x, c)| of x in {0,1}^n: z_j = w_j . h_R(x~). The ReLU is applied classically to
the measured z_j, and a = relu(z) is amplitude-encoded again with a constant amplitude,
a~ = (a, 1)/|(a, 1)|, for the read-out neuron f = w_out . h_R(a~).

Why the constant amplitude: x~^T A x~ then holds constant, linear and quadratic terms, so one
neuron realises any minterm [x = a] and the read-out an OR: two layers of width 2^(n-1) express
every Boolean function (`dnf_weights` builds them; the paper's "provably fully expressive"). The
exact construction of the paper was not found; this is the note's reconstruction [R]. Neuron
observables here are general Hermitian matrices (TPP weights); A/|A| is a measurable
contraction, realisable as U^dag M U on one extra ancilla.
"""

import numpy as np
import torch

from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.map import observable_weights, quadratic_features, weights_observable
from nnbayes.qnn.models import qnn_outputs

SCHEMES = ("gue", "haar")


def input_states(spec: dict, cube: np.ndarray) -> torch.Tensor:
    """First-layer states [N, D1] complex128; the construction needs (x, c)/|(x, c)|."""
    if (spec.get("kind"), spec.get("inputs"), spec.get("zero")) != ("amplitude", "binary", "constant"):
        raise ValueError(f"the layered QNN's input embedding must be amplitude/binary/constant, got {spec}")
    return embed(spec, cube)[0]


def input_features(spec: dict, cube: np.ndarray) -> torch.Tensor:
    """h_R(x~) [N, D1^2] float64 of the first layer (real amplitudes: the imaginary block is 0)."""
    return quadratic_features(input_states(spec, cube).real)


def _encode(a: torch.Tensor) -> torch.Tensor:
    """(a, 1)/|(a, 1)| zero-padded to a power of 2: the read-out neuron's input states."""
    v = torch.cat([a, torch.ones_like(a[..., :1])], -1)
    d = 1 << (v.shape[-1] - 1).bit_length()
    v = torch.nn.functional.pad(v, (0, d - v.shape[-1]))
    return v / v.norm(dim=-1, keepdim=True)


def readout_dim(width: int) -> int:
    """D2^2: the read-out neuron's weight count for `width` hidden neurons."""
    return (1 << width.bit_length()) ** 2


def forward(H1: torch.Tensor, W1: torch.Tensor, w_out: torch.Tensor) -> torch.Tensor:
    """f [B, N] for first-layer features H1 [N, D1^2], W1 [B, m, D1^2], w_out [B, D2^2].

    The read-out is w_out . h_R(a~) = a~^T O a~ with O = weights_observable(w_out): the same
    number without D2^2 features per input (a~ is real, so only Re O enters)."""
    a = torch.relu(torch.einsum("nd,bmd->bnm", H1, W1))
    v = _encode(a)
    return torch.einsum("bnd,bde,bne->bn", v, weights_observable(w_out).real, v)


def sample_outputs(states1: torch.Tensor, width: int, batch: int, *, scheme: str,
                   gen: torch.Generator) -> torch.Tensor:
    """f [batch, N] of random DQNNs on first-layer states [N, D1]: every neuron's observable
    drawn independently by `scheme` (gue: w_R ~ N(0, I), the law `forward` trains from; haar:
    U^dag Z U with U Haar)."""
    if scheme not in SCHEMES:
        raise ValueError(f"layered QNN scheme {scheme!r} is not one of {list(SCHEMES)}")
    z = qnn_outputs(scheme, states1, batch * width, gen=gen).view(batch, width, -1)
    a = torch.relu(z).transpose(1, 2)  # [B, N, m]
    return qnn_outputs(scheme, _encode(a).to(states1.dtype), batch, gen=gen)


def dnf_weights(bits: np.ndarray, cube: np.ndarray, spec: dict) -> tuple[torch.Tensor, torch.Tensor]:
    """Weights (W1 [F, 2^(n-1), D1^2], w_out [F, D2^2]) of a two-layer DQNN computing each
    truth table bits[F, 2^n] (1 iff f > 0).

    Neuron for minterm a, on x~ = (x, c)/|(x, c)|: A[i, n] = s_i / (2c) (s_i = +1 if a_i = 1
    else -1), A[n, n] = (1/2 - |a|)/c^2, so x~^T A x~ = (s . x - |a| + 1/2)/(|x| + c^2):
    positive (1/2 over |a| + c^2) at x = a only. Read-out: OR of the neurons = [sum_j a_j > eps], eps = 1/(4(n + 1)) below
    the smallest positive a_j. Functions with more than 2^(n-1) ones use the minterms of their
    zeros and a negated read-out, so width 2^(n-1) always suffices.
    """
    n = cube.shape[1]
    N, width = len(cube), 2 ** (n - 1)
    D1 = input_states(spec, cube[:1]).shape[1]
    c = float(spec.get("constant", 1.0))
    x = torch.as_tensor(cube, dtype=torch.float64)
    A = torch.zeros(N, D1, D1, dtype=torch.float64)
    A[:, n, :n] = A[:, :n, n] = (2 * x - 1) / (2 * c)
    A[:, n, n] = (0.5 - x.sum(1)) / c**2
    neuron = torch.cat([observable_weights(A.to(torch.complex128)), torch.zeros(1, D1 * D1, dtype=torch.float64)])
    bits = np.asarray(bits, dtype=bool)
    negate = bits.sum(1) > width
    terms = np.where(negate[:, None], ~bits, bits)  # the minterms each function ORs
    rank = np.cumsum(terms, axis=1) - 1
    index = np.full((len(bits), width), N)  # N: the all-zero (silent) neuron
    rows, cols = np.nonzero(terms)
    index[rows, rank[rows, cols]] = cols
    W1 = neuron[torch.as_tensor(index)]
    D2 = int(readout_dim(width) ** 0.5)
    A2 = torch.zeros(D2, D2, dtype=torch.float64)
    A2[width, :width] = A2[:width, width] = 0.5
    A2[width, width] = -1 / (4 * (n + c**2))
    w_out = observable_weights(A2.to(torch.complex128)).expand(len(bits), -1).clone()
    w_out[torch.as_tensor(negate)] *= -1
    return W1, w_out
