"""The Boolean data set: the cube {0,1}^n, target functions on it, and train/test splits.

One input order everywhere: row i of the cube is the binary expansion of i with x_1 the
most significant bit (the authors' Python order, `"{0:07b}".format(i)`), and a function is
the bit string whose i-th character is f(x(i)).
"""

import numpy as np

TARGET_KINDS = ("constant", "parity", "majority", "random", "bits")


def boolean_cube(n: int) -> np.ndarray:
    """All 2^n points of {0,1}^n as uint8 [2^n, n], row i = binary of i, x_1 the MSB."""
    if not 1 <= n <= 16:
        raise ValueError(f"n={n} is out of range: 1 <= n <= 16")
    i = np.arange(2**n)[:, None]
    return ((i >> np.arange(n - 1, -1, -1)) & 1).astype(np.uint8)


def center(x: np.ndarray) -> np.ndarray:
    """{0,1} -> {-1,+1} (`2x - 1`): the papers' `centering` option."""
    return 2.0 * x.astype(np.float64) - 1.0


def bits_to_str(bits: np.ndarray) -> str:
    return "".join("1" if b else "0" for b in bits)


def str_to_bits(s: str) -> np.ndarray:
    if set(s) - {"0", "1"}:
        raise ValueError(f"a function string may hold only '0' and '1', got {s[:20]!r}...")
    return np.frombuffer(s.encode(), dtype=np.uint8) - ord("0")


def target_function(spec: dict, n: int) -> np.ndarray:
    """Outputs uint8 [2^n] of a target given by kind (see TARGET_KINDS) or explicit bits.

    `random` draws each output with P(1) = spec['p'] (default 0.5) from spec['seed'];
    `constant` takes spec['value']; `majority` is 1 iff more than n/2 inputs are 1.
    """
    kind = spec.get("kind")
    x = boolean_cube(n)
    if kind == "constant":
        return np.full(2**n, int(spec.get("value", 0)), dtype=np.uint8)
    if kind == "parity":
        return (x.sum(1) % 2).astype(np.uint8)
    if kind == "majority":
        return (2 * x.sum(1) > n).astype(np.uint8)
    if kind == "random":
        rng = np.random.default_rng(spec["seed"])
        return (rng.random(2**n) < spec.get("p", 0.5)).astype(np.uint8)
    if kind == "bits":
        bits = str_to_bits(spec["bits"])
        if len(bits) != 2**n:
            raise ValueError(f"target bits have length {len(bits)}, expected 2^{n}={2**n}")
        return bits
    raise ValueError(f"target kind {kind!r} is not one of {list(TARGET_KINDS)}")


def train_mask(n_points: int, m: int, seed: int) -> np.ndarray:
    """S = m inputs drawn uniformly without replacement; E = the rest (bool [n_points])."""
    if not 0 < m < n_points:
        raise ValueError(f"training-set size m={m} must satisfy 0 < m < {n_points}")
    mask = np.zeros(n_points, dtype=bool)
    mask[np.random.default_rng(seed).choice(n_points, size=m, replace=False)] = True
    return mask
