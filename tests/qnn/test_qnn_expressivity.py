"""Expressivity counts: the fast exact counter against brute force (one LP per function), the
theorem of alternatives, the note's counts, parity, and the layered QNN's construction."""

import numpy as np
import pytest

from nnbayes.core.boolean import boolean_cube
from nnbayes.qnn.expressivity import (count_expressible, cube_symmetries, gordan_certificate, model_features,
                                      preserves_patterns, reduce_features, separable)
from nnbayes.qnn.layered import dnf_weights, forward, input_features

EMB = {
    "pm": {"kind": "amplitude", "inputs": "pm"},
    "drop": {"kind": "amplitude", "inputs": "binary", "zero": "drop"},
    "const": {"kind": "amplitude", "inputs": "binary", "zero": "constant", "constant": 1.0},
    "dense": {"kind": "dense_angle", "offset_pi": 0.125, "scale_pi": 0.25, "phase_pi": 0.5},
    "pitfall": {"kind": "dense_angle", "offset_pi": 0.0, "scale_pi": 0.5, "phase_pi": 2.0},
    "angle": {"kind": "angle", "theta": 1.0},
}
KERNEL = {"base": "fidelity", "depth": 2, "sigma_w": 2**0.5, "sigma_b": 0.1**0.5}


def all_functions(N: int) -> np.ndarray:
    return ((np.arange(2**N)[:, None] >> np.arange(N)) & 1).astype(np.int64) * 2 - 1


@pytest.mark.parametrize("name", ["pm", "drop", "const", "dense"])
def test_counter_equals_brute_force_and_gordan_alternative(name):
    """n = 3: every function decided by its own LP, and exactly one of the LP and its Gordan
    alternative holds for each; the counter (classes, symmetries, witnesses, certificates) agrees."""
    Phi, domain = model_features("tpp", EMB[name], boolean_cube(3))
    U = reduce_features(Phi)
    Y = all_functions(len(domain))
    feasible = np.array([separable(U, y) for y in Y])
    certified = np.array([gordan_certificate(U, y) is not None for y in Y])
    assert np.all(feasible != certified)
    res = count_expressible(Phi, domain, 3, max_candidates=10**6, seed=0)
    assert res["exact"] and res["expressible"] == feasible.sum()
    assert 0 < feasible.sum() < len(Y)  # the case is not trivial either way


@pytest.mark.parametrize("name, counts", [("pm", {2: 4, 3: 16, 4: 254}), ("drop", {2: 8, 3: 126, 4: 27156})])
def test_amplitude_counts_and_parity(name, counts):
    """The note's LP counts (§1.5); parity is expressible at n = 2 and not for n >= 3 (the paper)."""
    for n, expected in counts.items():
        cube = boolean_cube(n)
        Phi, domain = model_features("tpp", EMB[name], cube)
        res = count_expressible(Phi, domain, n, max_candidates=70000, seed=1, parity=cube[domain].sum(1) % 2)
        assert res["expressible"] == expected
        assert res["parity_expressible"] == (n == 2)


def test_pm_amplitude_expresses_only_even_functions_and_sampling_agrees():
    n = 4
    cube = boolean_cube(n)
    Phi, domain = model_features("tpp", EMB["pm"], cube)
    res = count_expressible(Phi, domain, n, max_candidates=70000, seed=0)
    assert res["classes"] == 2 ** (n - 1) and res["fraction"] == 254 / 2**16
    sampled = count_expressible(Phi, domain, n, max_candidates=20, seed=0)  # forces the sampled path
    assert not sampled["exact"] and sampled["fraction"] == 0.0  # random functions are almost never even


def test_symmetry_check_is_sound_and_not_vacuous():
    """Every cube symmetry the check accepts maps the brute-force expressible set onto itself;
    (x, 1) amplitude states admit all of B_3 (bit flips only up to a row rescaling); the dense
    angle admits some (amplitude <-> phase bit: its 4 Bloch points form a parallelogram) and
    rejects others that are truly not symmetries."""
    n = 3
    Y = all_functions(8)
    maps = cube_symmetries(n)
    for name, accepted_all in (("const", True), ("dense", False)):
        U = reduce_features(model_features("tpp", EMB[name], boolean_cube(n))[0])
        expressible = {tuple(y) for y in Y if separable(U, y)}
        invariant = [all(tuple(np.array(y)[g]) in expressible for y in expressible) for g in maps]
        accepted = [preserves_patterns(U, g) for g in maps]
        assert all(inv for inv, acc in zip(invariant, accepted) if acc)
        assert all(accepted) == accepted_all
        if not accepted_all:
            assert not all(invariant) and any(accepted[1:])


def test_dense_angle_pitfall_and_full_rank_embeddings():
    cube = boolean_cube(4)
    Phi, domain = model_features("tpp", EMB["pitfall"], cube)
    res = count_expressible(Phi, domain, 4, max_candidates=70000, seed=0)
    assert res["classes"] == 4 and res["expressible"] == 16  # functions of x1, x3 only
    Phi, domain = model_features("tpp", EMB["angle"], cube)
    assert count_expressible(Phi, domain, 4, max_candidates=70000, seed=0)["fraction"] == 1.0


def test_qnn_kernel_gp_support():
    """Fidelity base: x and -x stay identical, so exactly the even functions; the NNGP recursion
    makes them all reachable (unlike the perceptron's 254 of 256 at n = 4)."""
    n = 4
    cube = boolean_cube(n)
    K, domain = model_features("kernel", EMB["pm"], cube, KERNEL)
    res = count_expressible(K, domain, n, max_candidates=70000, seed=0)
    assert res["classes"] == 8 and res["expressible"] == 256
    K, domain = model_features("kernel", EMB["pm"], cube, {**KERNEL, "base": "overlap"})
    assert count_expressible(K, domain, n, max_candidates=70000, seed=0)["fraction"] == 1.0


@pytest.mark.parametrize("constant", [1.0, 0.5])
def test_layered_dnf_construction_computes_every_function(constant):
    spec = {**EMB["const"], "constant": constant}
    for n in (2, 3):
        cube = boolean_cube(n)
        bits = all_functions(2**n) > 0
        W1, w_out = dnf_weights(bits, cube, spec)
        assert W1.shape[1] == 2 ** (n - 1)
        f = forward(input_features(spec, cube), W1, w_out)
        assert ((f > 0).numpy() == bits).all()
        assert f.abs().min() > 1e-3  # a margin, not a round-off accident
