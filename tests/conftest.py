"""Shared test settings: one stated false-alarm rate for every statistical test."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TEST_FAILURE_RATE = 1e-4  # per statistical test; well below 1 / (number of such tests)
REPO = Path(__file__).resolve().parents[1]

# Workflow tests call `snakemake` and rules call `nnbayes`: use this interpreter's environment.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture
def one_thread():
    """Tiny tensors: one thread is fastest, and spares the CPU other sessions share."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def snakemake(*args, cwd=REPO, timeout=300, env=None):
    r = subprocess.run(["snakemake", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=timeout, env={**os.environ, **(env or {})})
    return r.returncode, r.stdout + r.stderr


@pytest.fixture(scope="session", autouse=True)
def stand_in_cache(tmp_path_factory):
    """Tests are offline: the image cache they see holds every MNIST / Fashion-MNIST file, empty
    (the planner only looks for them; a job would refuse them by checksum), so the paper scale
    plans without the network. Set for the whole session, subprocesses included."""
    from nnbayes.data.download import REGISTRY

    folder = tmp_path_factory.mktemp("image-cache")
    for name, remote in REGISTRY.items():
        (folder / name).mkdir()
        for f in remote.files:
            (folder / name / f).touch()
    old = os.environ.get("NNBAYES_CACHE")
    os.environ["NNBAYES_CACHE"] = str(folder)
    yield folder
    if old is None:
        del os.environ["NNBAYES_CACHE"]
    else:
        os.environ["NNBAYES_CACHE"] = old


def planned(out: str) -> dict[str, int]:
    """Job counts per rule from a dry run's summary table."""
    table = out.split("Job stats:")[-1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", table, flags=re.M)}


def copy_repo(dest):
    """The tracked files of the repository (a fresh clone, without the git history)."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        if (REPO / f).is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, dest / f)
    return dest


def refused(argv: list[str], capsys) -> str:
    """The one line `nnbayes argv` fails with: a user error, exit status 2, no traceback."""
    from nnbayes.workflow.cli import main

    with pytest.raises(SystemExit) as e:
        main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 2 and len(err) == 1 and err[0].startswith("error: "), err
    return err[0]


def flip_byte(path: Path, offset: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x5A
    path.write_bytes(raw)


# Ways a shard set goes wrong, each applied to shard-0001 of a copy of a good set (`others`: the same
# shard written with another seed, at another scale, with another parameter).
SHARD_DAMAGE = {
    "copy_over_sibling": lambda paths, others: shutil.copy(paths[0], paths[1]),
    "truncate": lambda paths, others: paths[1].write_bytes(paths[1].read_bytes()[:-200]),
    "delete": lambda paths, others: paths[1].unlink(),
    "other_seed": lambda paths, others: shutil.copy(others["seed"], paths[1]),
    "other_scale": lambda paths, others: shutil.copy(others["scale"], paths[1]),
    "other_params": lambda paths, others: shutil.copy(others["params"], paths[1]),
}


def copy_set(paths: list[Path], dest: Path) -> list[Path]:
    dest.mkdir(parents=True)
    return [Path(shutil.copy(p, dest / p.name)) for p in paths]


def damaged_merge_is_refused(merge, paths: list[Path], damage, tmp: Path, capsys) -> str:
    """Damage shard-0001 of a copy of `paths`, merge (`merge(paths, out)` -> argv): refused naming
    that file, nothing written, shard-0000 untouched. Returns the error line."""
    paths = copy_set(paths, tmp / "set")
    first = paths[0].read_bytes()
    damage(paths)
    out = tmp / "merged.parquet"
    err = refused(merge(paths, out), capsys)
    assert str(paths[1]) in err and "rerun snakemake" in err
    assert not out.exists() and paths[0].read_bytes() == first
    return err


def flipped_merge_is_refused_or_identical(merge, paths: list[Path], offset: int, reference: bytes, tmp: Path,
                                          capsys) -> None:
    """A byte of shard-0001 flipped: the merge refuses naming the file, or its output is the
    reference's, byte for byte (the flip hit a byte nothing reads)."""
    from nnbayes.workflow.cli import main

    paths = copy_set(paths, tmp / "set")
    flip_byte(paths[1], offset % paths[1].stat().st_size)
    out = tmp / "merged.parquet"
    try:
        main(merge(paths, out))
    except SystemExit as e:
        err = capsys.readouterr().err
        assert e.code == 2 and str(paths[1]) in err
        return
    assert out.read_bytes() == reference, f"flip at byte {offset} merged into other numbers"


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    """The whole smoke DAG, run once per test session in a copy of the repository (the workflow
    and code-dependency tests share it)."""
    root = copy_repo(tmp_path_factory.mktemp("smoke"))
    code, out = snakemake("--cores", "2", "--config", "scale=smoke", cwd=root, timeout=1800)
    assert code == 0, out[-5000:]
    return root
