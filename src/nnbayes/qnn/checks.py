"""The statistics the QNN figures are judged by (research note §1, targets T1-T6).

Each is a `stat` keyed figure/quantity; its criterion and source are pre-registered in
workflow/criteria/qnn.yaml. The paper's full text (arXiv 2407.04371) was not readable: its claims
are known from the abstract [P] only, so no criterion compares with a number of the paper's own.
Most are exact results (the map, Weingarten, sign degree, exact LP counts, the basis encoding's
chance-level test error); the paper's qualitative claims are preregistered readings.
"""

import math

import numpy as np
import pandas as pd
import scipy.stats

from nnbayes.core.boolean import boolean_cube, train_mask
from nnbayes.core.checks import stage, stat
from nnbayes.core.functions import unpack_ids
from nnbayes.core.tables import ones_count_distribution

EXTREME = 3  # the note's "six most extreme T values": t <= 2 or t >= N - 2


def mapping(sets) -> list[dict]:
    """The exact map (per embedding) and the Haar / GUE second moments."""
    rows = []
    (meta, df), = stage(sets, "qnn_mapping")
    diff = pd.concat([(df["qnn"] - df["tpp"]).abs(), (df["qnn"] - df["tpp_complex_re"]).abs(),
                      df["tpp_complex_im"].abs()], axis=1).max(axis=1)
    for (name, kind), d in diff.groupby([df["embedding"], df["unitary"]]):
        q = int(df.loc[d.index, "qubits"].iloc[0])
        rows.append(stat("qnn1_mapping/max_map_error", float(d.max()), instance=f"{name}, {kind} U", n=len(d),
                         note=f"{q} qubits; {len(d)} outputs, real and complex h"))
    rows.append(stat("qnn1_mapping/output_spread", float(df["qnn"].std())))
    (meta, mo), = stage(sets, "qnn_moments")
    for (name, scheme), d in mo.groupby(["embedding", "scheme"]):
        z = float(((d["empirical"] - d["theory"]) / d["stderr"]).abs().max())
        pvalue = min(1.0, 2 * len(d) * float(scipy.stats.norm.sf(z)))  # Bonferroni over the pairs
        rows.append(stat(f"qnn1_mapping/moment_{scheme}_pvalue", pvalue, instance=name, n=len(d),
                         note=f"max |z| {z:.2f} over {len(d)} pairs, D={d['dim'].iloc[0]}; "
                              f"{meta['options']['moment_draws']} draws"))
    haar = mo[(mo["scheme"] == "haar") & (mo["i"] == mo["j"])]
    for name, d in haar.groupby("embedding"):
        D = int(d["dim"].iloc[0])
        rows.append(stat("qnn1_mapping/haar_variance", float(d["empirical"].mean() * (D + 1)), instance=name,
                         note=f"D={D}: Var f = 1/(D + 1) = {1 / (D + 1):.4g}"))
    return rows


def _phase_blind(spec: dict) -> bool:
    """A dense-angle embedding whose phase bits vanish (phase 2 pi k b) while its amplitude bits
    give independent qubit states (alpha(1) - alpha(0) not a multiple of pi): the pitfall."""
    return spec["kind"] == "dense_angle" and spec["phase_pi"] % 2 == 0 and spec["scale_pi"] % 1 != 0


def _tpp_rows(r, spec: dict) -> list[dict]:
    """T1 and the exact counts of one embedding's perceptron at one n."""
    where, kind = f"{r.embedding}, n={r.n}", spec["kind"]
    if kind == "amplitude":
        rows = [stat("qnn2_expressivity/lp_count", float(r.expressible), instance=where, note=f"of 2^{r.domain}"),
                stat(f"qnn2_expressivity/parity_{'n2' if r.n < 3 else 'n3_up'}", bool(r.parity_expressible),
                     instance=where)]
        if spec.get("inputs") == "pm":
            rows.append(stat("qnn2_expressivity/pm_classes", r.classes / 2**r.n, instance=where,
                             note=f"{r.classes} classes of {2**r.n} inputs"))
        return rows
    if kind in ("basis", "angle", "zz"):
        return [stat("qnn2_expressivity/independent_fraction", r.fraction, instance=where)]
    if _phase_blind(spec):
        a_bits = math.ceil(r.n / 2)
        return [stat("qnn2_expressivity/phase_blind_fraction", r.fraction / 2.0 ** (2**a_bits - r.domain),
                     instance=where, note=f"fraction {r.fraction:.4g}, rank {r.rank:g} of {r.domain}")]
    return [stat("qnn2_expressivity/dense_angle_fraction", r.fraction, instance=where,
                 note=f"rank {r.rank:g} of {r.domain}")]


