"""Occam stage, closed forms: PAC-Bayes formulas, log P(S), error-spectrum search and the
prior x likelihood prediction, each against a brute-force or analytic value."""

import numpy as np
import pandas as pd
import pytest

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.complexity import lz_complexity
from nnbayes.occam.error_spectrum import (complexity_distribution, extrapolate_low_k, flip_search, likelihood,
                                    ones_off_search, predicted_posterior, random_search, search, spectrum,
                                    total_variation)
from nnbayes.core.functions import pack_array
from nnbayes.occam.bounds import boolean_bounds, log_p_s, net_kernel
from nnbayes.occam.targets import graded_targets, run_masks
from nnbayes.occam.pac_bayes import bound, complexity_bound, unbiased_bound

DELTA = 2.0**-10
SPEC = {"flips": [1, 8, 32], "per_flip": 300, "ones_off": 200, "random": 200, "random_p": [0.0, 0.5], "top": 10}


def test_bound_formulas_are_the_authors():
    m, log_p = 64, -20.0
    mcallester = 1 - np.exp(-(20 + 2 * np.log(m) + 1 + 10 * np.log(2)) / m)  # compute_prob_and_bound.py
    seeger = 1 - np.exp(-(20 + np.log(2 * np.sqrt(m)) + 10 * np.log(2)) / m)  # analyze_NNGP_data.py
    assert bound(log_p, m, DELTA, "mcallester") == pytest.approx(mcallester, rel=1e-12)
    assert bound(log_p, m, DELTA, "seeger") == pytest.approx(seeger, rel=1e-12)
    assert unbiased_bound(m, DELTA) == pytest.approx(float(bound(m * np.log(0.5), m, DELTA)))
    assert complexity_bound(7.0, 64, 128) == pytest.approx(1 - np.exp(-(np.log(128) + 7 * np.log(2)) / 64))
    b = bound(np.linspace(-60, 0, 20), m, DELTA)
    assert np.all(np.diff(b) < 0) and np.all((0 < b) & (b < 1))  # likelier S -> tighter bound
    with pytest.raises(ValueError, match="mcallester"):
        bound(log_p, m, DELTA, "catoni")


def test_log_p_s_is_exact_for_independent_points():
    # K = I: P(S) = 2^-m exactly, which EP reproduces exactly and tilting without variance
    y = np.random.default_rng(0).integers(0, 2, 30)
    est = log_p_s(np.eye(30), y, exact_samples=200, seed=0)
    assert est["log_ps_ep"] == pytest.approx(30 * np.log(0.5), abs=1e-6) and est["ep_converged"]
    assert est["log_ps_exact"] == pytest.approx(30 * np.log(0.5), abs=1e-6)


def test_boolean_bounds_score_the_runs_own_sets_and_favour_simple_targets():
    cube = boolean_cube(7)
    targets = graded_targets({"ones": [0], "seed": 10, "random": 1}, 128)
    net = {"depth": 2, "width": 40, "activation": "relu", "sigma_w": 1.0, "sigma_b": 1.0}
    df = boolean_bounds(cube, targets, net, 64, 2, seed=5, delta=DELTA, formula="mcallester", exact_samples=0)
    assert df[["target", "run"]].values.tolist() == [["ones0", 0], ["ones0", 1], ["random0", 0], ["random0", 1]]
    K = net_kernel(cube, net)
    idx = np.flatnonzero(run_masks(5, "random0", 64, np.array([1]), 128)[0])
    again = log_p_s(K[np.ix_(idx, idx)], targets["random0"][idx], exact_samples=0, seed=0)
    assert df["log_ps_ep"].iloc[3] == pytest.approx(again["log_ps_ep"])
    by = df.groupby("target")["bound_ep"].mean()
    assert by["ones0"] < 0.5 < by["random0"]  # the constant is likely under the prior, noise is not


def test_flip_search_flips_at_most_its_count_and_ones_off_only_turns_ones_off():
    rng = np.random.default_rng(0)
    target = graded_targets({"ones": [21], "seed": 10, "random": 0}, 128)["ones21"]
    f = flip_search(target, 8, 400, rng)
    dist = (f != target).sum(1)
    k = np.arange(400) % 8 + 1
    assert np.all((dist >= 1) & (dist <= k)) and np.mean(dist == k) > 0.5
    g = ones_off_search(target, 300, rng)
    assert np.all(g <= target) and len(np.unique(g.sum(1))) > 10
    r = random_search(128, 0.5, 2000, rng)  # P(0) = q with q ~ N(0.5, 1) folded into [0, 1]: mean 1/2
    assert abs(r.mean() - 0.5) < 0.03


