"""Image data: bundled digits facts, binarisation rules, a strict IDX reader, local IDX sets."""

import gzip
import struct

import numpy as np
import pytest

from nnbayes.data.images import (
    DIGITS_IMAGES,
    binarise,
    idx_shape,
    idx_sizes,
    load_digits_binary,
    load_idx_binary,
    load_images,
    read_idx,
)

CODES = {
    np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B,
    np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E,
}


def idx_bytes(arr: np.ndarray) -> bytes:
    """An IDX file written independently of the reader: struct header + big-endian data."""
    code = CODES[arr.dtype.type]
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path, arr, gz=False):
    data = idx_bytes(arr)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# --- digits ---------------------------------------------------------------------------


def test_digits_facts():
    x, d, y = load_digits_binary()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert d.shape == (1797,) and d.dtype == np.int64
    assert y.shape == (1797,) and y.dtype == np.uint8
    assert x.min() == 0.0 and x.max() == 1.0
    # Scaled by exactly 16: every value times 16 is an integer pixel 0..16.
    np.testing.assert_array_equal(x * 16, np.round(x * 16))
    assert np.bincount(d).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # The first image is a 0 whose top row is 0 0 5 13 9 1 0 0.
    assert d[0] == 0
    np.testing.assert_array_equal(x[0, :8] * 16, [0, 0, 5, 13, 9, 1, 0, 0])
    np.testing.assert_array_equal(y, (d < 5).astype(np.uint8))
    assert int(y.sum()) == 901
    assert DIGITS_IMAGES == len(x)  # what config checks sizes against


def test_digits_rules_are_functions_of_digit():
    _, d, y_ge = load_digits_binary("ge5")
    _, _, y_even = load_digits_binary("even")
    np.testing.assert_array_equal(y_ge, (d >= 5).astype(np.uint8))
    np.testing.assert_array_equal(y_even, (d % 2 == 0).astype(np.uint8))
    assert int(y_ge.sum()) == 1797 - 901 and int(y_even.sum()) == 891


# --- binarise --------------------------------------------------------------------------


def test_binarise_rules():
    d = np.arange(10)
    assert binarise(d, "lt5").tolist() == [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert binarise(d, "ge5").tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    assert binarise(d, "even").tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    assert binarise(d, "lt5").dtype == np.uint8
    np.testing.assert_array_equal(binarise(d, "lt5") + binarise(d, "ge5"), np.ones(10))


def test_binarise_unknown_rule():
    with pytest.raises(ValueError, match="allowed: lt5, ge5, even"):
        binarise(np.arange(3), "odd")


# --- IDX reader ------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_idx_round_trip_uint8(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    got = read_idx(write(tmp_path / "img", images, gz))
    assert got.dtype == np.uint8 and got.shape == (3, 28, 28)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "lab", labels, gz)), labels)


def test_idx_gzip_detected_by_magic_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = tmp_path / "plain-name-idx2-ubyte"  # no .gz suffix, but gzipped content
    path.write_bytes(gzip.compress(idx_bytes(arr)))
    np.testing.assert_array_equal(read_idx(path), arr)


@pytest.mark.parametrize(
    "arr",
    [
        np.array([[1.5, -2.25, 3e-7], [np.pi, 0.0, -1e30]], dtype=np.float32),
        np.array([-32768, -1, 0, 1, 258, 32767], dtype=np.int16),
        np.array([[-(2**31), 2**31 - 1]], dtype=np.int32),
        np.array([-128, 127], dtype=np.int8),
        np.array([np.e, -1e300], dtype=np.float64),
    ],
)
def test_idx_round_trip_other_dtypes(tmp_path, arr):
    got = read_idx(write(tmp_path / "a.idx", arr))
    assert got.dtype == arr.dtype and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)


def test_idx_big_endian_on_disk(tmp_path):
    # 258 = 0x0102 must be stored as bytes 01 02.
    raw = idx_bytes(np.array([258], dtype=np.int16))
    assert raw == bytes([0, 0, 0x0B, 1, 0, 0, 0, 1, 0x01, 0x02])
    (tmp_path / "x").write_bytes(raw)
    assert read_idx(tmp_path / "x").tolist() == [258]


def test_idx_bad_magic(tmp_path):
    path = tmp_path / "bad-magic"
    path.write_bytes(b"\x01\x00\x08\x01" + idx_bytes(np.zeros(2, np.uint8))[4:])
    with pytest.raises(ValueError, match="bad-magic.*not an IDX file"):
        read_idx(path)
    path.write_bytes(b"\x00\x00\x07\x01\x00\x00\x00\x01\x05")  # unknown dtype code
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_truncated(tmp_path, gz):
    raw = idx_bytes(np.arange(10, dtype=np.uint8))[:-3]
    path = tmp_path / "short-file"
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match="short-file.*truncated data"):
        read_idx(path)
    path.write_bytes(idx_bytes(np.zeros((2, 2), np.uint8))[:7])
    with pytest.raises(ValueError, match="short-file.*truncated header"):
        read_idx(path)


def test_idx_trailing_bytes(tmp_path):
    path = tmp_path / "long-file"
    path.write_bytes(idx_bytes(np.arange(4, dtype=np.uint8)) + b"\x00\x00")
    with pytest.raises(ValueError, match="long-file.*2 trailing bytes"):
        read_idx(path)


def test_idx_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:-10])
    with pytest.raises(ValueError, match="broken.gz"):
        read_idx(path)


# --- IDX sets from local files ------------------------------------------------------------