def expressivity(sets) -> list[dict]:
    """T1 (amplitude encoding cannot express parity for n >= 3; exact LP counts) and T6."""
    (meta, df), = stage(sets, "qnn_expressivity")
    rows = []
    for r in df[df["model"] == "tpp"].itertuples():
        rows += _tpp_rows(r, meta["embeddings"][r.embedding])
    for r in df[df["model"] == "kernel"].itertuples():
        rows.append(stat("qnn2_expressivity/kernel_fraction", r.fraction, instance=f"{r.embedding}, n={r.n}",
                         note=f"GP support; {r.classes} classes"))
    for r in df[df["model"] == "layered"].itertuples():
        where = f"n={r.n}, {'every' if r.exact else 'a sample of'} function"
        rows.append(stat("qnn2_expressivity/layered_fraction", r.fraction, instance=where))
        rows.append(stat("qnn2_expressivity/layered_width", r.max_width / 2 ** (r.n - 1), instance=f"n={r.n}",
                         note=f"widest layer {r.max_width}"))
    return rows


def qnn_sets(sets):
    return [(m, t) for m, t in sets if "scheme" in m.get("spec", {})]


def fcn_sets(sets):
    return [(m, t) for m, t in sets if m.get("spec", {}).get("kind") == "fcn"]


def extreme_mass(meta: dict, table: pd.DataFrame) -> float:
    """P(t <= 2 or t >= N - 2): the low-class-balance mass (the note's six most extreme T)."""
    p = ones_count_distribution(table, meta["n_points"])["p"].to_numpy()
    return float(p[:EXTREME].sum() + p[-EXTREME:].sum())


def _plain(meta: dict) -> bool:
    return meta["spec"]["scheme"] in ("haar", "gue", "circuit")


def _binomial_t(meta: dict, table: pd.DataFrame, N: int) -> list[dict]:
    """basis + GUE: f(x) i.i.d. N(0, 1), so t ~ Binomial(N, 1/2) exactly: mean N/2, variance N/4."""
    t = ones_count_distribution(table, N)
    mean = float((t["t"] * t["p"]).sum())
    var = float(((t["t"] - mean) ** 2 * t["p"]).sum())
    n = meta["samples"]
    return [stat("qnn3_class_balance/basis_mean_t", mean / N, instance=meta["name"], se=float(np.sqrt(1 / (4 * N * n))),
                 note=f"mean t {mean:.3f} of N = {N}"),
            stat("qnn3_class_balance/basis_var_t", var / (N / 4), instance=meta["name"], se=float(np.sqrt(2 / n)),
                 note=f"var t {var:.3f}")]