def test_spectrum_keeps_the_best_accuracies_per_complexity():
    rng = np.random.default_rng(1)
    target = graded_targets({"ones": [10], "seed": 10, "random": 0}, 128)["ones10"]
    funcs = search(target, SPEC, rng)
    assert len(np.unique(pack_array(funcs), axis=0)) == len(funcs)  # distinct
    assert (funcs == target).all(1).sum() == 1  # the target is in
    spec = spectrum(target, funcs, top=3)
    acc = (funcs == target).mean(1)
    for variant in ("dingle", "occam2304"):
        clz = lz_complexity(funcs, variant)
        brute = pd.Series(acc).groupby(clz).apply(lambda a: sorted(a)[-3:][::-1])
        got = spec[spec["variant"] == variant].groupby("clz")["accuracy"].apply(list)
        assert got.index.tolist() == brute.index.tolist()
        assert all(np.allclose(g, b) for g, b in zip(got, brute))
    like = likelihood(spec, "dingle", 64, top=3)
    k_target = lz_complexity(target[None])[0]
    best = spec[(spec["variant"] == "dingle") & (spec["clz"] == k_target)]["accuracy"]
    assert like[k_target] == pytest.approx(np.mean(best.to_numpy() ** 64))


def test_prediction_is_prior_times_likelihood_normalised():
    prior = pd.Series([0.5, 0.3, 0.2], index=[7.0, 35.0, 70.0])
    like = pd.Series([0.1, 0.5, 1.0, 0.9], index=[7.0, 35.0, 70.0, 101.5])  # 101.5: no prior mass
    pred = predicted_posterior(prior, like)
    joint = np.array([0.05, 0.15, 0.2])
    assert pred.index.tolist() == [7.0, 35.0, 70.0] and np.allclose(pred, joint / joint.sum())
    assert total_variation(pred, pred) == 0 and total_variation(pred, pd.Series([1.0], index=[200.0])) == 1.0
    # large m: only the target fits; a flat prior then puts the mode at the target's C_LZ
    rng = np.random.default_rng(2)
    target = graded_targets({"ones": [10], "seed": 10, "random": 0}, 128)["ones10"]
    spec = spectrum(target, search(target, SPEC, rng), top=10)
    like = likelihood(spec, "dingle", 127, top=1)
    flat = pd.Series(1.0, index=like.index)
    assert predicted_posterior(flat, like).idxmax() == lz_complexity(target[None])[0]


def test_complexity_distribution_counts_the_prior_in_both_variants():
    rng = np.random.default_rng(3)
    bits = (rng.random((500, 128)) < 0.5).astype(np.uint8)
    bits[:100] = 0  # a heavy constant
    ids, inverse = np.unique(pack_array(bits), axis=0, return_inverse=True)
    counts = np.bincount(inverse.ravel())
    table = pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "count": counts})
    pk = complexity_distribution(table, 128)
    for variant in ("dingle", "occam2304"):
        p = pk[pk["variant"] == variant].set_index("clz")["p"]
        assert p.sum() == pytest.approx(1.0)
        brute = pd.Series(1.0, index=lz_complexity(bits, variant)).groupby(level=0).sum() / 500
        assert np.allclose(p.sort_index(), brute.sort_index())


def test_low_k_extrapolation_recovers_a_log_linear_tail():
    ks = 7.0 + 3.5 * np.arange(40)
    true = pd.Series(np.where(ks <= 120, 10 ** (0.05 * ks), 10 ** (12 - 0.05 * ks)), index=ks)  # peak at 120
    sampled = true[true.index >= 70].copy()  # the simplest functions were never drawn...
    sampled[59.5] = 1e-9  # ...or once: below the resolution, replaced by the fit
    full = extrapolate_low_k(sampled.sort_index(), ks, min_p=1.0)
    assert np.allclose(full.reindex(ks), true, rtol=1e-9)
    unresolved = sampled[sampled.index > 115]
    assert extrapolate_low_k(unresolved, ks, min_p=1.0).equals(unresolved)  # no flank to fit
