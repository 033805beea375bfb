"""What the machine running the jobs must offer, checked while the workflow parses (before any
job): CUDA when the config asks for it, at least one thread per job, directories that can be
written. Each failure is a UserError saying how to fix it; a job would fail the same way on
every retry."""

import os
from collections.abc import Mapping
from pathlib import Path

from nnbayes.core.errors import ConfigError, UserError


def check_device(device: str) -> None:
    """`device: cuda` needs a CUDA device torch can see (torch is imported only then)."""
    if device != "cuda":
        return
    import torch

    if not torch.cuda.is_available():
        raise ConfigError("config key 'device': 'cuda' but torch finds no CUDA device on this machine; "
                          "run with --config device=auto (CUDA when present, else CPU) or device=cpu")


def check_threads(threads: Mapping) -> None:
    """Snakemake's --set-threads (rule -> int, or a Resource holding one in `.raw`): a job given 0
    threads would fail inside torch."""
    for rule, value in threads.items():
        n = getattr(value, "raw", value)
        if isinstance(n, int) and n < 1:
            raise UserError(f"--set-threads {rule}={n}: a job needs at least 1 thread")


def check_writable(dirs: list[str | Path]) -> None:
    """Each directory (or, where it does not exist yet, its nearest existing parent) must be a
    directory this user can write; else name it, once, before any job."""
    for d in map(Path, dirs):
        near = next(p for p in (d, *d.parents) if p.exists() or p == Path(p.anchor))
        if not (near.is_dir() and os.access(near, os.W_OK | os.X_OK)):
            what = "is not a directory" if near.exists() and not near.is_dir() else "cannot be written"
            raise UserError(f"{near} {what}: the jobs writing {d} would fail on every retry; "
                            "fix its permissions (or move it away) and run again")