def class_balance(sets) -> list[dict]:
    """T3: P(t) per embedding and scheme, against the uniform perceptron and the FCN."""
    rows = []
    fcn = fcn_sets(sets)
    N = (fcn or qnn_sets(sets))[0][0]["n_points"]
    uniform = (2 * EXTREME - 1) / N  # bias-free perceptron: P(t) = 1/N on t < N
    for meta, table in fcn:
        s = meta["spec"]
        rows.append(stat("qnn3_class_balance/fcn_extreme_mass", extreme_mass(meta, table),
                         instance=f"FCN {s['depth']}x{s['width']} sigma_b={s['sigma_b']:g}"))
    above = set()
    plain = set()
    for meta, table in qnn_sets(sets):
        v, n = extreme_mass(meta, table), meta["samples"]
        se = float(np.sqrt(max(v * (1 - v), 1 / n) / n))
        embedding = meta["spec"]["embedding"]
        if _plain(meta):
            plain.add(embedding)
            if v > uniform + 4 * se:
                above.add(embedding)
        rows.append(stat("qnn3_class_balance/extreme_mass", v, instance=meta["name"], se=se, n=n,
                         note=f"uniform perceptron {uniform:.4f}"))
        if meta["spec"]["encoding"]["kind"] == "basis" and meta["spec"]["scheme"] == "gue":
            rows += _binomial_t(meta, table, N)
    rows.append(stat("qnn3_class_balance/embeddings_low_balance", len(above), n=len(plain),
                     note=f"above the uniform perceptron by 4 s.e.: {sorted(above)} of {sorted(plain)}"))
    return rows


def _even_in_negation(bits: np.ndarray) -> bool:
    return bool((bits == bits[:, ::-1]).all())  # row N-1-i is the complement of row i


def _depends_only_on(bits: np.ndarray, n: int, keep: np.ndarray) -> bool:
    """Is every function constant when the bits outside `keep` change?"""
    cube = boolean_cube(n)
    proj = ((cube * keep) << np.arange(n - 1, -1, -1)).sum(1)
    return bool((bits == bits[:, proj]).all())


def _support_rows(meta: dict, table: pd.DataFrame) -> list[dict]:
    """Exact support constraints of a QNN prior: amplitude +-1 priors are even (f(x) = f(-x));
    the pitfall's priors ignore the phase bits. Both hold bit for bit (`map.state_classes`)."""
    enc, scheme, n = meta["spec"]["encoding"], meta["spec"]["scheme"], int(np.log2(meta["n_points"]))
    bits = unpack_ids(table[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), meta["n_points"])
    fidelity = scheme != "kernel" or meta["spec"]["kernel"]["base"] == "fidelity"  # overlap sees -psi
    rows = []
    if enc["kind"] == "amplitude" and enc["inputs"] == "pm" and fidelity:
        rows.append(stat("qnn4_complexity/even_support", _even_in_negation(bits), instance=meta["name"],
                         n=len(bits), note=f"{len(bits)} distinct functions"))
    if _phase_blind(enc) and fidelity:
        keep = (np.arange(n) % 2 == 0).astype(np.int64)  # a bits; the b bits vanish
        rows.append(stat("qnn4_complexity/ignores_phase_bits", _depends_only_on(bits, n, keep),
                         instance=meta["name"], n=len(bits), note=f"{len(bits)} distinct functions"))
    return rows


def complexity(sets) -> list[dict]:
    """T4: P(f) of QNN priors against the FCN's; exact support checks from the expressivity."""
    rows = []
    fcn = fcn_sets(sets)
    top = {m["name"]: t["count"].iloc[0] / m["samples"] for m, t in fcn + qnn_sets(sets)}
    for meta, table in fcn + qnn_sets(sets):
        mean = float(np.average(table["clz"], weights=table["count"]))
        rows.append(stat("qnn4_complexity/top_probability", float(top[meta["name"]]), instance=meta["name"],
                         n=meta["samples"],
                         note=f"distinct / samples {len(table) / meta['samples']:.3f}, mean C_LZ {mean:.1f}"))
    for base, table in qnn_sets(sets):
        if base["spec"]["encoding"]["kind"] != "basis" or base["spec"]["scheme"] not in ("gue", "haar"):
            continue
        if base["spec"]["scheme"] == "gue":
            rows.append(stat("qnn4_complexity/basis_repeats", int(base["samples"] - len(table)),
                             instance=base["name"], n=base["samples"]))
        for meta, _ in fcn + [(m, t) for m, t in qnn_sets(sets) if m["spec"]["scheme"] == "kernel"]:
            rows.append(stat("qnn4_complexity/top_ratio_vs_basis", top[meta["name"]] / top[base["name"]],
                             instance=f"{meta['name']} / {base['name']}"))
    for meta, table in qnn_sets(sets):
        if meta["spec"]["encoding"]["kind"] == "basis" and meta["spec"]["scheme"] == "circuit":
            rows.append(stat("qnn4_complexity/basis_circuit_distinct", len(table), instance=meta["name"],
                             n=meta["samples"]))
        rows += _support_rows(meta, table)
    return rows


