import math

import numpy as np
import pytest
import scipy.special
import scipy.stats

from nnbayes.core.boolean import boolean_cube, target_function, train_mask
from nnbayes.gp.prob import log_posterior, log_posterior_batch, log_prob_labels, log_prob_labels_batch
from nnbayes.gp.tilting import posterior_test_samples
from nnbayes.gp.nngp import nngp_kernel

Z = 4.0  # standard errors; two-sided N(0,1) tail 6e-5, below 1 / number of statistical checks
CUBE = boolean_cube(7)
K_RELU = nngp_kernel(CUBE, depth=2, sigma_w=1.0, sigma_b=1.0).numpy()  # the 7-40-40-1 NNGP
K_RELU0 = nngp_kernel(CUBE, depth=2, sigma_w=1.0, sigma_b=0.0).numpy()


def orthant_cdf(K, y):
    """P(sign f = 2y - 1), f ~ N(0, K), by scipy's Genz integration (relative error ~1e-5)."""
    s = 2.0 * np.asarray(y) - 1.0
    mvn = scipy.stats.multivariate_normal(cov=K * np.outer(s, s), abseps=1e-9, releps=1e-5, maxpts=10**5,
                                          seed=0)
    return mvn.cdf(np.zeros(len(s)))


def small_cases(n_cases=12, seed=0):
    """(K, y) on random subsets of 3..10 cube points, sigma_b in {0, 1}, random labels."""
    rng = np.random.default_rng(seed)
    for c in range(n_cases):
        n = int(rng.integers(3, 11))
        idx = rng.choice(np.arange(1, 128), n, replace=False)  # x = 0 is a zero row at sigma_b = 0
        K = (K_RELU if c % 2 else K_RELU0)[np.ix_(idx, idx)]
        yield K, rng.integers(0, 2, n)


def test_tilting_and_ep_match_scipy_on_small_sets():
    # tilting: unbiased for P, so |log P_hat - log P| <= Z stderr (delta method);
    # EP: biased, within 12 % of P on these strongly correlated kernels (measured: <= 10.5 %,
    # the worst a 3-point set with correlations ~0.9; most cases < 1 %).
    for K, y in small_cases():
        exact = orthant_cdf(K, y)
        assert exact > 1e-6
        t = log_prob_labels(K, y, "tilting", n_samples=20_000, rng=1)
        assert t.converged and abs(t.log_p - math.log(exact)) <= Z * t.stderr + 1e-4, (t, exact)
        ep = log_prob_labels(K, y, "ep")
        assert ep.converged and abs(math.expm1(ep.log_p - math.log(exact))) < 0.12, (ep, exact)


def test_tilting_matches_plain_monte_carlo_from_the_prior():
    # parity on 11 points of the cube: P ~ 4.5e-3, so 1e6 prior draws give a relative
    # standard error ~ 1.5 %
    idx = np.arange(0, 128, 12)
    K, y = K_RELU[np.ix_(idx, idx)], target_function({"kind": "parity"}, 7)[idx]
    L, rng = np.linalg.cholesky(K + 1e-10 * np.eye(len(idx))), np.random.default_rng(0)
    n = 10 * 100_000
    hits = sum(int(((L @ rng.standard_normal((len(idx), 100_000)) > 0) == y[:, None]).all(0).sum())
               for _ in range(10))
    p = hits / n
    t = log_prob_labels(K, y, "tilting", n_samples=20_000, rng=3)
    assert hits > 1000 and abs(t.log_p - math.log(p)) <= Z * math.hypot(t.stderr, math.sqrt((1 - p) / hits))


def _all_labellings(k):
    return (np.arange(2**k)[:, None] >> np.arange(k)) & 1


