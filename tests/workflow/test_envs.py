"""One source of truth for versions: pyproject ranges -> requirements.lock -> envs/*.yaml."""

import re
import tomllib

import yaml
from packaging.requirements import Requirement

from conftest import REPO
from nnbayes.workflow.envfile import lock_pins, render_env


def test_env_file_is_generated_from_the_lock():
    lock = (REPO / "requirements.lock").read_text()
    assert (REPO / "envs" / "pipeline.yaml").read_text() == render_env(lock)


def test_env_file_shape():
    env = yaml.safe_load((REPO / "envs" / "pipeline.yaml").read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    assert "python=3.11" in env["dependencies"]
    pip = env["dependencies"][-1]["pip"]
    assert pip[-1] == "-e .." and not any(p.startswith("-r") for p in pip)
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[^\s=]+", p) for p in pip[:-1])


def test_lock_satisfies_pyproject_ranges():
    pins = dict(p.split("==") for p in lock_pins((REPO / "requirements.lock").read_text()))
    pins = {re.sub(r"[-_.]+", "-", k).lower(): v for k, v in pins.items()}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + project["optional-dependencies"]["test"]
    for dep in map(Requirement, deps):
        name = re.sub(r"[-_.]+", "-", dep.name).lower()
        assert name in pins, f"{dep.name} is in pyproject.toml but not pinned in requirements.lock"
        assert dep.specifier.contains(pins[name]), f"{dep.name}=={pins[name]} is outside {dep.specifier}"
    assert pins["torch"] == "2.13.0"


def test_every_rule_names_an_existing_env():
    for smk in (REPO / "workflow" / "rules").rglob("*.smk"):
        for env in re.findall(r'conda:\s*\n\s*"([^"]+)"', smk.read_text()):
            assert (smk.parent / env).resolve().is_file(), f"{smk.name}: {env} missing"
