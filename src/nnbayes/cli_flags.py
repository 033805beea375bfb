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
    """--name and --shard: with --seed they fix a shard's random stream (`cli.shard_setup`)."""
    return group(("--name", {"required": True, "help": name_help}), ("--shard", {"type": int, "required": True}))


SEEDED = group(("--seed", {"type": int, "required": True}), ("--out", {"required": True}))
THREADS = group(("--threads", {"type": int, "default": 1}))
DEVICE = group(("--device", {"default": "auto"}), ("--dtype", {"default": "float32"}))
