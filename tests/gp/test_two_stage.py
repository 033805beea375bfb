"""The two-stage route to P_B(f|S) (nnbayes.gp.two_stage) and the prior mean it needs in EP and tilting.

Cost, measured with benchmarks/bench_two_stage.py (1 thread, process CPU time, relu NNGP on
Gaussian inputs, labels the signs of a GP draw): the first stage at |S| = 2000, |E| = 100 takes
8.0 s once (EP on S plus q(f_E | S)); the second stage at |E| = 100 takes 2.4 ms per function by
EP (batched) and 83 ms by tilting (10^4 samples). At |S| = 300, |E| = 100 the full route (EP on
S u E per function) takes 158 ms per function: 13x the two-stage route with its first stage
shared by 32 functions, 65x its second stage alone. By hand at |S| = 10^4: one parallel EP sweep
on S costs 36.5 s (O(|S|^3), 125x the 0.3 s at 2000); the whole first stage took 808 CPU s
(converged, 7.1 GB peak memory), then 2.5 ms per function at |E| = 100 as at |S| = 2000.
"""

import importlib.util
import math
import shutil
import subprocess
import types
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
import torch

from nnbayes.gp.base import prepare_kernel
from nnbayes.gp.ep import ep_batch
from nnbayes.gp.nngp import nngp_kernel
from nnbayes.gp.prob import log_posterior_batch
from nnbayes.gp.tilting import posterior_test_samples, tilting_batch
from nnbayes.gp.two_stage import (
    _predictive,
    condition_on_train,
    two_stage_log_posterior_batch,
)

pytestmark = pytest.mark.usefixtures("one_thread")  # small matrices; the machine is shared
Z = 4.0  # standard errors; two-sided N(0,1) tail 6e-5, below 1 / number of statistical checks
BASE_COMMIT = "889bfbb"  # main before ep.py had a prior mean


def problem(n_train: int, n_test: int, seed: int):
    """(K [n, n] relu NNGP on N(0, I_10) inputs, labels [n] = signs of one draw of that GP, rng)."""
    rng = np.random.default_rng(seed)
    K = nngp_kernel(torch.as_tensor(rng.standard_normal((n_train + n_test, 10))), depth=2, sigma_w=1.0,
                    sigma_b=1.0).numpy()
    f = np.linalg.cholesky(K + 1e-8 * np.eye(len(K))) @ rng.standard_normal(len(K))
    return K, (f > 0).astype(np.int8), rng


def flipped(y: np.ndarray, rng: np.random.Generator, ks) -> np.ndarray:
    """One copy of y per k in ks, with k random entries flipped."""
    out = np.repeat(y[None], len(ks), 0)
    for row, k in zip(out, ks):
        row[rng.choice(len(y), k, replace=False)] ^= 1
    return out


def test_two_stage_agrees_with_full_ep_on_probable_functions_and_lies_above_on_improbable():
    """|S| = 100, |E| = 12, 8 seeds, functions: the target on E with 0, 1, 2 and 6 flips.

    Measured two-stage EP - full EP (log_posterior_batch) in log P_B: on the 16 functions with
    full log P_B > -5, |delta| median 0.013, max 0.039; on the 16 with log P_B < -20 the
    two-stage value is higher by 1.1-14.9 nats (median 8.2): q is Gaussian, the exact posterior
    of f_E has lighter tails away from the target, so the two-stage route overstates improbable
    functions. A wider scan, (|S|, |E|) = (60, 8), (100, 12), (200, 20) with 8 seeds each: |delta|
    <= 0.44 when log P_B > -5, delta >= +0.96 below -20.
    """
    probable, improbable = [], []
    for seed in range(8):
        K, y, rng = problem(100, 12, seed)
        Y = flipped(y[100:], rng, [0, 1, 1, 1, 2, 2, 6, 6, 6])
        full = log_posterior_batch(K, y[:100], Y, np.arange(100), np.arange(100, 112), "ep")
        two = two_stage_log_posterior_batch(K, 100, y[:100], Y, method="ep")
        assert full.converged.all() and two.converged.all() and two.method == "two_stage_ep"
        delta = two.log_p - full.log_p
        probable += list(delta[full.log_p > -5])
        improbable += list(delta[full.log_p < -20])
    assert len(probable) >= 10 and len(improbable) >= 10
    assert np.max(np.abs(probable)) < 0.2, probable
    assert np.min(improbable) > 0.5 and np.median(improbable) > 4, improbable


