"""The state-vector simulator and the QNN -> perceptron map, against Qiskit (used only here) and
closed forms. Qiskit orders qubits little-endian: our qubit j (1 = most significant) is its
qubit q - j, so with that relabelling the two state vectors agree entry by entry."""

import math

import numpy as np
import pytest
import scipy.stats
import torch
from qiskit import QuantumCircuit
from qiskit.circuit.library import UnitaryGate, zz_feature_map
from qiskit.quantum_info import Operator, SparsePauliOp, Statevector

from conftest import TEST_FAILURE_RATE
from nnbayes.core.boolean import boolean_cube
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.map import (fidelity_kernel, observable_weights, quadratic_features, tensor_features,
                             weights_observable)
from nnbayes.qnn.models import circuit_outputs, gue_outputs, haar_outputs
from nnbayes.qnn.quantum import (apply_1q, haar_unitary, hea_apply, hea_unitary, ladder_permutation, ry, rz,
                             z_expectation, z_observable)

C128 = torch.complex128
EMBEDDINGS = {
    "basis": {"kind": "basis"},
    "amplitude_pm": {"kind": "amplitude", "inputs": "pm"},
    "amplitude01": {"kind": "amplitude", "inputs": "binary", "zero": "constant", "constant": 1.0},
    "amplitude01_drop": {"kind": "amplitude", "inputs": "binary", "zero": "drop"},
    "angle": {"kind": "angle", "theta": 1.0},
    "dense_angle": {"kind": "dense_angle", "offset_pi": 0.125, "scale_pi": 0.25, "phase_pi": 0.5},
    "dense_angle_pitfall": {"kind": "dense_angle", "offset_pi": 0.0, "scale_pi": 0.5, "phase_pi": 2.0},
    "zz": {"kind": "zz", "reps": 2},
}
N_BITS = 4  # 4 qubits for basis/angle/zz: Qiskit is exact and fast here


def states(name, n=N_BITS):
    s, keep = embed(EMBEDDINGS[name], boolean_cube(n))
    return s[torch.as_tensor(np.flatnonzero(keep))], np.flatnonzero(keep)


def qiskit_state(name, x: np.ndarray) -> np.ndarray:
    """The embedding built from gates in Qiskit (amplitude: Qiskit's own state preparation)."""
    spec, n = EMBEDDINGS[name], len(x)
    if spec["kind"] == "zz":
        qc = zz_feature_map(n, reps=spec["reps"], entanglement="full")
        qc = qc.assign_parameters(x[::-1].astype(float))  # our qubit j is Qiskit's n - j
        return Statevector(qc).data
    if spec["kind"] == "amplitude":
        v = (2 * x - 1.0) if spec["inputs"] == "pm" else np.append(x, 1.0) if spec["zero"] == "constant" else x * 1.0
        v = np.pad(v, (0, max(2, 1 << (len(v) - 1).bit_length()) - len(v)))
        q = int(math.log2(len(v)))
        qc = QuantumCircuit(q)
        qc.prepare_state(v / np.linalg.norm(v), range(q))
        return Statevector(qc).data
    if spec["kind"] in ("basis", "angle"):
        qc = QuantumCircuit(n)
        for j, b in enumerate(x):
            if spec["kind"] == "basis" and b:
                qc.x(n - 1 - j)
            elif spec["kind"] == "angle":
                qc.ry(spec["theta"] * b, n - 1 - j)
        return Statevector(qc).data
    xp = np.append(x, 0) if n % 2 else x
    q = len(xp) // 2
    qc = QuantumCircuit(q)
    for j in range(q):
        a, b = xp[2 * j], xp[2 * j + 1]
        qc.ry(2 * math.pi * (spec["offset_pi"] + spec["scale_pi"] * a), q - 1 - j)
        qc.p(math.pi * spec["phase_pi"] * b, q - 1 - j)
    return Statevector(qc).data


@pytest.mark.parametrize("name", list(EMBEDDINGS))
def test_embeddings_match_qiskit_circuits(name):
    s, domain = states(name)
    cube = boolean_cube(N_BITS)
    for i, x in zip(range(len(domain)), cube[domain]):
        assert np.allclose(s[i].numpy(), qiskit_state(name, x), atol=1e-12), (name, x)