def learning_table(sets) -> pd.DataFrame:
    return pd.concat([t for _, t in stage(sets, "qnn_learning")], ignore_index=True)


def _negation_forced(df: pd.DataFrame, N: int) -> tuple[float, int]:
    """Amplitude +-1 runs that fit S: on test x with -x in S, the share predicting S's label of -x."""
    hits, total = 0, 0
    for r in df.itertuples():
        bits = unpack_ids(np.array([[r.id_hi, r.id_lo]], dtype=np.uint64), N)[0]
        mask = train_mask(N, r.m, r.seed)
        test = np.flatnonzero(~mask & mask[::-1])
        hits += int((bits[test] == bits[N - 1 - test]).sum())
        total += len(test)
    return (hits / total if total else float("nan")), total


def _mean_se(runs: pd.DataFrame, N: int) -> tuple[float, float]:
    """Mean test error of runs and its standard error: the spread over runs, floored at the
    binomial error of one prediction per test input (a spread of 0 is not certainty)."""
    spread = runs["test_error"].std(ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else 0.0
    floor = np.sqrt(0.25 / (N - runs["m"]).sum())
    return float(runs["test_error"].mean()), float(max(spread, floor))


def generalisation(sets) -> list[dict]:
    """T5: the basis encoding generalises at chance; the FCN against the QNN embeddings."""
    df, rows = learning_table(sets), []
    (tmeta, targets), = stage(sets, "qnn_targets")
    N = len(targets["bits"].iloc[0])
    basis = df[(df["learner"] == "tpp_gd") & (df["embedding"] == "basis")]
    if len(basis):
        n_test = N - basis["m"].to_numpy()
        rows.append(stat("qnn5_generalisation/basis_chance_error", float(basis["test_error"].mean()),
                         se=float(np.sqrt(np.mean(0.25 / n_test) / len(basis))), n=len(basis)))
    pm = df[(df["learner"] == "tpp_gd") & (df["embedding"].str.startswith("amplitude_pm")) & df["converged"]]
    if len(pm):
        share, total = _negation_forced(pm, N)
        rows.append(stat("qnn5_generalisation/negation_forced", share, n=total, note=f"{total} test inputs"))
    summary = df.groupby(["learner", "embedding"]).agg(err=("test_error", "mean"), conv=("converged", "mean"))
    for (learner, emb), r in summary.iterrows():
        note = ("F = I: every test output is exactly 0, read as class 0" if (learner, emb) == ("tpp_minnorm", "basis")
                else "")
        rows.append(stat("qnn5_generalisation/mean_test_error", float(r.err), instance=f"{learner} {emb}".strip(),
                         note=f"fraction fitted S {r.conv:.2f}" + (f"; {note}" if note else "")))
    simple = targets.loc[targets["clz"] <= targets["clz"].median(), "name"]
    low = df[df["target"].isin(simple)]
    fcn, fcn_se = _mean_se(low[low["learner"] == "fcn_sgd"], N)
    for emb in ("basis", "amplitude_pm"):
        q = low[(low["learner"] == "tpp_gd") & (low["embedding"] == emb)]
        if len(q):
            mean, se = _mean_se(q, N)
            se = float(np.hypot(se, fcn_se))
            rows.append(stat("qnn5_generalisation/fcn_advantage_low_clz", (mean - fcn) / se, instance=f"tpp_gd {emb}",
                             n=len(q), note=f"FCN (SGD) {fcn:.3f} vs tpp_gd {emb} {mean:.3f} (s.e. of the gap {se:.4f})"))
    return rows
