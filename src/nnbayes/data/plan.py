"""What the `data` config section must agree with before any job: the cube's size (splits,
target bit strings) and the image files it names. Torch-free: the workflow imports it while
parsing."""

from nnbayes.core.errors import ConfigError
from nnbayes.data.images import image_count


def check_references(config: dict) -> int:
    """Raise ConfigError naming the key; return the number of images `data.images` gives (what
    an image task's m + test_size must fit in)."""
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
    images = data["images"]
    if images["source"] == "mnist" and images.get("mnist_root") is None:
        raise ConfigError("config key 'data.images.mnist_root': source 'mnist' needs the folder holding "
                          "the MNIST IDX files (nnbayes never downloads them)")
    try:
        return image_count(images["source"], images.get("mnist_root"))
    except (OSError, ValueError) as e:
        raise ConfigError(f"config key 'data.images.mnist_root': {e}") from None

