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
