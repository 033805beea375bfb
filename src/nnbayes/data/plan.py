"""What the `data` config section must agree with before any job: the cube's size (splits,
target bit strings) and the image set it names. Torch-free: the workflow imports it while
parsing."""

from pathlib import Path

from nnbayes.core.errors import ConfigError
from nnbayes.data.download import (
    REGISTRY,
    default_cache,
    how_to_supply,
    is_cached,
    probe,
)
from nnbayes.data.images import DIGITS_IMAGES, idx_sizes


def check_references(config: dict, sources: set[str]) -> dict[str, tuple[int, int | None]]:
    """Raise ConfigError naming the key; return the (train, test) image counts of each image set
    in `sources` (test None: one pool, as for digits), which image tasks must fit in."""
    data = config["data"]
    n_points = 2 ** data["n"]
    for m in data["splits"]["m"]:
        if not 0 < m < n_points:
            raise ConfigError(f"config key 'data.splits.m': {m} is not in 1..{n_points - 1} "
                              f"(the cube of n = {data['n']} has {n_points} points)")
    for name, target in data["targets"].items():
        if target["kind"] == "bits" and len(target["bits"]) != n_points:
            raise ConfigError(f"config key 'data.targets.{name}.bits': {len(target['bits'])} characters, "
                              f"need 2^n = {n_points}")
    return {source: image_sizes({**data["images"], "source": source}) for source in sorted(sources)}


def image_sizes(images: dict) -> tuple[int, int | None]:
    """The (train, test) counts of `data.images`, checked as far as can be before any job: a
    local `root` file by file (names, sizes against headers); else a complete cache (its
    checksums are checked in the job), or a mirror that answers now. Never a silent fallback."""
    source = images["source"]
    if source == "digits":
        return DIGITS_IMAGES, None
    if images.get("root") is not None:
        try:
            return idx_sizes(Path(images["root"]) / source)
        except (OSError, ValueError) as e:
            raise ConfigError(f"config key 'data.images.root': {e}") from None
    cache = default_cache(images.get("cache"))
    if not is_cached(source, cache):
        why = probe(source, images.get("mirror"))
        if why is not None:
            raise ConfigError(f"config key 'data.images.source': {source} is not in the cache "
                              f"{cache / source} and no mirror answers ({why}); {how_to_supply(source, cache)}")
    return REGISTRY[source].n_train, REGISTRY[source].n_test
