"""Occam stage, trained nets: per-net data in the batched trainer, the runs table, the smoke-scale
science of T10/T11 (2304.06670 Fig. 1c-f) and T15, and the checks judging them."""

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import REPO
from nnbayes.core.boolean import boolean_cube
from nnbayes.core.complexity import lz_complexity
from nnbayes.core.functions import pack_bits, unpack_ids
from nnbayes.data.images import load_digits_binary
from nnbayes.core.networks import forward, init_params, layer_widths
from nnbayes.occam.training import boolean_runs, corruption_runs
from nnbayes.occam.bounds import corruption_bounds
from nnbayes.occam.checks import complexity_error, corruption, generalisation
from nnbayes.occam.targets import corrupted_task, graded_targets, random_labelling, run_masks
from nnbayes.core.train import train_networks
from nnbayes.workflow.criteria import judged, load

CRITERIA = load(REPO / "workflow" / "criteria" / "occam.yaml")
CPU = torch.device("cpu")
torch.set_num_threads(1)  # small matrices: one thread is fastest, and the machine is shared
CUBE = boolean_cube(7)
ADAM = {"optimizer": "adam", "batch_size": 16, "lr": 0.001, "loss": "ce"}
SPEC = {"ones": [0, 10], "seed": 10, "random": 1}
TARGETS = graded_targets(SPEC, 128)


def tanh(sigma_w):
    return {"depth": 10, "width": 40, "activation": "tanh", "sigma_w": sigma_w, "sigma_b": 0.1}


def runs(net, n_runs, targets=TARGETS, seed=3, max_epochs=1000):
    return boolean_runs(CUBE, targets, net, ADAM, 64, {t: range(n_runs) for t in targets}, seed=seed,
                        batch_nets=1000, max_epochs=max_epochs, gen=torch.Generator().manual_seed(seed),
                        device=CPU, dtype=torch.float32)


@pytest.fixture(scope="module")
def trained():
    """Smoke scale of T10/T11: sigma_w = 1 (ordered) and 8 (chaotic), 12 runs per target."""
    return {sw: runs(tanh(sw), 12) for sw in (1.0, 8.0)}