def test_embedding_edge_cases():
    s, keep = embed(EMBEDDINGS["amplitude01_drop"], boolean_cube(3))
    assert not keep[0] and keep[1:].all()
    pm, _ = embed(EMBEDDINGS["amplitude_pm"], boolean_cube(3))
    assert torch.allclose(pm, -pm.flip(0))  # psi(-x) = -psi(x): row 7 - i is the complement of row i
    for name in EMBEDDINGS:
        s, _ = states(name, 5)
        assert torch.allclose(s.abs().pow(2).sum(1), torch.ones(len(s), dtype=torch.float64))
    pit, _ = embed(EMBEDDINGS["dense_angle_pitfall"], boolean_cube(4))
    F = fidelity_kernel(pit)
    assert torch.allclose(F[0b0000], F[0b0101])  # the phase bits x2, x4 vanish (the pitfall)


def qiskit_hea(angles: np.ndarray) -> QuantumCircuit:
    """Our ansatz in Qiskit gates: per layer RY, RZ on every qubit, then CNOT 1->2->...->q."""
    L, q, _ = angles.shape
    qc = QuantumCircuit(q)
    for layer in range(L):
        for j in range(q):
            qc.ry(angles[layer, j, 0], q - 1 - j)
            qc.rz(angles[layer, j, 1], q - 1 - j)
        for j in range(q - 1):
            qc.cx(q - 1 - j, q - 2 - j)
    return qc


def test_ansatz_unitary_matches_qiskit():
    gen = torch.Generator().manual_seed(0)
    angles = 2 * math.pi * torch.rand(3, 2, 4, 2, generator=gen, dtype=torch.float64)
    U = hea_unitary(angles, C128)
    for b in range(3):
        assert np.allclose(U[b].numpy(), Operator(qiskit_hea(angles[b].numpy())).data, atol=1e-12)
    assert torch.allclose(U @ U.mH, torch.eye(16, dtype=C128).expand(3, -1, -1), atol=1e-12)


@pytest.mark.parametrize("name", list(EMBEDDINGS))
def test_qnn_output_equals_perceptron_and_qiskit(name):
    """f(x) = <psi|U^dag Z_1 U|psi> (simulated) = w_R . h_R = vec(O) . h, and Qiskit agrees."""
    gen = torch.Generator().manual_seed(1)
    s, domain = states(name)
    q, D = int(math.log2(s.shape[1])), s.shape[1]
    angles = 2 * math.pi * torch.rand(2, 2, q, 2, generator=gen, dtype=torch.float64)
    for U, simulated in ((haar_unitary(2, D, gen=gen, dtype=C128, device="cpu"), None),
                         (hea_unitary(angles, C128), hea_apply(s.expand(2, *s.shape), angles))):
        simulated = s @ U.transpose(-1, -2) if simulated is None else simulated
        f_sim = z_expectation(simulated, 1)
        O = U.mH @ torch.diag(z_observable(q, 1, C128)) @ U
        f_tpp = observable_weights(O) @ quadratic_features(s).T
        f_complex = (O.flatten(-2) @ tensor_features(s).T)
        assert torch.allclose(f_sim, f_tpp, atol=1e-13, rtol=0)
        assert torch.allclose(f_complex.imag, torch.zeros_like(f_tpp), atol=1e-13)
        assert torch.allclose(f_complex.real, f_tpp, atol=1e-13, rtol=0)
        zq = SparsePauliOp("Z" + "I" * (q - 1))  # Z on Qiskit's top qubit = our qubit 1
        for b in range(2):
            gate = UnitaryGate(U[b].numpy())
            for i in range(0, len(domain), 5):
                sv = Statevector(s[i].numpy()).evolve(gate)
                assert abs(sv.expectation_value(zq).real - float(f_sim[b, i])) < 1e-12
    assert f_sim.std() > 0.05  # a test of something: outputs spread over [-1, 1]


