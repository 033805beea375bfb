"""Shared test settings: one stated false-alarm rate for every statistical test."""

import os
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
