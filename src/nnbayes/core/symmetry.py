"""Orbits of Boolean functions under permutations of the n input coordinates.

A prior that draws a net's first-layer weights i.i.d. (the FCN's init, its NNGP, the
perceptron's) gives f and f o pi the same probability for every permutation pi of the inputs,
and its posterior gives two such functions that both fit S the same P_B. So P_B is constant on
each orbit of the found functions, whatever else the prior is; an optimiser whose P_opt varies
within orbits is not sampling the posterior of any permutation-invariant prior.
"""

from itertools import permutations

import numpy as np

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.functions import MAX_BITS, pack_array

CHUNK = 64  # functions per step: [CHUNK, n!, 2^n] bytes of images (41 MB at n = 7)


def coordinate_permutations(n: int) -> np.ndarray:
    """[n!, 2^n]: row p maps cube index i to the index of x(i) with its coordinates permuted by p
    (f o p as an array is f[row p])."""
    cube = boolean_cube(n).astype(np.int64)
    weights = 2 ** np.arange(n - 1, -1, -1)
    return np.stack([cube[:, list(p)] @ weights for p in permutations(range(n))])


def orbits(functions: np.ndarray) -> np.ndarray:
    """Orbit labels 0, 1, ... (ordered by each orbit's least member as a bit string) of functions
    [F, 2^n] (0/1, on the whole cube): equal labels iff one is the other with its inputs permuted."""
    F, N = functions.shape
    n = N.bit_length() - 1
    if N != 2**n or N > MAX_BITS:
        raise ValueError(f"orbits need functions on a whole cube of <= {MAX_BITS} points, got {N}")
    perms = coordinate_permutations(n)
    least = np.empty((F, 2), dtype=np.uint64)
    for a in range(0, F, CHUNK):
        images = functions[a : a + CHUNK][:, perms]  # [c, n!, N]
        ids = pack_array(images.reshape(-1, N)).reshape(len(images), len(perms), 2)
        hi = ids[..., 0].min(1, keepdims=True)
        lo = np.where(ids[..., 0] == hi, ids[..., 1], np.iinfo(np.uint64).max).min(1)
        least[a : a + CHUNK] = np.column_stack([hi[:, 0], lo])
    return np.unique(least, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)
