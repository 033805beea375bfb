"""Judging a statistic: every rule of the vocabulary passes what it should and fails the rest."""

import math

import pytest

from nnbayes.core.criteria import judge


@pytest.mark.parametrize("rule, good, bad", [
    ({"op": "==", "value": 0}, 0, 1),
    ({"op": "<", "value": 1e-3}, 1e-4, 1e-3),
    ({"op": ">=", "value": 0.5}, 0.5, 0.49),
    ({"op": "between", "value": [1, 2]}, 1.5, 2.5),
    ({"op": "within", "value": 10.0, "tol": 0.5}, 10.4, 10.6),
    ({"op": "increasing"}, [1, 2, 3], [1, 3, 3]),
    ({"op": "decreasing"}, [3, 2, 1], [3, 1, 2]),
    ({"op": "nondecreasing"}, [0, 0, 1], [0, 0, 0]),
])
def test_each_rule_passes_and_fails(rule, good, bad):
    assert judge(rule, good)[1] is True
    assert judge(rule, bad)[1] is False


def test_within_uses_the_widest_of_absolute_relative_and_z_se():
    rule = {"op": "within", "value": 100.0, "z": 4, "rel": 0.01}
    assert judge(rule, 101.9, se=0.5)[1]  # 4 SE = 2
    assert not judge(rule, 102.1, se=0.5)[1]
    assert judge(rule, 100.9, se=0.01)[1]  # 1 % of 100
    with pytest.raises(ValueError, match="standard error"):
        judge(rule, 100.0)


def test_a_statistic_that_could_not_be_computed_fails_a_judged_rule():
    assert judge({"op": "<", "value": 1.0}, math.nan)[1] is False
    assert judge({"op": "increasing"}, [1.0, math.nan])[1] is False
    assert judge({"op": "increasing"}, [1.0])[1] is False


def test_reported_rules_and_too_few_samples_never_judge():
    assert judge({"op": "reported"}, 3.0) == ("reported", None)
    text, passed = judge({"op": ">", "value": 0.3, "min_n": 20}, 0.9, n=10)
    assert passed is None and "n = 10 < 20" in text
    assert judge({"op": ">", "value": 0.3, "min_n": 20}, 0.9, n=20)[1] is True


def test_unknown_op_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        judge({"op": "approximately"}, 1.0)