def test_posterior_sums_to_one_over_all_labellings_of_E():
    # sum over the 2^8 labellings of E of P_B(f_E | S) = 1. The 256 terms share P(S), so their
    # errors are correlated: sd(sum) <= sum_i p_i stderr_i (Minkowski), the bound we use.
    mask = train_mask(128, 6, 0)
    train, test = np.flatnonzero(mask), np.flatnonzero(~mask)[:8]
    y = target_function({"kind": "random", "seed": 4}, 7)[train]
    t = log_posterior_batch(K_RELU, y, _all_labellings(8), train, test, "tilting", n_samples=2000, rng=5)
    p = np.exp(t.log_p)
    assert abs(p.sum() - 1) <= Z * (p * t.stderr).sum(), (p.sum(), (p * t.stderr).sum())
    ep = log_posterior_batch(K_RELU, y, _all_labellings(8), train, test, "ep")
    print(f"sum over labellings: tilting {p.sum():.4f}, EP {np.exp(ep.log_p).sum():.4f}")
    assert abs(np.exp(ep.log_p).sum() - 1) < 0.1  # measured 0.98: EP is not normalised exactly


def _probit_orthant_2d(K, y, s, nodes=600):
    """int N(f; 0, K) prod_i Phi(s (2 y_i - 1) f_i) df by tensor Gauss-Legendre over f = L z."""
    z, w = np.polynomial.legendre.leggauss(nodes)
    z, w = 10 * z, 10 * w * scipy.stats.norm.pdf(10 * z)
    sg = 2.0 * np.asarray(y) - 1.0
    L = np.linalg.cholesky(K)
    f1 = L[0, 0] * z[:, None]
    f2 = L[1, 0] * z[:, None] + L[1, 1] * z[None, :]
    like = scipy.special.ndtr(s * sg[0] * f1) * scipy.special.ndtr(s * sg[1] * f2)
    return float(w @ like @ w)


@pytest.mark.parametrize("s", [0.5, 3.0])
def test_probit_scale_equals_step_likelihood_with_added_noise(s):
    # probit on K == step on K + I/s^2; checked against the probit integral itself
    K = np.array([[1.0, 0.8], [0.8, 2.0]])
    for y in ([1, 0], [1, 1]):
        ref = _probit_orthant_2d(K, y, s)
        t = log_prob_labels(K, y, "tilting", probit_scale=s, n_samples=20_000, rng=0)
        assert abs(t.log_p - math.log(ref)) <= Z * t.stderr + 1e-6
        ep = log_prob_labels(K, y, "ep", probit_scale=s)
        assert abs(math.expm1(ep.log_p - math.log(ref))) < 0.02  # 2-D EP: ~0.5 % off at rho 0.57
    # one point: P = 1/2 for any scale and variance
    assert log_prob_labels([[3.0]], [1], "ep", probit_scale=s).log_p == pytest.approx(math.log(0.5), abs=1e-12)


def test_batch_equals_one_at_a_time():
    idx = np.arange(0, 128, 5)
    K = K_RELU[np.ix_(idx, idx)]
    Y = np.random.default_rng(0).integers(0, 2, (6, len(idx)))
    Y[0] = 0
    batch = log_prob_labels_batch(K, Y, "ep", chunk=4)  # two chunks
    for i, y in enumerate(Y):
        one = log_prob_labels(K, y, "ep")
        assert one.log_p == pytest.approx(batch.log_p[i], rel=1e-10) and one.n_iter == batch.n_iter[i]
    seq = log_prob_labels_batch(K, Y, "ep", schedule="sequential")
    assert seq.converged.all() and np.allclose(seq.log_p, batch.log_p, rtol=1e-8)  # same fixed point
    train, test = np.arange(10), np.arange(10, 20)
    post = log_posterior_batch(K_RELU, Y[0, :10], Y[:, 10:20], train, test, "ep")
    assert log_posterior(K_RELU, Y[0, :10], Y[2, 10:20], train, test, "ep").log_p == pytest.approx(
        post.log_p[2], rel=1e-10)


