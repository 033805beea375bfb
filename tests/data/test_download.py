"""IDX sets fetched once into a checksummed cache, against a synthetic mirror served from
tmp_path (file:// URLs, or a loopback HTTP server): no test touches the network."""

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest
from test_images import idx_bytes

from nnbayes.core.errors import ConfigError, DataError
from nnbayes.data import download
from nnbayes.data.download import Remote, ensure_dataset, probe
from nnbayes.data.images import load_idx_binary, load_images
from nnbayes.data.plan import image_sizes

N_TRAIN, N_TEST = 12, 7
DEAD = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused


def make_mirror(folder, seed=0):
    """Four gzipped IDX files of random 6x5 images in `folder`; returns (Remote, arrays)."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TRAIN, 6, 5), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, N_TRAIN, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (N_TEST, 6, 5), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, N_TEST, dtype=np.uint8)}
    folder.mkdir(parents=True)
    files = {}
    for name, arr in arrays.items():
        blob = gzip.compress(idx_bytes(arr), mtime=0)
        (folder / name).write_bytes(blob)
        files[name] = hashlib.md5(blob).hexdigest()
    return Remote(files, (folder.as_uri() + "/",), N_TRAIN, N_TEST), arrays


@pytest.fixture
def mirror(tmp_path):
    return make_mirror(tmp_path / "mirror")


def one_line(e: Exception) -> str:
    msg = str(e)
    assert "\n" not in msg
    return msg


def test_download_lands_in_the_cache_once(tmp_path, mirror):
    remote, arrays = mirror
    cache = tmp_path / "cache"
    folder = ensure_dataset("mnist", cache, registry={"mnist": remote})
    assert folder == cache / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(remote.files)  # no temporary files left
    for name, digest in remote.files.items():
        assert download.md5(folder / name) == digest
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    for p in (tmp_path / "mirror").iterdir():  # the mirror is gone: a second call must not fetch
        p.unlink()
    assert ensure_dataset("mnist", cache, registry={"mnist": remote}) == folder
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == stamps
    x, d, _ = load_idx_binary(folder, "test")
    np.testing.assert_array_equal(x * 255, arrays["t10k-images-idx3-ubyte.gz"].reshape(N_TEST, 30))
    np.testing.assert_array_equal(d, arrays["t10k-labels-idx1-ubyte.gz"])


def test_a_damaged_cached_file_is_deleted_and_fetched_anew(tmp_path, mirror):
    remote, _ = mirror
    cache, reg = tmp_path / "cache", {"mnist": remote}
    folder = ensure_dataset("mnist", cache, registry=reg)
    damaged = folder / "train-labels-idx1-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:-1])
    with pytest.raises(DataError, match=rf"{damaged}: md5 [0-9a-f]{{32}}, expected "
                                        rf"{remote.files[damaged.name]}; the file was deleted"):
        ensure_dataset("mnist", cache, registry=reg)
    assert not damaged.exists()
    ensure_dataset("mnist", cache, registry=reg)  # the next call fetches it again
    assert download.md5(damaged) == remote.files[damaged.name]


def test_a_checksum_mismatch_is_refused_and_leaves_nothing(tmp_path, mirror):
    remote, _ = mirror
    first = next(iter(remote.files))
    bad = Remote({**remote.files, first: "0" * 32}, remote.mirrors, N_TRAIN, N_TEST)
    with pytest.raises(DataError) as info:
        ensure_dataset("mnist", tmp_path / "cache", registry={"mnist": bad})
    msg = one_line(info.value)
    assert f"mnist {first} from {remote.mirrors[0]}{first}: md5 {remote.files[first]}, expected {'0' * 32}" in msg
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_a_truncated_file_on_the_mirror_is_refused(tmp_path, mirror):
    remote, _ = mirror
    path = tmp_path / "mirror" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz from .*: md5 "):
        ensure_dataset("mnist", tmp_path / "cache", registry={"mnist": remote})
    assert not (tmp_path / "cache" / "mnist" / path.name).exists()


class ShortBody(http.server.BaseHTTPRequestHandler):
    """Announces the whole file, sends its first half, then hangs up: a transfer cut short."""

    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body[: len(self.body) // 2])
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_a_transfer_cut_short_is_refused(tmp_path, mirror):
    remote, _ = mirror
    ShortBody.body = (tmp_path / "mirror" / next(iter(remote.files))).read_bytes()
    server = http.server.HTTPServer(("127.0.0.1", 0), ShortBody)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        with pytest.raises(DataError) as info:
            ensure_dataset("mnist", tmp_path / "cache", mirror=url, registry={"mnist": remote})
    finally:
        server.shutdown()
    msg = one_line(info.value)  # refused for its length, before its checksum is even looked at
    assert "cannot fetch mnist train-images-idx3-ubyte.gz" in msg and "more expected" in msg
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []


def test_an_unreachable_mirror_says_what_to_do_in_one_line(tmp_path, mirror):
    remote, _ = mirror
    cache = tmp_path / "cache"
    with pytest.raises(DataError) as info:
        ensure_dataset("fashion_mnist", cache, mirror=DEAD, registry={"fashion_mnist": remote})
    msg = one_line(info.value)
    assert msg.startswith(f"cannot fetch fashion_mnist train-images-idx3-ubyte.gz into {cache / 'fashion_mnist'} "
                          f"({DEAD}train-images-idx3-ubyte.gz: ")
    assert msg.endswith("set data.images.root: <a folder holding fashion_mnist/ with the four files>")
    assert probe("fashion_mnist", DEAD, {"fashion_mnist": remote}).startswith(DEAD)
    assert probe("fashion_mnist", None, {"fashion_mnist": remote}) is None  # the file:// mirror answers


def test_fashion_parses_like_mnist_through_the_cache(tmp_path, monkeypatch, mirror):
    remote, arrays = mirror
    monkeypatch.setitem(download.REGISTRY, "fashion_mnist", remote)
    got = load_images("fashion_mnist", rule="ge5", cache=tmp_path / "cache")
    assert (tmp_path / "cache" / "fashion_mnist" / "t10k-labels-idx1-ubyte.gz").is_file()
    for suffix, prefix, n in (("", "train", N_TRAIN), ("_test", "t10k", N_TEST)):
        images, labels = arrays[f"{prefix}-images-idx3-ubyte.gz"], arrays[f"{prefix}-labels-idx1-ubyte.gz"]
        assert got["X" + suffix].shape == (n, 30) and got["X" + suffix].dtype == np.float32
        np.testing.assert_allclose(got["X" + suffix], images.reshape(n, 30) / 255.0, rtol=0, atol=1e-7)
        np.testing.assert_array_equal(got["digits" + suffix], labels)
        np.testing.assert_array_equal(got["y" + suffix], labels >= 5)


def test_default_cache_order(tmp_path, monkeypatch):
    monkeypatch.setenv("NNBAYES_CACHE", str(tmp_path / "env"))
    assert download.default_cache(tmp_path / "cfg") == tmp_path / "cfg"
    assert download.default_cache(None) == tmp_path / "env"
    monkeypatch.delenv("NNBAYES_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert download.default_cache(None) == tmp_path / ".cache" / "nnbayes"


# --- planning: what is known before any job -------------------------------------------


def test_plan_sizes_from_a_local_root(tmp_path, mirror):
    remote, _ = mirror
    folder = ensure_dataset("mnist", tmp_path / "copy", registry={"mnist": remote})
    assert folder.name == "mnist"  # a local root is laid out like the cache: <root>/<source>/
    assert image_sizes({"source": "mnist", "root": str(folder.parent)}) == (N_TRAIN, N_TEST)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(ConfigError, match="config key 'data.images.root': IDX file not found: .*t10k-labels"):
        image_sizes({"source": "mnist", "root": str(folder.parent)})
    assert image_sizes({"source": "digits", "root": None}) == (1797, None)


def test_plan_trusts_a_full_cache_without_the_network(tmp_path, monkeypatch, mirror):
    remote, _ = mirror
    monkeypatch.setitem(download.REGISTRY, "mnist", remote)
    cache = tmp_path / "cache"
    spec = {"source": "mnist", "root": None, "cache": str(cache), "mirror": DEAD}
    with pytest.raises(ConfigError) as info:
        image_sizes(spec)
    msg = one_line(info.value)
    assert msg.startswith(f"config key 'data.images.source': mnist is not in the cache {cache / 'mnist'} "
                          f"and no mirror answers ({DEAD}")
    assert "data.images.root: <a folder holding mnist/ with the four files>" in msg
    assert image_sizes({**spec, "mirror": None}) == (N_TRAIN, N_TEST)  # a mirror answers: the job fetches
    ensure_dataset("mnist", cache)
    assert image_sizes(spec) == (N_TRAIN, N_TEST)  # cached: the dead mirror is never asked


def test_images_command_writes_both_splits_and_refuses_a_wrong_mirror(tmp_path, mirror):
    """The job: a local root gives the npz with the test split; the official checksums refuse a
    mirror serving other files, in one line, leaving nothing in the cache."""
    import json
    import subprocess

    _, arrays = mirror
    def run(spec: dict) -> subprocess.CompletedProcess:
        return subprocess.run(["nnbayes", "images", "--spec", json.dumps({"rule": "lt5", **spec}),
                               "--out", str(tmp_path / "x.npz")], capture_output=True, text=True, check=False)

    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "fashion_mnist").symlink_to(tmp_path / "mirror")
    r = run({"source": "fashion_mnist", "root": str(tmp_path / "local")})
    assert r.returncode == 0, r.stderr
    with np.load(tmp_path / "x.npz") as npz:
        assert sorted(npz.files) == ["X", "X_test", "digits", "digits_test", "y", "y_test"]
        np.testing.assert_array_equal(npz["digits_test"], arrays["t10k-labels-idx1-ubyte.gz"])
    r = run({"source": "mnist", "cache": str(tmp_path / "cache"), "mirror": (tmp_path / "mirror").as_uri()})
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: mnist train-images-idx3-ubyte.gz from file://")
    assert "expected f68b3c2dcbeaaa9fbdd348bbdeb94873" in r.stderr
    assert list((tmp_path / "cache" / "mnist").iterdir()) == []
