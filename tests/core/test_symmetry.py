import numpy as np
import pytest

from nnbayes.core.boolean import boolean_cube
from nnbayes.core.symmetry import coordinate_permutations, orbits
from nnbayes.gp.ep import ep_batch
from nnbayes.gp.nngp import nngp_kernel


def test_permutations_permute_the_inputs_of_a_function():
    cube = boolean_cube(4)
    perms = coordinate_permutations(4)
    assert perms.shape == (24, 16) and (np.sort(perms, 1) == np.arange(16)).all()
    f = cube[:, 0] & ~cube[:, 2] & 1  # x1 and not x3
    images = {tuple(f[p]) for p in perms}
    # x_i and not x_j over ordered pairs i != j: 12 functions, and each one is an image
    expected = {tuple(cube[:, i] & ~cube[:, j] & 1) for i in range(4) for j in range(4) if i != j}
    assert images == expected


def test_orbits_join_images_and_only_images():
    rng = np.random.default_rng(0)
    perms = coordinate_permutations(5)
    base = rng.integers(0, 2, (6, 32)).astype(np.uint8)
    funcs = np.concatenate([base, np.take_along_axis(base, perms[rng.integers(0, 120, 6)], 1)])
    labels = orbits(funcs)
    assert (labels[:6] == labels[6:]).all()
    assert len(np.unique(labels[:6])) == 6  # random functions on 32 points: no two related
    # an orbit's label does not depend on which member is given: swap halves
    assert (orbits(funcs[::-1]) == labels[::-1]).all()


def test_the_nngp_gives_one_p_b_per_orbit_and_another_across():
    # The reason orbits matter: an i.i.d.-weight prior's posterior is constant on them. EP on the
    # NNGP agrees with that to rounding; two functions in different orbits get other values.
    cube = boolean_cube(5)
    K = nngp_kernel(cube, depth=2, sigma_w=1.0, sigma_b=1.0).numpy()
    f = ((cube[:, 0] + cube[:, 1] + cube[:, 3]) >= 2).astype(np.uint8)
    g = f[coordinate_permutations(5)[37]]
    h = f.copy()
    h[5] ^= 1
    assert orbits(np.stack([f, g, h])).tolist() in ([0, 0, 1], [1, 1, 0])
    log_z = ep_batch(K, np.stack([f, g, h])).log_p
    assert log_z[0] == pytest.approx(log_z[1], rel=1e-9)
    assert abs(log_z[0] - log_z[2]) > 1e-3