@pytest.mark.parametrize("schedule", ["parallel", "sequential"])
def test_fast_engine_reaches_the_reference_log_z(schedule):
    # both engines stop at the same EP fixed point, where log Z is stationary in the sites, so
    # a different path (warm-up sweeps, summation order) moves log Z by ~1e-12 relative only.
    # Parallel: the full cube (n = 128); sequential (slow in Python): 24 points. Both biases,
    # step and probit, random and constant labellings.
    n = 128 if schedule == "parallel" else 24
    Y = np.concatenate([np.random.default_rng(1).integers(0, 2, (7, n)), np.zeros((1, n), int)])
    for K, probit in ((K_RELU, None), (K_RELU0, None), (K_RELU, 1.0)):
        K = K[:n, :n]
        ref = log_prob_labels_batch(K, Y, "ep", probit_scale=probit, schedule=schedule, engine="reference")
        assert ref.converged.all()
        for engine in ("fast", "lean"):
            fast = log_prob_labels_batch(K, Y, "ep", probit_scale=probit, schedule=schedule, engine=engine)
            assert fast.converged.all()
            np.testing.assert_allclose(fast.log_p, ref.log_p, rtol=1e-10, atol=0)
    with pytest.raises(ValueError, match="engine"):
        log_prob_labels_batch(K_RELU[:3, :3], Y[:1, :3], "ep", engine="turbo")


def test_same_seed_same_estimate():
    K, y = next(small_cases())
    a, b = (log_prob_labels(K, y, "tilting", n_samples=500, rng=7) for _ in range(2))
    c = log_prob_labels(K, y, "tilting", n_samples=500, rng=8)
    assert a == b and a.log_p != c.log_p
    ep = [log_prob_labels(K, y, "ep", schedule="sequential", seed=3) for _ in range(2)]
    assert ep[0].log_p == ep[1].log_p and ep[0].n_iter == ep[1].n_iter  # stderr is nan for EP


def test_non_convergence_is_reported_not_raised():
    y = target_function({"kind": "random", "seed": 1}, 7)
    ep = log_prob_labels(K_RELU, y, "ep", max_iter=2)
    assert not ep.converged and ep.n_iter == 2 and math.isfinite(ep.log_p)
    t = log_prob_labels(K_RELU[:20, :20], y[:20], "tilting", n_samples=100, rng=0, max_newton=2)
    assert not t.converged and math.isfinite(t.log_p)


def test_bad_inputs_are_refused():
    K = K_RELU[:4, :4]
    with pytest.raises(ValueError, match="labels"):
        log_prob_labels(K, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="K must be"):
        log_prob_labels(K, [0, 1, 1])
    with pytest.raises(ValueError, match=r"\[F, n\]"):
        log_prob_labels_batch(K, [0, 1, 1, 0])
    with pytest.raises(ValueError, match="method"):
        log_prob_labels(K, [0, 1, 1, 0], method="laplace")
    with pytest.raises(ValueError, match="probit_scale"):
        log_prob_labels(K, [0, 1, 1, 0], probit_scale=0.0)
    with pytest.raises(ValueError, match="schedule"):
        log_prob_labels(K, [0, 1, 1, 0], schedule="random")
    with pytest.raises(ValueError, match="non-finite"):
        log_prob_labels(np.full((4, 4), np.nan), [0, 1, 1, 0])
    with pytest.raises(ValueError, match="overlap"):
        log_posterior(K_RELU, [0, 1], [1], [0, 1], [1])
    with pytest.raises(ValueError, match="shapes"):
        log_posterior(K_RELU, [0, 1, 1], [1], [0, 1], [2])
    with pytest.raises(ValueError, match="overlap"):
        posterior_test_samples(K_RELU, [0, 1], [0, 1], [1, 2], 10, np.random.default_rng(0))


def test_constant_labels_on_the_full_cube_tilting_is_stable_and_ep_is_biased_low():
    # the regime: 128 points, 7-40-40-1 relu NNGP, sigma_b = 1, all labels 0. P ~ 0.36,
    # so plain MC from the prior is an independent check (4e5 draws: relative se ~ 0.2 %).
    y = np.zeros(128, dtype=int)
    t = log_prob_labels(K_RELU, y, "tilting", n_samples=10_000, rng=0)
    assert t.converged and t.stderr < 0.02
    L = np.linalg.cholesky(K_RELU + 1e-8 * np.eye(128))
    rng = np.random.default_rng(1)
    hits = sum(int(((L @ rng.standard_normal((128, 50_000))) < 0).all(0).sum()) for _ in range(8))
    p = hits / 400_000
    assert abs(t.log_p - math.log(p)) <= Z * math.hypot(t.stderr, math.sqrt((1 - p) / (p * 400_000)))
    ep = log_prob_labels(K_RELU, y, "ep")
    print(f"constant labels, 128 points: tilting {t.log_p:.4f} +- {t.stderr:.4f}, EP {ep.log_p:.4f}")
    assert ep.converged and ep.log_p < t.log_p - 0.2  # measured: EP -1.44 vs -1.03


