"""The README's two fresh-machine commands stay true: CI runs the test command verbatim."""

import re
import shlex

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


def inline_snakemake_commands() -> list[str]:
    return re.findall(r"`(snakemake [^`]+)`", (REPO / "README.md").read_text())


def test_the_resume_command_keeps_the_scale():
    row = next(line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("| resume"))
    commands = re.findall(r"`(snakemake [^`]+)`", row)
    assert len(commands) == 2 and all("--config scale=" in c for c in commands)


def test_no_target_follows_config():
    """`--config` takes every word after it: a target there would be read as a config entry."""
    for command in inline_snakemake_commands():
        words = shlex.split(command)
        if "--config" in words:
            after = words[words.index("--config") + 1:]
            for word in after[: next((i for i, w in enumerate(after) if w.startswith("-")), len(after))]:
                assert "=" in word, command
