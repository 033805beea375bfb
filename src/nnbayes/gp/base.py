"""What every GP estimator shares: the result types, constants, and the checks each runs first: method names, labels in {0,1}, and a kernel made
symmetric, probit-noised and jittered the same way (see `prob`'s numerical conventions)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

METHODS = ("ep", "tilting")
SCHEDULES = ("parallel", "sequential")
DEFAULT_JITTER = 1e-8
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class Estimate:
    """log P of one label vector, with what is needed to judge it.

    stderr: standard error of log_p (delta method, = relative error of P); nan for EP, which
    is deterministic but biased. n_iter: EP sweeps, or Newton/root iterations of the tilting
    parameter search. n_samples: importance samples (0 for EP).
    """

    log_p: float
    stderr: float
    converged: bool
    n_iter: int
    n_samples: int
    method: str


@dataclass(frozen=True)
class BatchEstimate:
    """log P for F label vectors on one kernel: arrays of shape [F] (see `Estimate`)."""

    log_p: np.ndarray
    stderr: np.ndarray
    converged: np.ndarray
    n_iter: np.ndarray
    n_samples: np.ndarray
    method: str

    def __len__(self) -> int:
        return len(self.log_p)

    def __getitem__(self, i: int) -> Estimate:
        return Estimate(
            float(self.log_p[i]),
            float(self.stderr[i]),
            bool(self.converged[i]),
            int(self.n_iter[i]),
            int(self.n_samples[i]),
            self.method,
        )

    def take(self, idx: np.ndarray) -> BatchEstimate:
        """The estimates of rows idx (repeats allowed: one estimate copied to several rows)."""
        return BatchEstimate(self.log_p[idx], self.stderr[idx], self.converged[idx], self.n_iter[idx],
                             self.n_samples[idx], self.method)


def check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {list(METHODS)}")


def as_mean(mean, n: int) -> np.ndarray | None:
    """A prior mean [n] as float64 (None stays None: the zero-mean path); ValueError otherwise."""
    if mean is None:
        return None
    m = np.asarray(mean, dtype=np.float64)
    if m.shape != (n,) or not np.all(np.isfinite(m)):
        raise ValueError(f"mean must be a finite vector of length {n}, got shape {m.shape}")
    return m


def to_numpy(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def as_labels(y) -> np.ndarray:
    """{0,1} (or bool) labels -> int8 array; anything else is an error (not silently cast)."""
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.dtype != bool and not np.all((y == 0) | (y == 1)):
        raise ValueError("labels must be in {0, 1}")
    return y.astype(np.int8)


def prepare_kernel(K, n: int, probit_scale: float | None, jitter: float) -> np.ndarray:
    """Symmetrise, add the probit noise I/s^2, then jitter * mean(diag) on the diagonal."""
    K = to_numpy(K)
    if K.shape != (n, n):
        raise ValueError(f"K must be [{n}, {n}] to match the labels, got {K.shape}")
    if not np.all(np.isfinite(K)):
        raise ValueError("K has non-finite entries")
    K = 0.5 * (K + K.T)
    if probit_scale is not None:
        if not probit_scale > 0:
            raise ValueError("probit_scale must be > 0")
        K = K + np.eye(n) / probit_scale**2
    scale = float(np.mean(np.diag(K)))
    if scale <= 0:
        raise ValueError("K has a non-positive mean diagonal")
    return K + (jitter * scale) * np.eye(n)