def _data(n_nets, seed=0):
    X = torch.as_tensor(CUBE, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    masks = np.stack([rng.permutation(128) < 32 for _ in range(n_nets)])
    ys = (rng.random((n_nets, 128)) < 0.5).astype(np.float64)
    cols = np.nonzero(masks)[1].reshape(n_nets, 32)
    return X, torch.as_tensor(cols), torch.as_tensor(ys)


def _nets(n, seed=0):
    return init_params(layer_widths(7, 2, 40), n, sigma_w=1.0, sigma_b=1.0, gen=torch.Generator().manual_seed(seed),
                       device=CPU, dtype=torch.float64)


def _train(params, X_train, y_train, X_test, max_epochs=300):
    return train_networks(params, X_train, y_train, X_test, activation="relu", optimizer="adam", lr=0.01,
                          batch_size=8, loss="ce", max_epochs=max_epochs, gen=torch.Generator().manual_seed(1))


def test_per_net_data_equal_to_shared_data_when_the_same():
    X, cols, ys = _data(1)
    X_s, y_s = X[cols[0]], ys[0][cols[0]]
    shared = _train(_nets(5), X_s, y_s, X, max_epochs=20)
    per_net = _train(_nets(5), X_s.expand(5, -1, -1), y_s.expand(5, -1), X.expand(5, -1, -1), max_epochs=20)
    assert np.array_equal(shared.test_ids, per_net.test_ids) and np.array_equal(shared.epochs, per_net.epochs)
    for a, b in zip(shared.params, per_net.params):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_per_net_data_trains_each_net_on_its_own_set():
    X, cols, ys = _data(12)
    rows = torch.arange(12)[:, None]
    res = _train(_nets(12), X[cols], ys[rows, cols], X)
    assert res.converged.all()
    full = unpack_ids(res.test_ids, 128)  # the function on the whole cube
    for k in range(12):
        assert np.array_equal(full[k, cols[k].numpy()], ys[k, cols[k]].numpy())  # fits its own S
    assert not all(np.array_equal(full[k, cols[0].numpy()], ys[0, cols[0]].numpy()) for k in range(1, 12))
    again = pack_bits(forward(res.params, X) > 0)  # the recorded ids are the final nets'
    assert np.array_equal(again, res.test_ids)


def test_runs_table_is_seeded_and_self_consistent(trained):
    small = runs(tanh(4.0), 2, max_epochs=5)
    assert small.equals(runs(tanh(4.0), 2, max_epochs=5))  # same seed, same table
    assert not small.equals(runs(tanh(4.0), 2, max_epochs=5, seed=4))
    df = trained[1.0]
    assert len(df) == 36 and df["converged"].all() and (df["train_errors"] == 0).all()
    full = unpack_ids(df[["id_hi", "id_lo"]].to_numpy(dtype=np.uint64), 128)
    y = np.stack([TARGETS[t] for t in df["target"]])
    masks = np.concatenate([run_masks(3, t, 64, np.array([r]), 128) for t, r in zip(df["target"], df["run"])])
    assert np.array_equal(((full != y) & ~masks).sum(1), df["errors"])
    assert np.array_equal(lz_complexity(full), df["clz"])
    assert np.array_equal(lz_complexity(full, "occam2304"), df["clz_occam2304"])


def test_t10_error_rises_with_target_complexity_and_the_chaotic_prior_generalises_worse(trained):
    err = {sw: (df["errors"] / df["n_test"]).groupby(df["target"]).mean() for sw, df in trained.items()}
    ordered, chaotic = err[1.0], err[8.0]
    # ordered prior: ones0 (C_LZ 7) < ones10 (70) < random0 (150.5); authors 0.024 / 0.115 / 0.498
    assert ordered["ones0"] < ordered["ones10"] < ordered["random0"]
    assert abs(ordered["ones10"] - 0.115) < 0.06 and abs(ordered["random0"] - 0.5) < 0.08
    # chaotic prior: near the unbiased learner's 0.5 even for the simple targets (authors >= 0.33)
    assert (chaotic[["ones0", "ones10"]] > 0.3).all() and (chaotic - ordered)[["ones0", "ones10"]].min() > 0.2


def test_t11_outputs_follow_the_prior(trained):
    o, c = trained[1.0], trained[8.0]
    ones10 = lz_complexity(TARGETS["ones10"][None])[0]
    assert abs(o.loc[o["target"] == "ones10", "clz"].median() - ones10) <= 21  # simple outputs near the target
    assert c["clz"].median() >= 100  # chaotic outputs are complex whatever the target


def _sets(trained, targets=TARGETS, lz="dingle"):
    bits = np.stack(list(targets.values()))
    table = pd.DataFrame({"target": list(targets), "clz": lz_complexity(bits),
                          "clz_occam2304": lz_complexity(bits, "occam2304")})
    sets = [({"stage": "occam_targets", "lz_variant": lz}, table)]
    for sw, df in trained.items():
        sets.append(({"stage": "occam_runs", "net_name": f"tanh_sw{sw:g}", "net": tanh(sw), "m": 64}, df))
    return sets


def verdicts(rows) -> dict:
    """{row id: passed} as the pre-registered criteria judge the rows at smoke scale."""
    return judged("fig", rows, CRITERIA, "smoke").set_index("id")["passed"].to_dict()


def _by_key(v: dict, key: str) -> list:
    return [p for rid, p in v.items() if rid.startswith(key + "[") or rid == key]


def test_checks_pass_on_real_runs_and_fail_when_the_signal_is_removed(trained):
    v = verdicts(generalisation(_sets(trained)))
    assert _by_key(v, "occam1_generalisation/error_vs_target_clz") == [True, True]
    assert all(_by_key(v, "occam1_generalisation/converged_fraction"))
    flat = {sw: df.assign(errors=df["errors"].sample(frac=1, random_state=0).to_numpy())  # negative control
            for sw, df in trained.items()}
    flat[1.0]["errors"] = 32
    assert not verdicts(generalisation(_sets(flat)))["occam1_generalisation/error_vs_target_clz[tanh_sw1]"]
    rand = random_labelling(CUBE, {"ones10": TARGETS["ones10"]}, 64, 400, seed=0)
    v = verdicts(complexity_error(_sets(trained) + [({"stage": "occam_random_labels"}, rand)]))
    assert v["occam2_complexity_error/error_gap_z[ones10, sigma_w=8 - 1]"]
    assert v["occam2_complexity_error/random_labelling_error[ones10]"]
    assert v["occam2_complexity_error/ordered_mode[ones10, sigma_w=1]"] is None  # 12 runs: reported, not judged
    assert v["occam2_complexity_error/chaotic_mode[ones10, sigma_w=8]"] is None


def test_means_are_judged_against_the_authors_band_at_every_sigma_w(trained):
    """Fig. 1c's mean +- std at the target's occam2304 K: a chaotic net that generalised like an
    ordered one falls outside the sigma_w = 8 band, and the chaotic floor is that band."""
    row = "occam1_generalisation/mean_error[tanh_sw8, ones0, K=7]"
    assert verdicts(generalisation(_sets(trained)))[row]
    ordered_like = {8.0: trained[1.0], 1.0: trained[1.0]}
    assert not verdicts(generalisation(_sets(ordered_like)))[row]


def test_random_labelling_is_the_unbiased_learner():
    rand = random_labelling(CUBE, {"ones10": TARGETS["ones10"]}, 64, 2000, seed=1)
    err = rand["errors"] / rand["n_test"]
    assert abs(err.mean() - 0.5) < 4 * 0.5 / np.sqrt(64 * 2000)
    assert abs(err.std() - 0.0625) < 0.005  # 0.5 +- 4/64, the authors' band
    assert rand["clz"].median() > 100


def test_t15_bound_above_error_and_both_grow_with_corruption():
    X, _, y = load_digits_binary("lt5")
    spec = {"m": 80, "test_size": 300, "seed": 0, "levels": [0.0, 1.0]}
    noisy = corrupted_task(X, y, spec, 1.0)
    clean = corrupted_task(X, y, spec, 0.0)
    assert np.array_equal(noisy.X_train, clean.X_train) and 0.3 < (noisy.y_train != clean.y_train).mean() < 0.7
    net = {"depth": 2, "width": 64, "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.125}
    df = corruption_runs(X, y, spec, net, {"optimizer": "adam", "batch_size": 32, "lr": 0.01, "loss": "ce"},
                         range(3), batch_nets=100, max_epochs=400, gen=torch.Generator().manual_seed(0),
                         device=CPU, dtype=torch.float32)
    b = corruption_bounds(X, y, spec, net, seed=0, delta=2.0**-10, formula="mcallester", exact_samples=0)
    meta = {"stage": "occam_corruption_bound", "options": {"formula": "mcallester", "delta": 2.0**-10}}
    v = verdicts(corruption([({"stage": "occam_corruption_runs"}, df), (meta, b)]))
    assert v["occam4_pac_bayes_corruption/bound_above_error"]
    err = df[df["converged"]].groupby("level")["test_error"].mean()
    assert err[0.0] < 0.25 and abs(err[1.0] - 0.5) < 0.1
    assert b["bound_ep"].iloc[0] < b["bound_ep"].iloc[1]


def test_the_off_by_one_variant_moves_only_the_axis(trained):
    dingle = judged("fig", generalisation(_sets(trained, lz="dingle")), CRITERIA, "smoke").set_index("id")
    occam = judged("fig", generalisation(_sets(trained, lz="occam2304")), CRITERIA, "smoke").set_index("id")
    row = "occam1_generalisation/mean_error[tanh_sw1, ones10, K=66.5]"  # the paper's label keys the row
    assert "axis C_LZ 70" in dingle.loc[row, "note"] and "axis C_LZ 66.5" in occam.loc[row, "note"]
    # the authors' numbers are matched at their own (occam2304) K under either axis
    assert dingle.loc[row, "reference"] == occam.loc[row, "reference"]
    assert dingle.loc[row, "reference"].startswith("0.1145 +- 0.0404")
