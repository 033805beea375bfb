"""Named IDX image sets (MNIST, Fashion-MNIST) fetched once into a cache shared by every scale
and clone, each file checked against its official MD5 before it is used.

urllib does the fetching, so `file://` mirrors work (the tests serve a synthetic set that way).
A download lands under a temporary name and is renamed only once its checksum matches, so an
interrupted or corrupted transfer never leaves a file that looks complete.
"""

import hashlib
import http.client
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from nnbayes.core.errors import DataError

PROBE_TIMEOUT_S = 3.0  # planning must not hang on a dead network
FETCH_TIMEOUT_S = 60.0  # per blocking read while downloading
CHUNK = 1 << 20


@dataclass(frozen=True)
class Remote:
    """One IDX set: file name -> MD5, the base URLs tried in order, and its split sizes
    (fixed by the checksums, so planning knows them before anything is downloaded)."""

    files: dict[str, str]
    mirrors: tuple[str, ...]
    n_train: int
    n_test: int


# File names, MD5s and mirrors as torchvision lists them (torchvision/datasets/mnist.py,
# classes MNIST and FashionMNIST); sizes from the sets' own pages (60000 train, 10000 test).
REGISTRY = {
    "mnist": Remote(
        {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
         "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
         "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
        ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"),
        60000, 10000),
    "fashion_mnist": Remote(
        {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        60000, 10000),
}
NETWORK_ERRORS = (OSError, http.client.HTTPException)  # URLError and timeouts are OSErrors


def default_cache(configured: str | Path | None = None) -> Path:
    """The cache folder: `data.images.cache` if set, else $NNBAYES_CACHE, else ~/.cache/nnbayes
    (outside results/, so every scale and clone shares one download)."""
    chosen = configured or os.environ.get("NNBAYES_CACHE") or Path.home() / ".cache" / "nnbayes"
    return Path(chosen).expanduser()


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)  # the published checksums are MD5
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_cached(name: str, cache: str | Path, registry: dict[str, Remote] = REGISTRY) -> bool:
    """Whether all of the set's files are in `<cache>/<name>/` (checksums are checked on use)."""
    return all((Path(cache) / name / f).is_file() for f in registry[name].files)


def how_to_supply(name: str, cache: Path) -> str:
    """The fix a user can apply offline, said the same way by the planner and the job."""
    return (f"put the four {name} files in {cache / name} or set data.images.root: "
            f"<a folder holding {name}/ with the four files>")


def _urls(remote: Remote, mirror: str | None, file: str) -> list[str]:
    return [base.rstrip("/") + "/" + file for base in ((mirror,) if mirror else remote.mirrors)]


def probe(name: str, mirror: str | None = None, registry: dict[str, Remote] = REGISTRY,
          timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """None if a mirror answers for the set's first file within `timeout`, else why none did."""
    remote, reasons = registry[name], []
    for url in _urls(remote, mirror, next(iter(remote.files))):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
                return None
        except (*NETWORK_ERRORS, ValueError) as e:  # ValueError: not a URL at all
            reasons.append(f"{url}: {_reason(e)}")
    return "; ".join(reasons)


def _reason(e: Exception) -> str:
    return str(getattr(e, "reason", None) or e) or type(e).__name__


def _download(url: str, dest: Path) -> None:
    """Stream `url` into `dest`; a body shorter than its Content-Length is an error."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as r, open(dest, "wb") as f:
        size = sum(f.write(block) for block in iter(lambda: r.read(CHUNK), b""))
        length = r.headers.get("Content-Length")
    if length is not None and size != int(length):
        raise http.client.IncompleteRead(b"", int(length) - size)


def _verify(path: Path, expected: str, label: str) -> None:
    """Delete and refuse a file whose MD5 is not the published one."""
    got = md5(path)
    if got != expected:
        path.unlink(missing_ok=True)
        raise DataError(f"{label}: md5 {got}, expected {expected}; the file was deleted, "
                        "run again to fetch it anew")


def _fetch(name: str, file: str, expected: str, urls: list[str], folder: Path) -> None:
    """Try each URL in turn; the first complete transfer with the right checksum is renamed
    into place. A checksum mismatch stops at once: it is the data, not the network."""
    reasons = []
    for url in urls:
        fd, part = tempfile.mkstemp(dir=folder, prefix=f".{file}.", suffix=".part")
        os.close(fd)
        tmp = Path(part)
        try:
            _download(url, tmp)
            _verify(tmp, expected, f"{name} {file} from {url}")
            tmp.replace(folder / file)
            return
        except NETWORK_ERRORS as e:
            reasons.append(f"{url}: {_reason(e)}")
        finally:
            tmp.unlink(missing_ok=True)
    raise DataError(f"cannot fetch {name} {file} into {folder} ({'; '.join(reasons)}); "
                    + how_to_supply(name, folder.parent))


def ensure_dataset(name: str, cache: str | Path, mirror: str | None = None,
                   registry: dict[str, Remote] = REGISTRY) -> Path:
    """`<cache>/<name>/` holding every file of the set: a missing file is fetched (from `mirror`
    if given, else the registry's mirrors in order), and every file, cached or fresh, must
    match its checksum. Raises DataError in one line naming the file or the fix."""
    if name not in registry:
        raise DataError(f"unknown IDX set {name!r}; known: {', '.join(registry)}")
    remote, folder = registry[name], Path(cache) / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, expected in remote.files.items():
        path = folder / file
        if path.is_file():
            _verify(path, expected, str(path))
        else:
            _fetch(name, file, expected, _urls(remote, mirror, file), folder)
    return folder
