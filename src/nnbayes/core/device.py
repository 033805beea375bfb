"""Resolve where tensors live, once, at the entry point (library functions take `device`)."""

import torch

from nnbayes.core.errors import UserError

DEVICES = ("auto", "cpu", "cuda")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(name: str) -> torch.device:
    """`auto` -> CUDA when present, else CPU; refuse anything else by name."""
    if name not in DEVICES:
        raise ValueError(f"device {name!r} is not one of {list(DEVICES)}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError("device 'cuda' was asked for but torch sees no CUDA device on this machine; "
                        "use device auto (CUDA when present, else CPU) or cpu")
    return torch.device(name)


def limit_threads(threads: int) -> None:
    """Pin torch's thread pool and every BLAS loaded in this process (numpy's, and scipy's that
    EP's LAPACK calls use, imported here so that it is loaded and limited) to `threads`:
    OpenBLAS would otherwise start a thread per core inside a one-thread job."""
    import scipy.linalg.lapack  # noqa: F401  (load scipy's BLAS before limiting it)
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(limits=threads, user_api="blas")


def resolve_dtype(name: str) -> torch.dtype:
    """Map a config dtype name to torch; refuse unknown names."""
    if name not in DTYPES:
        raise ValueError(f"dtype {name!r} is not one of {list(DTYPES)}")
    return DTYPES[name]


def generator(seed: int, device: torch.device) -> torch.Generator:
    """A seeded generator on `device` (CUDA and CPU streams differ: same seed, other draws)."""
    return torch.Generator(device=device).manual_seed(seed)
