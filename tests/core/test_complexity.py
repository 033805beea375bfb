"""Tests for nnbayes.core.complexity: Lempel-Ziv C_LZ (two variants) and entropy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnbayes.core.complexity import entropy, lz_complexity, lz_complexity_str, lz_components

GOLDEN = Path(__file__).parents[1] / "data" / "lz_golden_funs.txt"

# Target functions of arXiv 2304.06670 with (default, occam2304) C_LZ.
TARGETS = [
    ("0" * 9 + "1" + "0" * 115 + "100", 35.0, 31.5),
    (
        "00000000010000010000000000001000000000000000000000000000000000001"
        "000000000000000000000000100010000001000000000000100000000010100",
        70.0,
        66.5,
    ),
    (
        "10000000110000010000000000001100000010001000000000000000000000001"
        "000000001000000000000000100010000001000001000001100001000110100",
        101.5,
        101.5,
    ),
]


def _to_bits(strings: list[str]) -> np.ndarray:
    return np.array([[ch == "1" for ch in s] for s in strings], dtype=np.uint8)


def _ks_reference(s, occam: bool = False) -> int:
    """Plain scalar Kaspar-Schuster (1987), one string at a time (test oracle).

    occam=True applies the early end tests of the C1510/OccamsRazor code.
    """
    n = len(s)
    match_stop, restart_stop = (n - 2, n - 1) if occam else (n + 1, n)
    i, c, u, v, vmax = 0, 1, 1, 1, 1  # S is 1-indexed: S[j] == s[j - 1]
    while True:
        if s[i + v - 1] == s[u + v - 1]:
            v += 1
            if u + v >= match_stop:
                return c + 1
        else:
            vmax = max(v, vmax)
            i += 1
            if i == u:
                c += 1
                u += vmax
                if u >= restart_stop:
                    return c
                i, v, vmax = 0, 1, 1
            else:
                v = 1


def test_scalar_reference_matches_textbook_loop():
    # Guard the oracle itself against the brief's while-loop formulation.
    def textbook(s):
        n = len(s)
        i, c, u, v, vmax = 0, 1, 1, 1, 1
        while u + v <= n:
            if s[i + v - 1] == s[u + v - 1]:
                v += 1
            else:
                vmax = max(v, vmax)
                i += 1
                if i == u:
                    c, u, v, i, vmax = c + 1, u + vmax, 1, 0, 1
                else:
                    v = 1
        return c + (v != 1)

    rng = np.random.default_rng(7)
    for n in range(2, 40):
        for row in rng.integers(0, 2, (20, n)):
            assert _ks_reference(row) == textbook(row)


def test_golden_strings_one_vectorised_call():
    pairs = [line.split() for line in GOLDEN.read_text().splitlines() if line.strip()]
    assert len(pairs) == 50
    got = lz_complexity(_to_bits([s for s, _ in pairs]))
    np.testing.assert_array_equal(got, [float(v) for _, v in pairs])


@pytest.mark.parametrize(
    "s, expected",
    [
        ("0" * 128, 7.0),
        ("1" * 128, 7.0),
        ("0" * 127 + "1", 17.5),
        ("01" * 64, 21.0),
        ("0" * 64 + "1" * 64, 21.0),
        ("0001" * 32, 24.5),
        ("0011" * 32, 28.0),
    ],
)
def test_table(s, expected):
    assert lz_complexity_str(s) == expected


def test_one_then_zeros_components():
    bits = _to_bits(["0" * 127 + "1", "1" + "0" * 127])
    np.testing.assert_array_equal(lz_components(bits), [2, 3])


@pytest.mark.parametrize("variant", ["dingle", "occam2304"])
def test_vectorised_equals_scalar_random_lengths(variant):
    rng = np.random.default_rng(123)
    lengths = rng.integers(2, 129, size=3000)
    occam = variant == "occam2304"
    for n in np.unique(lengths):
        rows = rng.integers(0, 2, (int((lengths == n).sum()), int(n)), dtype=np.uint8)
        expected = [_ks_reference(r, occam) for r in rows]
        np.testing.assert_array_equal(lz_components(rows, variant), expected)


@pytest.mark.parametrize("variant", ["dingle", "occam2304"])
def test_vectorised_equals_scalar_structured_long(variant):
    # Long repeats exercise the multi-word (> 64 bit) match extension.
    rng = np.random.default_rng(5)
    strings = []
    for n in (65, 127, 128, 129, 200, 300):
        for period in (1, 2, 3, 5, 7, 64, 70):
            base = rng.integers(0, 2, period, dtype=np.uint8)
            s = np.resize(base, n)
            strings.append(s)
            flipped = s.copy()
            flipped[rng.integers(0, n)] ^= 1
            strings.append(flipped)
    occam = variant == "occam2304"
    for n in sorted({len(s) for s in strings}):
        rows = np.array([s for s in strings if len(s) == n])
        expected = [_ks_reference(r, occam) for r in rows]
        np.testing.assert_array_equal(lz_components(rows, variant), expected)


@pytest.fixture(scope="module")
def random_128():
    return np.random.default_rng(2018).integers(0, 2, (20_000, 128), dtype=np.uint8)


def test_random_string_statistics(random_128):
    c = lz_complexity(random_128)
    assert np.all(c % 3.5 == 0)
    assert abs(np.mean(c == 150.5) - 0.2251) < 0.015
    assert abs(c.mean() - 148.8) < 0.5


@pytest.mark.parametrize("s, default, occam", TARGETS)
def test_occam2304_targets(s, default, occam):
    assert len(s) == 128
    assert lz_complexity_str(s) == default
    assert lz_complexity_str(s, variant="occam2304") == occam


def test_occam2304_random_statistics(random_128):
    d = lz_complexity(random_128)
    o = lz_complexity(random_128, variant="occam2304")
    assert abs(o.mean() - 147.1) < 0.6
    assert np.all(o <= d)
    both = np.concatenate([random_128, random_128[:, ::-1]])
    fewer = lz_components(both) - lz_components(both, variant="occam2304")
    assert set(np.unique(fewer)) <= {0, 1}
    assert abs(fewer.mean() - 0.239) < 0.015


def test_constants_both_variants():
    long, short = _to_bits(["0" * 128, "1" * 128]), _to_bits(["0" * 16, "1" * 16])
    for variant in ("dingle", "occam2304"):
        np.testing.assert_array_equal(lz_complexity(long, variant), [7.0, 7.0])
        np.testing.assert_array_equal(lz_complexity(short, variant), [4.0, 4.0])


def test_unknown_variant_rejected():
    with pytest.raises(ValueError, match="dingle.*occam2304"):
        lz_components(np.zeros((1, 8), dtype=np.uint8), variant="lz78")
    with pytest.raises(ValueError, match="allowed"):
        lz_complexity_str("0101", variant="nope")


def test_entropy_closed_forms():
    assert entropy(0, 128) == 0.0
    assert entropy(128, 128) == 0.0
    assert entropy(64, 128) == pytest.approx(1.0)
    assert entropy(32, 128) == pytest.approx(-(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75)))
    h = entropy(np.array([0, 1, 64, 127, 128]), 128)
    assert h.shape == (5,)
    assert h[0] == 0.0 and h[-1] == 0.0 and h[2] == pytest.approx(1.0)
    assert h[1] == pytest.approx(h[3]) and 0 < h[1] < 0.1
