"""The QNN checks can fail: feed them tables that break the claims they test, judged by the
pre-registered criteria (workflow/criteria/qnn.yaml)."""

import numpy as np
import pandas as pd
import torch

from conftest import REPO
from nnbayes.core.boolean import boolean_cube
from nnbayes.core.functions import pack_bits
from nnbayes.qnn.checks import class_balance, complexity, expressivity, mapping
from nnbayes.workflow.criteria import judged, load

CRITERIA = load(REPO / "workflow" / "criteria" / "qnn.yaml")
PITFALL = {"kind": "dense_angle", "offset_pi": 0.0, "scale_pi": 0.5, "phase_pi": 2.0}


def verdicts(rows) -> dict:
    return judged("fig", rows, CRITERIA, "smoke").set_index("id")["passed"].to_dict()


def test_mapping_check_fails_on_a_broken_map_and_a_wrong_moment():
    df = pd.DataFrame({"embedding": "e", "unitary": "haar", "qubits": 3, "circuit": 0, "input": np.arange(50),
                       "qnn": np.linspace(-0.8, 0.8, 50)})
    df = df.assign(tpp_complex_re=df["qnn"], tpp_complex_im=0.0)
    moments = pd.DataFrame({"embedding": "e", "scheme": "haar", "dim": 8, "i": [0, 0], "j": [0, 1],
                            "fidelity": [1.0, 0.5], "theory": [1 / 9, 3 / 63], "stderr": [0.001, 0.001]})
    meta = {"options": {"moment_draws": 100}, "stage": "qnn_moments"}

    def run(map_error, moment_error):
        return verdicts(mapping([({"stage": "qnn_mapping"}, df.assign(tpp=df["qnn"] + map_error)),
                                 (meta, moments.assign(empirical=moments["theory"] + moment_error))]))

    good, bad = run(1e-15, 0.001), run(1e-6, 0.05)  # 1 s.e. off, then 50
    assert good["qnn1_mapping/max_map_error[e, haar U]"] and good["qnn1_mapping/moment_haar_pvalue[e]"]
    assert not bad["qnn1_mapping/max_map_error[e, haar U]"] and not bad["qnn1_mapping/moment_haar_pvalue[e]"]


def test_expressivity_check_catches_a_wrong_count_and_parity():
    meta = {"stage": "qnn_expressivity", "embeddings": {"amplitude_pm": {"kind": "amplitude", "inputs": "pm"}}}
    row = dict(model="tpp", embedding="amplitude_pm", n=4, domain=16, classes=8, rank=7, group=1, lp_calls=0,
               expressible=254.0, fraction=254 / 2**16, fraction_se=0.0, exact=True, parity_expressible=False)
    ok = verdicts(expressivity([(meta, pd.DataFrame([row]))]))
    wrong = verdicts(expressivity([(meta, pd.DataFrame([{**row, "expressible": 256.0, "parity_expressible": True}]))]))
    assert all(ok.values()) and len(ok) == 3
    assert not wrong["qnn2_expressivity/lp_count[amplitude_pm, n=4]"]
    assert not wrong["qnn2_expressivity/parity_n3_up[amplitude_pm, n=4]"]


def _prior_set(name: str, encoding: dict, bits: np.ndarray) -> tuple[dict, pd.DataFrame]:
    ids = pack_bits(torch.as_tensor(bits))
    table = pd.DataFrame({"id_hi": ids[:, 0], "id_lo": ids[:, 1], "count": 1, "clz": 10.0,
                          "t": bits.sum(1)})
    spec = {"embedding": name, "encoding": encoding, "scheme": "gue"}
    return {"name": f"{name}-gue", "spec": spec, "samples": len(bits), "n_points": bits.shape[1]}, table


def test_support_checks_fail_on_a_function_the_theorem_forbids():
    cube = boolean_cube(7)
    blind = np.stack([cube[:, 0] == 1, cube[:, 2] != cube[:, 6]])  # functions of the a bits (0, 2, 4, 6)
    sees_b = np.stack([cube[:, 0] == 1, cube[:, 1] == 1])
    even = np.stack([cube.sum(1) % 2 == 0])  # parity on 7 bits is odd under x -> -x: the complement is odd too
    pm = {"kind": "amplitude", "inputs": "pm"}
    key = "qnn4_complexity/ignores_phase_bits[dense_angle_pitfall-gue]"
    assert verdicts(complexity([_prior_set("dense_angle_pitfall", PITFALL, blind)]))[key]
    assert not verdicts(complexity([_prior_set("dense_angle_pitfall", PITFALL, sees_b)]))[key]
    sym = np.stack([cube[:, 0] == cube[:, 1]])  # x -> -x flips both bits: even
    assert verdicts(complexity([_prior_set("amplitude_pm", pm, sym)]))["qnn4_complexity/even_support[amplitude_pm-gue]"]
    assert not verdicts(complexity([_prior_set("amplitude_pm", pm, even)]))["qnn4_complexity/even_support[amplitude_pm-gue]"]


def test_basis_ones_count_check_fails_on_a_biased_prior():
    rng = np.random.default_rng(0)
    fair = rng.random((4000, 128)) < 0.5
    biased = rng.random((4000, 128)) < 0.52
    key = "qnn3_class_balance/basis_mean_t[basis-gue]"
    for bits, expect in ((fair, True), (biased, False)):
        assert verdicts(class_balance([_prior_set("basis", {"kind": "basis"}, bits)]))[key] is expect
