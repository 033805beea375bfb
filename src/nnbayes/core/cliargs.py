"""Flag groups shared by the CLI's subcommands, as argparse parent parsers: a subcommand names
the groups it takes (`parents=[...]`) instead of repeating their add_argument lines, so every
sharded or seeded command spells --seed, --device, --threads ... the same way."""

import argparse


def group(*flags: tuple[str, dict]) -> argparse.ArgumentParser:
    """A parent parser holding `flags`, each (name, add_argument keywords)."""
    p = argparse.ArgumentParser(add_help=False)
    for name, kw in flags:
        p.add_argument(name, **kw)
    return p


def shard(name_help: str) -> argparse.ArgumentParser:
    """--name and --shard: with --seed they fix a shard's random stream (`shard_setup`)."""
    return group(("--name", {"required": True, "help": name_help}), ("--shard", {"type": int, "required": True}))


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (0 threads would fail inside torch)."""
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{n} is not a positive integer")
    return n


EXPECT_HELP = ("JSON: the fields every shard must record (name, seed, params), 'shards' (N) and the "
               "total its count field is split over; the merge refuses any other shard (core.shards)")
MERGE = group(("--out", {"required": True}), ("--expect", {"required": True, "help": EXPECT_HELP}),
              ("shards", {"nargs": "+"}))  # a merge of one set's shards (core.shards checks them)
SEEDED = group(("--seed", {"type": int, "required": True}), ("--out", {"required": True}))
THREADS = group(("--threads", {"type": positive_int, "default": 1}))
DEVICE = group(("--device", {"default": "auto"}), ("--dtype", {"default": "float32"}))


def torch_setup(a) -> tuple:
    """The one way a handler sets torch up from its flags: --threads (torch's pool and every
    BLAS loaded, e.g. scipy's LAPACK in EP, so a one-thread job stays one thread), then
    (device, dtype) from --device/--dtype when the command takes them."""
    from nnbayes.core.device import limit_threads, resolve_device, resolve_dtype

    limit_threads(a.threads)
    if not hasattr(a, "device"):
        return None, None
    return resolve_device(a.device), resolve_dtype(a.dtype)


def shard_setup(a) -> tuple[dict, dict]:
    """One shard's torch settings from its flags: (gen/device/dtype keywords for a sampler, the
    meta fields that make the shard reproducible). The seed derives from (--seed, --name, --shard)."""
    from nnbayes.core.device import generator
    from nnbayes.core.seeds import shard_seed

    device, dtype = torch_setup(a)
    seed = shard_seed(a.seed, a.name, a.shard)
    kw = {"gen": generator(seed, device), "device": device, "dtype": dtype}
    meta = {"name": a.name, "shard": a.shard, "seed": a.seed, "shard_seed": seed, "device": device.type,
            "dtype": a.dtype}
    return kw, meta