def test_map_identities():
    s, _ = states("dense_angle")
    h = quadratic_features(s)
    assert torch.allclose(h.norm(dim=1), torch.ones(len(h), dtype=torch.float64))
    assert torch.allclose(h @ h.T, fidelity_kernel(s), atol=1e-14)
    w = torch.randn(3, h.shape[1], dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    O = weights_observable(w)
    assert torch.allclose(O, O.mH) and torch.allclose(observable_weights(O), w, atol=1e-15)
    assert torch.allclose(w.norm(dim=1), torch.linalg.matrix_norm(O), atol=1e-13)  # |w_R| = |O|_F


def test_gate_layer_batched_equals_gate_by_gate_loop():
    gen = torch.Generator().manual_seed(3)
    q, B, L = 5, 6, 3
    s = torch.randn(7, 2**q, dtype=C128, generator=gen)
    angles = 2 * math.pi * torch.rand(B, L, q, 2, generator=gen, dtype=torch.float64)
    batched = hea_apply(s.expand(B, *s.shape), angles)
    perm = ladder_permutation(q)
    for b in range(B):  # one circuit at a time, one gate at a time
        ref = s
        for layer in range(L):
            for j in range(q):
                g = rz(angles[b, layer, j, 1], C128) @ ry(angles[b, layer, j, 0], C128)
                ref = apply_1q(ref, g, j + 1)
            ref = ref[..., perm]
        assert torch.allclose(batched[b], ref, atol=1e-13)


def _moment_zscores(f: np.ndarray, theory: np.ndarray) -> np.ndarray:
    prod = f[:, :, None] * f[:, None, :]
    se = prod.std(0, ddof=1) / np.sqrt(len(f))
    return np.abs(prod.mean(0) - theory) / se


@pytest.mark.parametrize("name", ["amplitude_pm", "dense_angle"])
def test_haar_second_moment_weingarten(name):
    """E[f f'] = (D F - 1)/(D^2 - 1) over Haar U (M = Z_1 traceless, M^2 = I)."""
    s, _ = states(name)
    D = s.shape[1]
    theory = ((D * fidelity_kernel(s) - 1) / (D**2 - 1)).numpy()
    f = haar_outputs(s, 40000, gen=torch.Generator().manual_seed(4)).numpy()
    z = _moment_zscores(f, theory)[np.triu_indices(len(s))]
    assert z.max() < scipy.stats.norm.isf(TEST_FAILURE_RATE / (2 * len(z)))
    assert abs(f.mean()) < 5 * f.std() / np.sqrt(f.size / len(s))


def test_haar_projector_sampler_matches_full_unitaries_in_law():
    """The projector shortcut against literal U^dag Z U with QR-Haar U: same mean f^2 = 1/(D+1)
    and f^4 moments, within sampling error (a wrong phase fix or projector rank would show)."""
    s, _ = states("amplitude01")
    gen = torch.Generator().manual_seed(5)
    D, n = s.shape[1], 20000
    U = haar_unitary(n, D, gen=gen, dtype=C128, device="cpu")
    f_full = z_expectation(s @ U.transpose(-1, -2), 1).numpy()
    f_proj = haar_outputs(s, n, gen=gen).numpy()
    for k in (2, 4):
        a, b = (f_full**k).mean(1), (f_proj**k).mean(1)
        se = np.sqrt(a.var() / n + b.var() / n)
        assert abs(a.mean() - b.mean()) < 4.5 * se
    assert abs((f_proj**2).mean() - 1 / (D + 1)) < 4.5 * (f_proj**2).mean(1).std() / np.sqrt(n)


def test_gue_outputs_have_covariance_F_both_paths():
    s, _ = states("amplitude_pm")
    F = fidelity_kernel(s).numpy()
    gen = torch.Generator().manual_seed(6)
    shared = gue_outputs(s, 30000, gen=gen).numpy()
    per_model = gue_outputs(s.expand(30000, *s.shape), 30000, gen=gen).numpy()
    for f in (shared, per_model):
        z = _moment_zscores(f, F)[np.triu_indices(len(s))]
        assert z.max() < scipy.stats.norm.isf(TEST_FAILURE_RATE / (2 * len(z)))


def test_samplers_are_deterministic():
    s, _ = states("angle")
    for fn in (lambda g: haar_outputs(s, 50, gen=g), lambda g: gue_outputs(s, 50, gen=g),
               lambda g: circuit_outputs(s, 50, layers=2, qubit=1, gen=g)):
        a, b = fn(torch.Generator().manual_seed(7)), fn(torch.Generator().manual_seed(7))
        assert torch.equal(a, b) and not torch.equal(a, fn(torch.Generator().manual_seed(8)))
