"""What made a file: the code version, for stamping figures at render time.

The git SHA is read when a figure is drawn, never passed as a rule parameter (that would
rerun every expensive rule on each commit).
"""

import subprocess
from pathlib import Path

from nnbayes import __version__
def code_version(repo: str | Path = ".") -> str:
    """`nnbayes <version> <git describe --always --dirty>`, or the package version alone."""
    try:
        sha = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=10"], cwd=repo,
                             capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = "no-git"
    return f"nnbayes {__version__} {sha}"
