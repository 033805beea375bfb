import numpy as np
import torch

from nnbayes.core.functions import count_ids, ids_to_strings, ones_count, pack_bits, unpack_ids


def test_pack_unpack_round_trip_and_reads_as_bit_string():
    rng = np.random.default_rng(0)
    bits = rng.random((500, 128)) < 0.5
    ids = pack_bits(torch.as_tensor(bits))
    assert ids.dtype == np.uint64 and ids.shape == (500, 2)
    assert (unpack_ids(ids, 128) == bits).all()
    s = ids_to_strings(ids[:1], 128)[0]
    assert s == "".join("1" if b else "0" for b in bits[0])
    # the two words are the string's first and last 64 bits, most significant first
    assert int(s[:64], 2) == int(ids[0, 0]) and int(s[64:], 2) == int(ids[0, 1])


def test_short_functions_are_left_aligned():
    bits = torch.tensor([[1, 0, 1, 1]], dtype=torch.bool)
    ids = pack_bits(bits)
    assert int(ids[0, 0]) == 0b1011 << 60 and int(ids[0, 1]) == 0
    assert unpack_ids(ids, 4).tolist() == [[1, 0, 1, 1]]


def test_ones_count_is_popcount():
    rng = np.random.default_rng(1)
    bits = rng.random((300, 128)) < rng.random((300, 1))
    assert (ones_count(pack_bits(torch.as_tensor(bits))) == bits.sum(1)).all()


def test_count_ids_matches_a_dict_count():
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 5, size=(1000, 2)).astype(np.uint64)
    uniq, counts = count_ids(ids)
    expected = {}
    for row in map(tuple, ids.tolist()):
        expected[row] = expected.get(row, 0) + 1
    assert dict(zip(map(tuple, uniq.tolist()), counts.tolist())) == expected
    assert counts.sum() == 1000
    assert [tuple(r) for r in uniq.tolist()] == sorted(expected)
