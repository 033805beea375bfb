import numpy as np
import pytest

from nnbayes.core.boolean import boolean_cube, center, str_to_bits, target_function, train_mask


def test_cube_order_is_binary_expansion_msb_first():
    x = boolean_cube(7)
    assert x.shape == (128, 7)
    assert x[1].tolist() == [0, 0, 0, 0, 0, 0, 1]  # x_7 is the least significant bit
    assert x[64].tolist() == [1, 0, 0, 0, 0, 0, 0]  # x_1 the most significant
    assert (x @ (2 ** np.arange(6, -1, -1)) == np.arange(128)).all()
    assert len({tuple(r) for r in x}) == 128


def test_center_maps_to_pm1():
    assert set(np.unique(center(boolean_cube(3)))) == {-1.0, 1.0}


@pytest.mark.parametrize("n", [3, 7])
def test_named_targets(n):
    x = boolean_cube(n)
    assert target_function({"kind": "parity"}, n).tolist() == (x.sum(1) % 2).tolist()
    maj = target_function({"kind": "majority"}, n)
    assert maj.sum() == sum(1 for r in x if r.sum() > n / 2)
    assert target_function({"kind": "constant", "value": 1}, n).all()
    r1, r2 = (target_function({"kind": "random", "seed": 1}, n) for _ in range(2))
    assert (r1 == r2).all() and 0 < r1.sum() < 2**n
    s = "01" * 2 ** (n - 1)
    assert target_function({"kind": "bits", "bits": s}, n).tolist() == [int(c) for c in s]


def test_bad_targets_are_refused_by_name():
    with pytest.raises(ValueError, match="is not one of"):
        target_function({"kind": "xor"}, 7)
    with pytest.raises(ValueError, match="length 3"):
        target_function({"kind": "bits", "bits": "010"}, 7)
    with pytest.raises(ValueError, match="only '0' and '1'"):
        str_to_bits("01x")


def test_split_is_seeded_and_sized():
    a, b, c = train_mask(128, 32, 0), train_mask(128, 32, 0), train_mask(128, 32, 1)
    assert a.sum() == 32 and (a == b).all() and not (a == c).all()
    with pytest.raises(ValueError, match="0 < m < 128"):
        train_mask(128, 128, 0)