def test_two_stage_tilting_is_near_the_exact_full_ratio_on_probable_functions():
    """Exact P_B by tilting on S u E and on S (full route) vs two-stage tilting (exact for q).

    |S| = 60, |E| = 8, 3 seeds, the target and 1-flip functions with full log P_B > -5 (6 of
    them): measured |delta| median 0.03, max 0.12, with stderrs <= 0.03 (the largest gap is 3.9
    stderr: a real, small difference of the approximations, hence the 0.25 allowance).
    """
    for seed in range(3):
        K, y, rng = problem(60, 8, seed)
        Y = flipped(y[60:], rng, [0, 1, 1, 1, 1])
        full = log_posterior_batch(K, y[:60], Y, np.arange(60), np.arange(60, 68), "tilting", n_samples=2000, rng=0)
        two = two_stage_log_posterior_batch(K, 60, y[:60], Y, method="tilting", n_samples=2000, rng=1)
        keep = full.log_p > -5
        assert keep.any() and np.all(np.isfinite(two.stderr))
        bound = 0.25 + Z * np.hypot(full.stderr, two.stderr)
        assert np.all(np.abs(two.log_p - full.log_p)[keep] < bound[keep]), (two.log_p, full.log_p)


def _all_patterns(k: int) -> np.ndarray:
    return ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(np.int8)


def test_second_stage_probabilities_over_all_sign_patterns_sum_to_one():
    """q is a normal, so its 2^|E| orthants partition the space: sum of exp(log P_B) = 1.

    Tilting rows are independent, so sd(sum) = sqrt(sum_i (p_i stderr_i)^2) (delta method); EP
    is not normalised exactly. Measured (|S| = 60, |E| = 6): tilting 1.0004 +- 0.0004, EP 0.9997.
    """
    K, y, _ = problem(60, 6, 3)
    t = two_stage_log_posterior_batch(K, 60, y[:60], _all_patterns(6), method="tilting", n_samples=2000, rng=2)
    p = np.exp(t.log_p)
    sd = math.sqrt(np.sum((p * t.stderr) ** 2))
    assert abs(p.sum() - 1) <= Z * sd + 1e-6, (p.sum(), sd)
    ep = two_stage_log_posterior_batch(K, 60, y[:60], _all_patterns(6), method="ep")
    assert abs(np.exp(ep.log_p).sum() - 1) < 0.01


def _mvn_orthant(C: np.ndarray, m: np.ndarray, s: np.ndarray) -> float:
    """Pr[s_i g_i > 0 for all i], g ~ N(m, C) = Pr[x < s m], x = -s (g - m) ~ N(0, s C s), by scipy."""
    mvn = scipy.stats.multivariate_normal(cov=C * np.outer(s, s), abseps=1e-8, releps=1e-5, maxpts=10**5, seed=0)
    return float(mvn.cdf(s * m))


def test_mean_shifted_orthant_ep_and_tilting_match_scipy_on_small_dims():
    """d = 2..5, Wishart covariances (correlations up to ~0.9), means ~ N(0, diag C), random signs.

    EP is biased: measured relative error of P <= 1.8 % (max correlation 0.83); tilting is
    unbiased, within Z stderr (measured |z| <= 1.8).
    """
    rng = np.random.default_rng(0)
    for d in range(2, 6):
        for _ in range(3):
            A = rng.standard_normal((d, d + 1))
            C = A @ A.T / (d + 1)
            m = rng.standard_normal(d) * np.sqrt(np.diag(C))
            y = rng.integers(0, 2, (1, d)).astype(np.int8)
            exact = _mvn_orthant(C, m, 2.0 * y[0] - 1)
            ep = ep_batch(C, y, mean=m)
            assert ep.converged[0] and abs(math.expm1(ep.log_p[0] - math.log(exact))) < 0.05, (d, ep.log_p, exact)
            t = tilting_batch(C, y, mean=m, n_samples=10_000, rng=d)
            assert abs(t.log_p[0] - math.log(exact)) <= Z * t.stderr[0] + 1e-4, (d, t.log_p, exact)


