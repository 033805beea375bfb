"""PAC-Bayes generalisation bounds from the marginal likelihood P(S) (arXiv 1805.08522).

With the 0-1 likelihood, the Bayesian posterior Q is the prior restricted to the functions that
fit S, so KL(Q || P) = ln 1/P(S), and the realisable PAC-Bayes theorem bounds Q's expected
error on fresh data by eps <= 1 - exp(-C / m), holding with probability >= 1 - delta over S:

  * `mcallester` (the authors' `compute_prob_and_bound.py`, McAllester 1999):
        C = ln 1/P(S) + 2 ln m + 1 - ln delta
  * `seeger` (their `analyze/analyze_NNGP_data.py`; the Langford-Seeger/Maurer kl form at zero
    training error):  C = ln 1/P(S) + ln(2 sqrt(m) / delta)

The bound speaks of the Bayesian posterior's error; the figures set it beside the error of nets
trained by SGD. Torch-free: checks and notebooks use these formulas (`occam_bounds` gets P(S)).
"""

import numpy as np

FORMULAS = ("mcallester", "seeger")


def bound(log_p_s, m: int, delta: float, formula: str = "mcallester"):
    """The realisable PAC-Bayes bound on the posterior's error from log P(S) (natural log)."""
    if formula == "mcallester":
        c = -np.asarray(log_p_s, dtype=np.float64) + 2 * np.log(m) + 1 - np.log(delta)
    elif formula == "seeger":
        c = -np.asarray(log_p_s, dtype=np.float64) + np.log(2 * np.sqrt(m) / delta)
    else:
        raise ValueError(f"bound formula {formula!r} is not one of {list(FORMULAS)}")
    return 1 - np.exp(-c / m)


def unbiased_bound(m: int, delta: float, formula: str = "mcallester") -> float:
    """The same bound for the unbiased learner: every labelling equally likely, P(S) = 2^-m."""
    return float(bound(-m * np.log(2), m, delta, formula))


def complexity_bound(k, m: int, n_points: int):
    """The authors' Fig. 1c curve (arXiv 2304.06670): the bound with ln 1/P(f) ~ ln N + K ln 2,
    i.e. P(f) ~ 2^-K / N for a target of complexity K, without the delta and ln m terms."""
    return 1 - np.exp(-(np.log(n_points) + np.asarray(k, dtype=np.float64) * np.log(2)) / m)


def delta_text(delta: float, tex: bool = False) -> str:
    """'2^-10' (tex: '2^{-10}') rather than 0.000976562, for labels."""
    k = np.log2(delta)
    if not float(k).is_integer():
        return f"{delta:g}"
    return f"2^{{{k:.0f}}}" if tex else f"2^{k:.0f}"