def tiny_mnist(root, prefix="train", gz=False):
    images = np.zeros((5, 28, 28), dtype=np.uint8)
    for i in range(5):
        images[i, i, :] = 255  # row i lit in image i
        images[i, 27, 27] = 51 * i  # last pixel: 0, 51, 102, 153, 204
    labels = np.array([3, 5, 0, 9, 4], dtype=np.uint8)
    sfx = ".gz" if gz else ""
    write(root / f"{prefix}-images-idx3-ubyte{sfx}", images, gz)
    write(root / f"{prefix}-labels-idx1-ubyte{sfx}", labels, gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_binary(tmp_path, gz):
    images, _ = tiny_mnist(tmp_path, gz=gz)
    x, d, y = load_idx_binary(tmp_path)
    assert x.shape == (5, 784) and x.dtype == np.float32
    assert d.dtype == np.int64 and y.dtype == np.uint8
    np.testing.assert_allclose(x, images.reshape(5, 784) / 255.0, rtol=0, atol=1e-7)
    assert x[:, 783].tolist() == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    for i in range(5):  # row-major flattening: row i of image i is pixels 28i..28i+27
        assert np.all(x[i, 28 * i : 28 * i + 28] == 1.0)
    assert d.tolist() == [3, 5, 0, 9, 4]
    assert y.tolist() == [1, 0, 1, 0, 1]
    assert load_idx_binary(tmp_path, rule="ge5")[2].tolist() == [0, 1, 0, 1, 0]


def test_load_mnist_test_split(tmp_path):
    tiny_mnist(tmp_path, prefix="t10k")
    x, d, y = load_idx_binary(tmp_path, split="test", rule="even")
    assert x.shape == (5, 784) and d.tolist() == [3, 5, 0, 9, 4]
    assert y.tolist() == [0, 0, 1, 0, 1]
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_idx_binary(tmp_path, split="train")  # only t10k files exist
    with pytest.raises(ValueError, match="unknown IDX split"):
        load_idx_binary(tmp_path, split="val")


def test_load_mnist_label_count_mismatch(tmp_path):
    tiny_mnist(tmp_path)
    write(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2], dtype=np.uint8))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.*expected 5 labels"):
        load_idx_binary(tmp_path)


def test_load_mnist_corrupt_file_names_it(tmp_path):
    tiny_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*truncated"):
        load_idx_binary(tmp_path)


def test_load_mnist_missing_directory(tmp_path):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(FileNotFoundError) as info:
        load_idx_binary(missing)
    msg = str(info.value)
    assert str(missing / "train-images-idx3-ubyte") in msg and ".gz" in msg
    assert "data.images.root" in msg


@pytest.mark.parametrize("gz", [False, True])
def test_idx_sizes_checks_sizes_without_loading(tmp_path, gz):
    tiny_mnist(tmp_path, gz=gz)
    test_images, _ = tiny_mnist(tmp_path, prefix="t10k", gz=gz)
    write(tmp_path / f"t10k-images-idx3-ubyte{'.gz' if gz else ''}", test_images[:3], gz)
    write(tmp_path / f"t10k-labels-idx1-ubyte{'.gz' if gz else ''}", np.arange(3, dtype=np.uint8), gz)
    assert idx_sizes(tmp_path) == (5, 3)
    sfx = ".gz" if gz else ""
    assert idx_shape(tmp_path / f"train-images-idx3-ubyte{sfx}") == (5, 28, 28)
    raw = idx_bytes(np.zeros((5, 28, 28), np.uint8))[:-100]
    (tmp_path / f"train-images-idx3-ubyte{sfx}").write_bytes(gzip.compress(raw) if gz else raw)
    expected = 16 + 5 * 28 * 28
    with pytest.raises(ValueError, match=rf"train-images-idx3-ubyte{sfx}: truncated data \({expected - 100} bytes, "
                                         rf"expected {expected}\)"):
        idx_sizes(tmp_path)


def test_idx_shape_names_a_corrupt_gzip(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:-10])
    with pytest.raises(ValueError, match="broken.gz: corrupt gzip stream"):
        idx_shape(path)


def test_idx_sizes_names_a_missing_file(tmp_path):
    tiny_mnist(tmp_path)
    tiny_mnist(tmp_path, prefix="t10k")
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        idx_sizes(tmp_path)


def test_images_command_reports_a_missing_file_in_one_line(tmp_path):
    import json
    import subprocess

    (tmp_path / "mnist").mkdir()
    spec = json.dumps({"source": "mnist", "rule": "lt5", "root": str(tmp_path)})
    r = subprocess.run(["nnbayes", "images", "--spec", spec, "--out", str(tmp_path / "x.npz")],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("error: IDX file not found: expected ") and "train-images-idx3-ubyte" in r.stderr


# --- dispatch --------------------------------------------------------------------------


def test_load_images_dispatch(tmp_path):
    got = load_images("digits", rule="ge5")
    assert list(got) == ["X", "digits", "y"]  # one pool, no test split: the npz as before
    for a, b in zip(got.values(), load_digits_binary("ge5")):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="allowed: digits, mnist, fashion_mnist"):
        load_images("cifar10")
    (tmp_path / "fashion_mnist").mkdir()
    images, _ = tiny_mnist(tmp_path / "fashion_mnist")
    tiny_mnist(tmp_path / "fashion_mnist", prefix="t10k")
    got = load_images("fashion_mnist", rule="even", root=tmp_path)  # a local copy, used as is
    assert sorted(got) == ["X", "X_test", "digits", "digits_test", "y", "y_test"]
    np.testing.assert_array_equal(got["X_test"] * 255, images.reshape(5, -1))
    assert got["y_test"].tolist() == [0, 0, 1, 0, 1]
