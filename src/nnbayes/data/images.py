"""Real image data for binary classification.

Sources: scikit-learn's bundled 8x8 handwritten digits (inside the wheel, so always offline),
and the IDX sets MNIST and Fashion-MNIST, read from a local copy (`root`) or fetched once into
a checksummed cache (`nnbayes.data.download`). Each split gives the same triple: X float32
[N, D] in [0, 1], class labels int64 [N] (digits, or Fashion's 0..9 classes), binary uint8 [N].
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

from nnbayes.data.download import default_cache, ensure_dataset

RULES = ("lt5", "ge5", "even")
SOURCES = ("digits", "mnist", "fashion_mnist")
IDX_SOURCES = SOURCES[1:]
# IDX dtype codes; data are big-endian on disk.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_FILES["t10k"] = IDX_FILES["test"]
IDX_HEADER_MAX = 4 + 4 * 255  # magic + up to 255 dimensions
DIGITS_IMAGES = 1797  # scikit-learn's bundled set (tests/data check it)


def binarise(labels: np.ndarray, rule: str) -> np.ndarray:
    """Digit labels -> uint8 {0,1}: 'lt5' is 1 iff digit < 5, 'ge5' (the papers' MNIST
    convention) is 1 iff digit >= 5, 'even' is 1 iff the digit is even."""
    d = np.asarray(labels)
    if rule == "lt5":
        y = d < 5
    elif rule == "ge5":
        y = d >= 5
    elif rule == "even":
        y = d % 2 == 0
    else:
        raise ValueError(f"unknown binarisation rule {rule!r}; allowed: {', '.join(RULES)}")
    return y.astype(np.uint8)


def load_digits_binary(rule: str = "lt5") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 1797 8x8 digits: a small real image set that needs no network.

    Pixel values 0..16 are divided by 16 so X lies in [0, 1] like the MNIST loader's.
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (np.asarray(data.data, dtype=np.float64) / 16.0).astype(np.float32)
    digits = np.asarray(data.target, dtype=np.int64)
    return x, digits, binarise(digits, rule)


def _header(head: bytes, path: Path) -> tuple[np.dtype, tuple[int, ...], int]:
    """(dtype, shape, header bytes) an IDX file's first bytes declare; ValueError naming the file."""
    if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic {head[:4].hex() or 'empty'})")
    dtype, ndim = np.dtype(IDX_DTYPES[head[2]]), head[3]
    header = 4 + 4 * ndim
    if len(head) < header:
        raise ValueError(f"{path}: truncated header ({len(head)} bytes, need {header})")
    shape = tuple(int(s) for s in np.frombuffer(head, dtype=">u4", count=ndim, offset=4))
    return dtype, shape, header


def _check_size(path: Path, size: int, dtype: np.dtype, shape: tuple[int, ...], header: int) -> None:
    need = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size < need:
        raise ValueError(f"{path}: truncated data ({size} bytes, expected {need})")
    if size > need:
        raise ValueError(f"{path}: {size - need} trailing bytes after the data (expected {need} bytes)")


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzip-compressed (found by magic bytes).

    Strict: a bad magic, too few data bytes or extra trailing bytes raise ValueError naming
    the file, so a half-copied or mislabelled download cannot be silently misread.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise ValueError(f"{path}: corrupt gzip stream ({e})") from e
    dtype, shape, header = _header(raw[:IDX_HEADER_MAX], path)
    _check_size(path, len(raw), dtype, shape, header)
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def idx_shape(path: str | Path) -> tuple[int, ...]:
    """The shape an IDX file declares, once its size is checked against it (the data are not
    kept): a missing, truncated or padded file is found before any compute."""
    path = Path(path)
    opener = gzip.open if _is_gzip(path) else open
    try:
        with opener(path, "rb") as f:
            head = f.read(IDX_HEADER_MAX)
            size = len(head) + sum(len(chunk) for chunk in iter(lambda: f.read(1 << 24), b""))
    except (gzip.BadGzipFile, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: corrupt gzip stream ({e})") from e
    dtype, shape, header = _header(head, path)
    _check_size(path, size, dtype, shape, header)
    return shape


def _find(root: Path, name: str) -> Path:
    for p in (root / name, root / f"{name}.gz"):
        if p.is_file():
            return p
    raise FileNotFoundError(
        f"IDX file not found: expected {root / name} or {root / name}.gz; data.images.root must "
        "hold <source>/ with the four files (train/t10k images/labels), or be null to download them"
    )


def load_idx_binary(
    root: str | Path, split: str = "train", rule: str = "lt5"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One split of an MNIST-format set in `root` (standard names, optionally .gz); X = pixels/255."""
    if split not in IDX_FILES:
        raise ValueError(f"unknown IDX split {split!r}; allowed: {', '.join(IDX_FILES)}")
    root = Path(root)
    img_path, lab_path = (_find(root, n) for n in IDX_FILES[split])
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        got = f"{images.dtype} {images.shape}"
        raise ValueError(f"{img_path}: expected uint8 [N, H, W], got {got}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{lab_path}: expected {len(images)} labels, got shape {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lab_path}: labels must be classes 0..9, found {labels.max()}")
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    digits = labels.astype(np.int64)
    return x, digits, binarise(digits, rule)


def idx_sizes(root: str | Path) -> tuple[int, int]:
    """(train, test) image counts of the set in `root`, known before loading: all four files
    are found and their sizes checked against their headers (FileNotFoundError / ValueError)."""
    root = Path(root)
    counts = []
    for split in ("train", "test"):
        img, lab = (_find(root, name) for name in IDX_FILES[split])
        images, labels = idx_shape(img), idx_shape(lab)
        if len(images) != 3 or labels != images[:1]:
            raise ValueError(f"{img} and {lab}: expected images [N, H, W] and N labels, "
                             f"got shapes {images} and {labels}")
        counts.append(images[0])
    return counts[0], counts[1]


def load_images(source: str, rule: str = "lt5", root: str | Path | None = None,
                cache: str | Path | None = None, mirror: str | None = None) -> dict[str, np.ndarray]:
    """The arrays of the `images` npz, from a `data.images` config (passed as keywords).

    X, digits, y: the whole digits set, or an IDX set's training split; an IDX set adds its
    official test split as X_test, digits_test, y_test. An IDX set is read from `root` as is,
    or else fetched once into the cache (`default_cache(cache)`), every file checksummed.
    """
    if source == "digits":
        return dict(zip(("X", "digits", "y"), load_digits_binary(rule)))
    if source not in IDX_SOURCES:
        raise ValueError(f"unknown image source {source!r}; allowed: {', '.join(SOURCES)}")
    folder = Path(root) / source if root is not None else ensure_dataset(source, default_cache(cache), mirror)
    out = {}
    for split, suffix in (("train", ""), ("test", "_test")):
        out.update({k + suffix: a for k, a in zip(("X", "digits", "y"), load_idx_binary(folder, split, rule))})
    return out
