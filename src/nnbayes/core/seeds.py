"""Seeds: one independent random stream per (root seed, sample-set name, shard), so shards can
run in any order, on any machine, and still give the same bytes."""

import zlib

import numpy as np


def shard_seed(seed: int, name: str, shard: int) -> int:
    """An independent 63-bit seed per (seed, sample-set name, shard)."""
    ss = np.random.SeedSequence([seed, zlib.crc32(name.encode()), shard])
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
