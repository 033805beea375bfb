"""Functions on the Boolean cube as compact ids, and counting them.

A function on N <= 128 inputs is its N output bits, left-aligned in 128 bits (bit i of the
string is the i-th most significant bit) and stored as two uint64 words (id_hi, id_lo): the
id *is* the function, so nothing is hashed or lost and hex(id_hi)+hex(id_lo) reads as the
bit string. Counting is a sort over ids, never a Python dict per sample.
"""

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

MAX_BITS = 128


def pack_bits(bits: "torch.Tensor") -> np.ndarray:
    """Bool [B, N] (on any device) -> uint64 [B, 2] ids on the host.

    Bytes are packed on the tensor's device so only 16 bytes per function cross to the host.
    """
    import torch  # here, so that table code can use this module without loading torch

    n_bits = bits.shape[1]
    if n_bits > MAX_BITS:
        raise ValueError(f"functions on {n_bits} inputs exceed the {MAX_BITS}-bit id")
    padded = torch.nn.functional.pad(bits.to(torch.uint8), (0, MAX_BITS - n_bits))
    weights = 2 ** torch.arange(7, -1, -1, device=bits.device, dtype=torch.uint8)
    packed = (padded.view(-1, MAX_BITS // 8, 8) * weights).sum(-1, dtype=torch.uint8)
    return packed.cpu().numpy().view(">u8").astype(np.uint64)


def pack_array(bits: np.ndarray) -> np.ndarray:
    """Host-side `pack_bits` for numpy arrays [B, N] of 0/1 (no torch needed)."""
    bits = np.asarray(bits, dtype=bool)
    if bits.shape[1] > MAX_BITS:
        raise ValueError(f"functions on {bits.shape[1]} inputs exceed the {MAX_BITS}-bit id")
    padded = np.zeros((len(bits), MAX_BITS), dtype=bool)
    padded[:, : bits.shape[1]] = bits
    return np.packbits(padded, axis=1).view(">u8").astype(np.uint64)


def unpack_ids(ids: np.ndarray, n_bits: int) -> np.ndarray:
    """uint64 [B, 2] ids -> uint8 [B, n_bits] output bits (inverse of `pack_bits`)."""
    raw = np.ascontiguousarray(ids, dtype=np.uint64).astype(">u8").view(np.uint8)
    return np.unpackbits(raw.reshape(len(ids), MAX_BITS // 8), axis=1)[:, :n_bits]


def ids_to_strings(ids: np.ndarray, n_bits: int) -> list[str]:
    """Ids as '0'/'1' strings (input order x_1 MSB), for tables a person reads."""
    rows = unpack_ids(ids, n_bits) + ord("0")
    return [r.tobytes().decode() for r in rows]


def ones_count(ids: np.ndarray) -> np.ndarray:
    """t = number of inputs mapped to 1, by popcount of the two words."""
    return np.bitwise_count(ids).sum(axis=1).astype(np.int64)


def count_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique ids (sorted by (hi, lo)) and how often each occurs."""
    if len(ids) == 0:
        return ids.reshape(0, 2), np.zeros(0, dtype=np.int64)
    order = np.lexsort((ids[:, 1], ids[:, 0]))
    s = ids[order]
    new = np.ones(len(s), dtype=bool)
    new[1:] = np.any(s[1:] != s[:-1], axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(s)))
    return s[starts], counts.astype(np.int64)