def test_ep_with_a_mean_is_exact_on_a_diagonal_covariance():
    """Independent coordinates: Pr = prod Phi(s_i m_i / sigma_i), which EP reproduces exactly."""
    rng = np.random.default_rng(1)
    sd, m = rng.uniform(0.5, 2, 7), rng.normal(0, 2, 7)
    Y = rng.integers(0, 2, (5, 7)).astype(np.int8)
    exact = scipy.stats.norm.logcdf((2.0 * Y - 1) * m / sd).sum(1)
    for schedule in ("parallel", "sequential"):
        ep = ep_batch(np.diag(sd**2), Y, mean=m, schedule=schedule)
        np.testing.assert_allclose(ep.log_p, exact, rtol=1e-9)


def _base_ep_module(tmp: Path) -> types.ModuleType:
    """ep.py as it was on main before the prior mean, from git (skip outside a git checkout)."""
    root = Path(__file__).resolve().parents[2]
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("needs a git checkout to read ep.py before the mean extension")
    src = subprocess.run(["git", "-C", str(root), "show", f"{BASE_COMMIT}:src/nnbayes/gp/ep.py"],
                         capture_output=True, text=True, check=False)
    if src.returncode:
        pytest.skip(f"commit {BASE_COMMIT} not in this checkout")
    (tmp / "ep_before_mean.py").write_text(src.stdout)
    spec = importlib.util.spec_from_file_location("ep_before_mean", tmp / "ep_before_mean.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("schedule,engine,old_engine", [("parallel", "lean", "fast"),
                                                        ("sequential", "reference", "reference")])
def test_zero_mean_ep_is_bit_identical_to_main_before_the_extension(schedule, engine, old_engine, tmp_path):
    """log Z, sweeps and the sites tau, nu of a zero-mean call are the same bytes as before
    (engine "lean" was called "fast" then)."""
    old = _base_ep_module(tmp_path)
    K, y, rng = problem(30, 0, 5)
    K = prepare_kernel(K, 30, None, 1e-8)
    Y = np.concatenate([y[None], rng.integers(0, 2, (4, 30))]).astype(np.int8)
    a = old.ep_batch(K, Y, schedule=schedule, engine=old_engine, max_iter=100)
    sites = []
    b = ep_batch(K, Y, schedule=schedule, engine=engine, max_iter=100, sites=sites)
    assert a.log_p.tobytes() == b.log_p.tobytes() and np.array_equal(a.n_iter, b.n_iter)
    post, _, warmup = old.ENGINES[old_engine]
    S = torch.as_tensor(2.0 * Y - 1)
    gen = torch.Generator().manual_seed(0)
    perms = [torch.randperm(30, generator=gen) for _ in range(100)] if schedule == "sequential" else None
    *_, tau, nu = old._ep_chunk(torch.as_tensor(K), S, 0.5, 0.01, 1e-7, 100, schedule, perms, post, warmup)
    assert tau.numpy().tobytes() == sites[0][0].tobytes() and nu.numpy().tobytes() == sites[0][1].tobytes()


