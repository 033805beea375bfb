"""envs/pipeline.yaml is generated from requirements.lock, so conda (clusters) and pip
(CI, laptops) install the same pins. `python -m nnbayes.workflow.envfile` rewrites it; a test keeps
the two equal.
"""

import sys
from pathlib import Path

PYTHON = "3.11"


def lock_pins(lock_text: str) -> list[str]:
    """The `name==version` lines of a lock file, comments and blanks dropped."""
    return [ln.strip() for ln in lock_text.splitlines() if ln.strip() and not ln.startswith("#")]


def render_env(lock_text: str) -> str:
    pins = "\n".join(f"      - {p}" for p in lock_pins(lock_text))
    return ("# GENERATED from requirements.lock by `python -m nnbayes.workflow.envfile`; do not edit.\n"
            "name: nnbayes\nchannels:\n  - conda-forge\n  - nodefaults\ndependencies:\n"
            f"  - python={PYTHON}\n  - pip\n  - pip:\n{pins}\n      - -e ..\n")


def main(root: str = ".") -> None:
    root = Path(root)
    (root / "envs").mkdir(exist_ok=True)
    (root / "envs" / "pipeline.yaml").write_text(render_env((root / "requirements.lock").read_text()))


if __name__ == "__main__":
    main(*sys.argv[1:])
