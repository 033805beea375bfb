"""The numbers the Occam's-razor figures are judged by (replication targets T10, T11, T12, T15).

Inputs are sets `[(meta, table), ...]` whose meta['stage'] names what they hold (see
`cli_occam`). Criteria are those pre-registered in the research note (§9); the authors'
committed numbers (`occam_reference`) stand beside ours. A C_LZ on an axis is in the variant the
targets table records (`lz_variant`); comparisons with the authors' Fig. 1c use `occam2304`,
the variant their numbers are in.
"""


import numpy as np
import pandas as pd
import scipy.stats

from nnbayes.core.checks import Z, row, stage
from nnbayes.occam.error_spectrum import extrapolate_low_k, likelihood, predicted_posterior, total_variation
from nnbayes.occam.reference import fig1c
from nnbayes.occam.targets import LZ_COLUMNS
from nnbayes.occam.pac_bayes import delta_text, unbiased_bound

SPEARMAN_MIN = 0.8  # T10: error rises with target C_LZ
AUTHORS_TOL = 0.05  # T10: our mean error within this of the authors' at the same K
CHAOTIC_FLOOR = 0.33  # T10: sigma_w = 8 error stays above this at every K
MODE_TOL = 7.0  # T11/T12: two C_LZ steps
CHAOTIC_MODE_MIN = 100.0  # T11: the chaotic prior's outputs are complex
TV_MAX_SMALL, TV_MAX_PAPER, PAPER_RUNS = 0.3, 0.15, 1000  # T12
CONVERGED_MIN = 0.9
BOUND_GOOD = 0.5  # T15: a bound below a coin's error at zero corruption is non-vacuous
MIN_PRIOR_COUNT = 5  # P(K) resolved by the prior sample: at least this many counts
MIN_RUNS_T10 = 20  # fewer runs per target: a mean error's SE (~0.1/sqrt(runs)) swamps AUTHORS_TOL
MIN_RUNS = 100  # fewer runs: a mode or a histogram distance is reported, not judged (noise)


def judged(n: int, criterion: str, passed: bool) -> tuple[str, bool | None]:
    """(criterion, passed), or 'reported' when too few runs make a distribution noise."""
    return (criterion, bool(passed)) if n >= MIN_RUNS else (f"reported (< {MIN_RUNS} runs)", None)


def targets_table(sets) -> tuple[pd.DataFrame, str]:
    """The targets (indexed by name) and the LZ column the figures use."""
    (meta, table), = stage(sets, "occam_targets")
    return table.set_index("target"), LZ_COLUMNS[meta["lz_variant"]]


def runs_frame(sets) -> pd.DataFrame:
    """Every training run of every shard, with its net's name, sigma_w and m."""
    frames = [t.assign(net=m["net_name"], sigma_w=m["net"]["sigma_w"], activation=m["net"]["activation"],
                       m=m["m"], error=t["errors"] / t["n_test"])
              for m, t in stage(sets, "occam_runs")]
    return pd.concat(frames, ignore_index=True)


def summary(runs: pd.DataFrame, targets: pd.DataFrame, clz: str) -> pd.DataFrame:
    """Per (net, m, target): converged fraction, mean/std/SE of the error of converged runs,
    and the target's C_LZ (axis variant and occam2304)."""
    ok = runs[runs["converged"]]
    s = ok.groupby(["net", "sigma_w", "activation", "m", "target"])["error"].agg(["mean", "std", "count"])
    s["se"] = s["std"] / np.sqrt(s["count"])
    s["converged"] = runs.groupby(["net", "sigma_w", "activation", "m", "target"])["converged"].mean()
    s = s.reset_index()
    s["target_clz"] = targets.loc[s["target"], clz].to_numpy()
    s["target_clz_occam"] = targets.loc[s["target"], "clz_occam2304"].to_numpy()
    return s.sort_values(["sigma_w", "activation", "target_clz"], kind="stable")


def _net_label(r) -> str:
    return f"{r['net']} ({r['activation']}, sigma_w={r['sigma_w']:g})"