def test_posterior_test_samples_match_the_tilting_posterior():
    # self-normalised weights give P_B(f_E = b | S) for each of the 16 labellings b of |E| = 4,
    # with delta-method se sqrt(sum w_i^2 (1[b_i = b] - p)^2); compared with log_posterior's
    rng = np.random.default_rng(0)
    order = rng.permutation(128)
    train, test = order[:10], order[10:14]
    y = target_function({"kind": "random", "seed": 1}, 7)
    bits, log_w = posterior_test_samples(K_RELU, y[train], train, test, 40_000, np.random.default_rng(1))
    assert bits.shape == (40_000, 4) and bits.dtype == bool and log_w.shape == (40_000,)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    code = bits @ (1 << np.arange(4))
    ref = log_posterior_batch(K_RELU, y[train], _all_labellings(4), train, test, "tilting", rng=2)
    for b in range(16):
        hit = code == b
        p = w[hit].sum()
        se = math.sqrt((w**2 * (hit - p) ** 2).sum())
        p_ref = math.exp(ref.log_p[b])
        assert abs(p - p_ref) <= Z * math.hypot(se, p_ref * ref.stderr[b]), (b, p, p_ref)
    # mean(exp(log_w)) is the tilting estimate of P(S)
    p_s = log_prob_labels(K_RELU[np.ix_(train, train)], y[train], "tilting", rng=3)
    v = np.exp(log_w - log_w.max())
    log_p_s, se = log_w.max() + math.log(v.mean()), v.std() / v.mean() / math.sqrt(len(v))
    assert abs(log_p_s - p_s.log_p) <= Z * math.hypot(se, p_s.stderr)


@pytest.mark.parametrize("sigma_b", [0.0, 1.0])
def test_posterior_test_error_is_lower_for_a_simple_target(sigma_b):
    K = K_RELU if sigma_b else K_RELU0
    mask = train_mask(128, 32, 0)
    train, test = np.flatnonzero(mask), np.flatnonzero(~mask)
    errors = {}
    for kind in ("constant", "random"):
        y = target_function({"kind": kind, "seed": 0, "value": 1}, 7)
        bits, log_w = posterior_test_samples(K, y[train], train, test, 2000, np.random.default_rng(0))
        w = np.exp(log_w - log_w.max())
        errors[kind] = float((w * (bits != y[test].astype(bool)).mean(1)).sum() / w.sum())
    assert 0 <= errors["constant"] < errors["random"] <= 1, errors
    assert errors["constant"] < 0.1 and errors["random"] > 0.3, errors


def test_warm_start_from_s_reaches_the_cold_log_posterior():
    """log_posterior_batch starts EP on S u E from S's own sites (every row shares S's labels):
    the same fixed point as from zero sites (log P_B to 1e-10 relative) in fewer sweeps on S u E. The
    functions are what SGD finds: the target on S, E with 0-19 of its bits flipped."""
    rng = np.random.default_rng(3)
    order = rng.permutation(128)
    K = K_RELU[np.ix_(order, order)]
    target = rng.integers(0, 2, 128)
    Y = np.tile(target[64:], (48, 1))
    for row in Y:
        row[rng.choice(64, rng.integers(0, 20), replace=False)] ^= 1
    S, E = np.arange(64), np.arange(64, 128)
    warm = log_posterior_batch(K, target[:64], Y, S, E, "ep")
    cold = log_posterior_batch(K, target[:64], Y, S, E, "ep", init=(np.zeros(128), np.zeros(128)))
    assert warm.converged.all() and cold.converged.all()
    np.testing.assert_allclose(warm.log_p, cold.log_p, rtol=1e-10, atol=0)
    s_sweeps = log_prob_labels(K[:64, :64], target[:64], "ep").n_iter  # counted in both n_iter
    assert (warm.n_iter - s_sweeps).mean() < 0.95 * (cold.n_iter - s_sweeps).mean()  # measured 0.88

