"""Figure-1 tables: the QNN -> perceptron map checked on random circuits, and the Haar prior's
second moment against its closed form. Everything in complex128 / float64.

  * mapping: for every embedding, random unitaries (Haar, and the hardware-efficient ansatz
    simulated layer by layer) give the QNN output <psi|U^dag Z U|psi> by simulation and, through
    the map, the perceptron output w_R(U^dag Z U) . h_R(psi); they must agree to round-off.
  * moments: E[f(x) f(x')] over Haar QNNs against (D F - 1)/(D^2 - 1) (Weingarten; M = Z_1,
    traceless with M^2 = I), and over Gaussian perceptron weights against F itself.
"""

import numpy as np
import pandas as pd
import torch

from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.map import fidelity_kernel, observable_weights, quadratic_features, tensor_features
from nnbayes.qnn.models import gue_outputs, haar_outputs
from nnbayes.qnn.quantum import hea_apply, hea_unitary, haar_unitary, n_qubits, z_expectation, z_observable

C128 = torch.complex128


def _unitaries(kind: str, count: int, q: int, layers: int, gen: torch.Generator):
    """(U [count, D, D], simulate: states [N, D] -> U psi [count, N, D]) for one unitary family."""
    if kind == "haar":
        U = haar_unitary(count, 2**q, gen=gen, dtype=C128, device="cpu")
        return U, lambda states: states @ U.transpose(-1, -2)
    if kind == "circuit":
        angles = 2 * np.pi * torch.rand(count, layers, q, 2, generator=gen, dtype=torch.float64)
        return hea_unitary(angles, C128), lambda states: hea_apply(states.expand(count, *states.shape), angles)
    raise ValueError(f"unitary kind {kind!r} is not one of ['haar', 'circuit']")


def mapping_check(embeddings: dict, cube: np.ndarray, *, circuits: int, layers: int, qubit: int,
                  seed: int) -> pd.DataFrame:
    """Rows (embedding, unitary, circuit, input, qnn, tpp, tpp_complex_re/im): the simulated output
    against the real perceptron w_R . h_R and the complex form vec(O) . (psi* (x) psi)."""
    frames = []
    gen = torch.Generator().manual_seed(seed)
    for name, spec in embeddings.items():
        states, keep = embed(spec, cube)
        inputs = np.flatnonzero(keep)
        states = states[torch.as_tensor(inputs)]
        q = n_qubits(states.shape[1])
        h, h_complex = quadratic_features(states), tensor_features(states)
        for kind in ("haar", "circuit"):
            U, simulate = _unitaries(kind, circuits, q, layers, gen)
            qnn = z_expectation(simulate(states), qubit)  # [circuits, N]
            M = torch.diag(z_observable(q, qubit, C128))
            O = U.mH @ M @ U
            tpp = observable_weights(O) @ h.T
            tpp_complex = O.flatten(-2) @ h_complex.T  # vec(O) . (psi* (x) psi), imaginary part ~ 0
            frames.append(pd.DataFrame({
                "embedding": name, "unitary": kind, "qubits": q,
                "circuit": np.repeat(np.arange(circuits), len(inputs)),
                "input": np.tile(inputs, circuits),
                "qnn": qnn.numpy().ravel(), "tpp": tpp.numpy().ravel(),
                "tpp_complex_re": tpp_complex.real.numpy().ravel(),
                "tpp_complex_im": tpp_complex.imag.numpy().ravel()}))
    return pd.concat(frames, ignore_index=True)


def second_moments(embeddings: dict, cube: np.ndarray, *, draws: int, points: int, batch: int,
                   seed: int) -> pd.DataFrame:
    """Rows (embedding, scheme, i, j, fidelity, theory, empirical, stderr) on `points` seeded
    inputs: Monte Carlo E[f_i f_j] over `draws` models per scheme (haar, gue)."""
    rng = np.random.default_rng(seed)
    subset = np.sort(rng.choice(len(cube), size=min(points, len(cube)), replace=False))
    gen = torch.Generator().manual_seed(seed)
    iu = np.triu_indices(len(subset))
    frames = []
    for name, spec in embeddings.items():
        states, keep = embed(spec, cube[subset])
        if not keep.all():
            raise ValueError(f"embedding {name!r} cannot encode every input (zero: drop)")
        D = states.shape[1]
        F = fidelity_kernel(states).numpy()
        for scheme, theory in (("haar", (D * F - 1) / (D**2 - 1)), ("gue", F)):
            s1 = np.zeros((len(subset), len(subset)))
            s2 = np.zeros_like(s1)
            for start in range(0, draws, batch):
                b = min(batch, draws - start)
                f = (haar_outputs if scheme == "haar" else gue_outputs)(states, b, gen=gen).numpy()
                prod = f[:, :, None] * f[:, None, :]
                s1 += prod.sum(0)
                s2 += (prod**2).sum(0)
            mean = s1 / draws
            se = np.sqrt(np.maximum(s2 / draws - mean**2, 0) / (draws - 1))
            frames.append(pd.DataFrame({
                "embedding": name, "scheme": scheme, "dim": D, "i": subset[iu[0]], "j": subset[iu[1]],
                "fidelity": F[iu], "theory": theory[iu], "empirical": mean[iu], "stderr": se[iu]}))
    return pd.concat(frames, ignore_index=True)