def generalisation(sets) -> list[dict]:
    """T10: generalisation error against target C_LZ, the authors' Fig. 1c, and the bound."""
    targets, clz = targets_table(sets)
    runs = runs_frame(sets)
    s = summary(runs, targets, clz)
    rows = [row(f"target C_LZ, {name}: dingle vs occam2304", f"{t['clz']:g} vs {t['clz_occam2304']:g}",
                "", "", None, "the authors' axis labels are occam2304")
            for name, t in targets.iterrows()]
    shift = runs["clz"] - runs["clz_occam2304"]
    rows.append(row("trained nets' output C_LZ: dingle minus occam2304, mean", float(shift.mean()), "", "", None,
                    f"differs for {(shift != 0).mean():.0%} of {len(runs)} outputs (the off-by-one end test)"))
    for net, d in s.groupby("net", sort=False):
        first = d.iloc[0]
        conv = float(d["converged"].mean())
        rows.append(row(f"{_net_label(first)}: fraction of runs at 100% train accuracy", conv, "",
                        f">= {CONVERGED_MIN}", conv >= CONVERGED_MIN))
        rho = float(scipy.stats.spearmanr(d["target_clz"], d["mean"]).statistic) if len(d) > 2 else np.nan
        rows.append(row(f"{_net_label(first)}: Spearman(target C_LZ, mean error) over {len(d)} targets", rho,
                        "error rises with complexity (1805.08522, 2304.06670 Fig. 1c)",
                        f"> {SPEARMAN_MIN}", bool(rho > SPEARMAN_MIN)))
        for _, r in d.iterrows():
            ref = fig1c(float(r["sigma_w"]), float(r["target_clz_occam"])) if r["activation"] == "tanh" else None
            label = f"{net} {r['target']} (C_LZ {r['target_clz']:g}): mean error"
            if ref is None:
                rows.append(row(label, r["mean"], "", "", None, f"SE {r['se']:.3f}, {int(r['count'])} runs"))
                continue
            crit = (f"within {AUTHORS_TOL}", abs(r["mean"] - ref[0]) <= AUTHORS_TOL) if r["count"] >= MIN_RUNS_T10 \
                else (f"reported (< {MIN_RUNS_T10} runs)", None)
            rows.append(row(label, r["mean"], ref[0], *crit,
                            f"authors' Fig. 1c at occam2304 K={r['target_clz_occam']:g} (their std {ref[1]:.3f}); "
                            f"ours SE {r['se']:.3f}, {int(r['count'])} runs"))
            if r["sigma_w"] >= 8:
                floor = CHAOTIC_FLOOR - 2 * r["se"]
                rows.append(row(f"{net} {r['target']}: chaotic prior's mean error", r["mean"], CHAOTIC_FLOOR,
                                ">= 0.33 - 2 SE", bool(r["mean"] >= floor), "T10: sigma_w=8 stays >= 0.33"))
    rows += _bound_rows(sets, s)
    return rows


def _bound_rows(sets, s: pd.DataFrame) -> list[dict]:
    rows = []
    bounds = stage(sets, "occam_bound")
    for meta, b in bounds:
        opts, m, net = meta["options"], meta["m"], meta["net_name"]
        per = b.groupby("target")[["log_ps_ep", "log_ps_exact", "bound_ep", "bound_exact"]].mean()
        err = s[(s["net"] == net) & (s["m"] == m)].set_index("target")[["mean", "target_clz"]]
        per = per.join(err.rename(columns={"mean": "error"}), how="inner").sort_values("target_clz")
        holds = bool((per["bound_ep"] >= per["error"]).all())
        rows.append(row(f"{net}: PAC-Bayes bound (EP, {opts['formula']}, delta={delta_text(opts['delta'])}) >= "
                        "mean error for every target", holds, "", "all targets", holds,
                        f"bounds {np.round(per['bound_ep'].to_numpy(), 3).tolist()} vs errors "
                        f"{np.round(per['error'].to_numpy(), 3).tolist()} by target C_LZ; mean over "
                        f"{b['run'].nunique()} training sets"))
        if len(per) > 2:
            rho = float(scipy.stats.spearmanr(per["bound_ep"], per["error"]).statistic)
            rows.append(row(f"{net}: Spearman(bound, mean error) over targets", rho, "", "", None,
                            "1805.08522: the bound tracks the error"))
        if per["log_ps_exact"].notna().any():
            rel = float(((per["log_ps_ep"] - per["log_ps_exact"]) / per["log_ps_exact"].abs()).median())
            rows.append(row(f"{net}: EP vs exact log P(S), median relative difference", rel, "", "", None,
                            "EP is biased (research note §1.6); the bound uses EP as the authors did"))
    if bounds:
        opts, m = bounds[0][0]["options"], bounds[0][0]["m"]
        sd, b_u = np.sqrt(0.25 / (128 - m)), unbiased_bound(m, opts["delta"], opts["formula"])
        rows.append(row(f"unbiased learner at m={m}: mean error, bound", f"0.5 +- {sd:.4f}, {b_u:.3f}", "", "",
                        None, "every labelling equally likely: P(S) = 2^-m (closed form)"))
    return rows


def _mode(values: pd.Series) -> float:
    counts = values.value_counts()
    return float(counts.index[counts.to_numpy() == counts.max()].min())