def test_first_stage_predictive_is_the_dense_formula_and_near_the_exact_marginals():
    """m_E = K_ES (K_SS + 1/tau)^-1 (nu/tau), C_E = K_EE - K_ES (K_SS + 1/tau)^-1 K_SE (all tau > 0
    here) to 1e-10; and q's P(f_e > 0) vs the exact posterior's from importance-weighted samples
    (posterior_test_samples, 10^4 draws, ESS 6800): measured max |difference| 0.0016 at
    |S| = 100, |E| = 12 (0.0013 with 4 10^4 draws: mostly q's own error, not Monte Carlo).
    """
    K, y, _ = problem(100, 12, 1)
    m, C, log_z, conv = condition_on_train(K, y[:100], 100)
    Kp = prepare_kernel(K, 112, None, 1e-8)
    sites = []
    ep_batch(Kp[:100, :100], y[None, :100], sites=sites)
    tau, nu = sites[0][0][0], sites[0][1][0]
    A = Kp[:100, :100] + np.diag(1 / tau)
    np.testing.assert_allclose(m, Kp[100:, :100] @ np.linalg.solve(A, nu / tau), atol=1e-10)
    np.testing.assert_allclose(C, Kp[100:, 100:] - Kp[100:, :100] @ np.linalg.solve(A, Kp[:100, 100:]), atol=1e-10)
    assert conv and log_z < 0
    bits, log_w = posterior_test_samples(K, y[:100], np.arange(100), np.arange(100, 112), 10_000, 0)
    w = np.exp(log_w - log_w.max())
    exact = (w / w.sum()) @ bits
    assert np.max(np.abs(scipy.stats.norm.cdf(m / np.sqrt(np.diag(C))) - exact)) < 0.01


def test_a_flat_site_is_a_removed_training_point():
    """tau_i = nu_i = 0 (a site EP left flat) must act as if x_i were not in S, with no 1/tau."""
    K, _, rng = problem(30, 4, 6)
    K = prepare_kernel(K, 34, None, 1e-8)
    tau, nu = rng.uniform(0.1, 2, 30), rng.normal(0, 1, 30)
    tau[:5] = nu[:5] = 0
    m, C = _predictive(K, 30, tau, nu, None)
    m_ref, C_ref = _predictive(K[5:, 5:], 25, tau[5:], nu[5:], None)
    np.testing.assert_allclose(m, m_ref, atol=1e-12)
    np.testing.assert_allclose(C, C_ref, atol=1e-12)


def test_signs_in_plus_minus_one_give_the_same_estimate_as_labels():
    K, y, rng = problem(40, 5, 2)
    Y = flipped(y[40:], rng, [0, 1, 2])
    a = two_stage_log_posterior_batch(K, 40, y[:40], Y)
    b = two_stage_log_posterior_batch(K, 40, 2 * y[:40].astype(int) - 1, 2 * Y.astype(int) - 1)
    assert a.log_p.tobytes() == b.log_p.tobytes()


@pytest.mark.parametrize("n_train,y_len,signs_shape,name", [
    (40, 40, (3, 4), "signs_test"), (40, 40, (5,), "signs_test"), (0, 0, (3, 45), "n_train"),
    (45, 45, (3, 0), "n_train"), (40.0, 40, (3, 5), "n_train"), (40, 39, (3, 5), "y_train")])
def test_bad_inputs_raise_naming_the_argument(n_train, y_len, signs_shape, name):
    K, y, _ = problem(40, 5, 0)
    with pytest.raises(ValueError, match=name):
        two_stage_log_posterior_batch(K, n_train, y[:y_len], np.ones(signs_shape, dtype=np.int8))


def test_bad_values_raise_naming_the_argument():
    K, y, _ = problem(40, 5, 0)
    with pytest.raises(ValueError, match="signs_test"):
        two_stage_log_posterior_batch(K, 40, y[:40], np.full((2, 5), 2))
    with pytest.raises(ValueError, match="method"):
        two_stage_log_posterior_batch(K, 40, y[:40], np.ones((2, 5)), method="full")
    with pytest.raises(ValueError, match="mean"):
        ep_batch(K, y[None], mean=np.zeros(3))
    with pytest.raises(ValueError, match="mean"):
        tilting_batch(K, y[None], mean=np.full(45, np.nan))
