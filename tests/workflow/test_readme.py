"""The README's two fresh-machine commands stay true: CI runs the test command verbatim."""

import re

from conftest import REPO


def fresh_machine_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Two commands for a fresh machine")[1].split("\n## ")[0]
    return re.findall(r"```bash\n(.+?)\n```", section, flags=re.S)


def test_exactly_two_commands_one_runs_the_workflow_one_the_tests():
    run, test = fresh_machine_commands()
    assert run.endswith("snakemake --cores all") and test.endswith("pytest")
    assert run.rsplit("&&", 1)[0] == test.rsplit("&&", 1)[0]  # the same set-up


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (REPO / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == fresh_machine_commands()[1]