def _mode_rows(name: str, col: str, targets: pd.DataFrame, sws: list, lo: pd.DataFrame, hi: pd.DataFrame,
               judge: bool) -> list[dict]:
    """T11: modal output C_LZ (column `col`) of the ordered and the chaotic runs on one target."""
    t_clz, mode_lo, mode_hi = float(targets.loc[name, col]), _mode(lo[col]), _mode(hi[col])
    tag = "" if judge else f" [{col}, reported]"
    near = judged(len(lo), f"within {MODE_TOL:g}", abs(mode_lo - t_clz) <= MODE_TOL) if judge else ("", None)
    far = judged(len(hi), f">= {CHAOTIC_MODE_MIN:g}", mode_hi >= CHAOTIC_MODE_MIN) if judge else ("", None)
    return [row(f"{name} (C_LZ {t_clz:g}), sigma_w={sws[0]:g}: modal output C_LZ{tag}", mode_lo, t_clz, *near,
                f"median {lo[col].median():g}, {len(lo)} runs"),
            row(f"{name}, sigma_w={sws[-1]:g}: modal output C_LZ{tag}", mode_hi, "", *far,
                f"median {hi[col].median():g}, {len(hi)} runs")]


def complexity_error(sets) -> list[dict]:
    """T11: output C_LZ and error of trained nets, ordered vs chaotic prior, random labelling."""
    targets, clz = targets_table(sets)
    runs = runs_frame(sets)
    runs = runs[runs["converged"]]
    rows = []
    sws = sorted(runs["sigma_w"].unique())
    (rmeta, rand), = stage(sets, "occam_random_labels")
    other = next(c for c in LZ_COLUMNS.values() if c != clz)
    for name in rand["target"].unique():
        d = runs[runs["target"] == name]
        by = {sw: d[d["sigma_w"] == sw] for sw in sws}
        lo, hi = by[sws[0]], by[sws[-1]]
        rows += _mode_rows(name, clz, targets, sws, lo, hi, judge=True)
        rows += _mode_rows(name, other, targets, sws, lo, hi, judge=False)
        diff, se = hi["error"].mean() - lo["error"].mean(), np.hypot(hi["error"].sem(), lo["error"].sem())
        rows.append(row(f"{name}: mean error sigma_w={sws[-1]:g} minus sigma_w={sws[0]:g}", diff, "> 0",
                        "> 2 SE", bool(diff > 2 * se), f"SE {se:.3f}"))
        for sw, part in by.items():
            ref = fig1c(float(sw), float(targets.loc[name, "clz_occam2304"]))
            rows.append(row(f"{name}, sigma_w={sw:g}: mean error", part["error"].mean(),
                            "" if ref is None else ref[0], "", None, "authors' Fig. 1c (1000 runs)"))
        rr = rand[rand["target"] == name]
        err = rr["errors"] / rr["n_test"]
        half = Z * 0.5 / np.sqrt(rr["n_test"].iloc[0] * len(rr))
        rows.append(row(f"{name}: random labelling mean error", float(err.mean()), 0.5, f"within {half:.4f}",
                        abs(err.mean() - 0.5) <= half, f"{len(rr)} draws; its modal C_LZ {_mode(rr[clz]):g}"))
    return rows


def _arch(spec: dict) -> tuple:
    """What fixes a net's init distribution (so its prior sample set)."""
    return tuple(spec[k] for k in ("depth", "width", "activation", "sigma_w", "sigma_b"))


def prediction_frame(sets) -> pd.DataFrame:
    """Per (target, net, m): predicted P(K|S) = P(K) L_m(K) (normalised) and the observed
    distribution of output C_LZ of converged runs, long format (clz, p, kind)."""
    targets, clz = targets_table(sets)
    variant = next(v for v, c in LZ_COLUMNS.items() if c == clz)
    runs = runs_frame(sets)
    runs = runs[runs["converged"]]
    priors = {_arch(m["spec"]): (t[t["variant"] == variant].set_index("clz")["p"], m["samples"])
              for m, t in stage(sets, "occam_prior_k")}
    spectra = {m["target"]: (m, t) for m, t in stage(sets, "occam_spectrum")}
    frames = []
    for (target, net, m), d in runs.groupby(["target", "net", "m"]):
        if target not in spectra:
            continue
        smeta, spec = spectra[target]
        rmeta = next(mt for mt, _ in stage(sets, "occam_runs") if mt["net_name"] == net)["net"]
        prior, samples = priors[_arch(rmeta)]
        like = likelihood(spec, variant, m, smeta["options"]["top"])
        if smeta["options"]["extrapolate_prior"]:
            prior_used = extrapolate_low_k(prior, like.index, min_p=MIN_PRIOR_COUNT / samples)
        else:
            prior_used = prior
        pred = predicted_posterior(prior_used, like)
        obs = d[clz].value_counts(normalize=True).sort_index()
        common = dict(target=target, net=net, sigma_w=rmeta["sigma_w"], m=m, runs=len(d),
                      target_clz=float(targets.loc[target, clz]))
        frames += [pd.DataFrame({"clz": pred.index, "p": pred.to_numpy(), "kind": "predicted",
                                 "extrapolated": pred.index < prior[prior >= MIN_PRIOR_COUNT / samples].index.min(),
                                 **common}),
                   pd.DataFrame({"clz": obs.index, "p": obs.to_numpy(), "kind": "trained nets",
                                 "extrapolated": False, **common})]
    return pd.concat(frames, ignore_index=True)


def prior_likelihood(sets) -> list[dict]:
    """T12: P(K|S) predicted by prior x error-spectrum likelihood against trained nets."""
    rows = []
    samples = {m["name"]: m["samples"] for m, _ in stage(sets, "occam_prior_k")}
    searched = {m["target"]: m["searched"] for m, _ in stage(sets, "occam_spectrum")}
    rows.append(row("prior samples per sigma_w / functions searched per target",
                    f"{samples} / {searched}", "1e8 / ~6e4 (authors)", "", None))
    frame = prediction_frame(sets)
    for (target, net, m), d in frame.groupby(["target", "net", "m"], sort=False):
        pred = d[d["kind"] == "predicted"].set_index("clz")["p"]
        obs = d[d["kind"] == "trained nets"].set_index("clz")["p"]
        runs = int(d["runs"].iloc[0])
        tv_max = TV_MAX_PAPER if runs >= PAPER_RUNS else TV_MAX_SMALL
        tv = total_variation(pred, obs)
        label = f"{target}, {net}, m={m}"
        rows.append(row(f"{label}: total variation(predicted, trained)", tv, "",
                        *judged(runs, f"< {tv_max}", tv < tv_max), f"{runs} runs"))
        mp, mo = float(pred.idxmax()), float(obs.idxmax())
        extra = d.loc[(d["kind"] == "predicted") & d["extrapolated"], "p"].sum()
        rows.append(row(f"{label}: modal C_LZ predicted vs trained", f"{mp:g} vs {mo:g}", "",
                        *judged(runs, f"within {MODE_TOL:g}", abs(mp - mo) <= MODE_TOL),
                        f"means {np.dot(pred.index, pred):.1f} vs {np.dot(obs.index, obs):.1f}; "
                        f"target {d['target_clz'].iloc[0]:g}; predicted mass on extrapolated P(K): {extra:.2f}"))
    return rows


def corruption(sets) -> list[dict]:
    """T15: PAC-Bayes bound and measured error against label corruption."""
    runs = pd.concat([t for _, t in stage(sets, "occam_corruption_runs")], ignore_index=True)
    (bmeta, b), = stage(sets, "occam_corruption_bound")
    opts = bmeta["options"]
    ok = runs[runs["converged"]]
    err = ok.groupby("level")["test_error"].agg(["mean", "sem", "count"])
    conv = runs.groupby("level")["converged"].mean()
    b = b.set_index("level").join(err, how="left")
    rows = [row(f"corruption {lvl:g}: fraction of runs at 100% train accuracy", float(c), "",
                f">= {CONVERGED_MIN}", c >= CONVERGED_MIN) for lvl, c in conv.items()]
    holds = bool((b["bound_ep"] > b["mean"]).all())
    rows.append(row(f"bound (EP, {opts['formula']}, delta={delta_text(opts['delta'])}) > mean test error at "
                    "every level",
                    holds, "", "all levels", holds,
                    f"bounds {np.round(b['bound_ep'].to_numpy(), 3).tolist()} vs errors "
                    f"{np.round(b['mean'].to_numpy(), 3).tolist()} at levels {b.index.tolist()}"))
    for col, name in (("mean", "mean test error"), ("bound_ep", "bound")):
        rho = float(scipy.stats.spearmanr(b.index, b[col]).statistic)
        rows.append(row(f"Spearman(corruption, {name})", rho, "increases (1805.08522)", "> 0.8", rho > 0.8))
    zero = b.iloc[0]
    rows.append(row(f"bound at corruption {b.index[0]:g}", float(zero["bound_ep"]), "", f"< {BOUND_GOOD}",
                    bool(zero["bound_ep"] < BOUND_GOOD), "1 - exp(-C/m) < 1 always; < 0.5 beats a coin"))
    if b["log_ps_exact"].notna().any():
        rel = float(((b["log_ps_ep"] - b["log_ps_exact"]) / b["log_ps_exact"].abs()).median())
        rows.append(row("EP vs exact log P(S), median relative difference", rel, "", "", None, "EP's bias"))
    clean = ok.groupby("level")["clean_test_error"].mean()
    rows.append(row("mean error on the clean test labels per level", str(np.round(clean.to_numpy(), 3).tolist()),
                    "", "", None, "what the noise costs against the true labels"))
    return rows
