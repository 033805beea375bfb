"""The tree's import rules and the rules' derived code inputs (nnbayes.workflow.code_deps)."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, planned, snakemake
from nnbayes.workflow.cli import main
from nnbayes.workflow.code_deps import SRC, closure, direct_imports, handler_modules

STUDIES = {"data", "prior", "sgd_bayes", "qnn", "meanfield", "ensemble", "occam"}
SHARED = {"core", "gp"}


def modules() -> list[str]:
    out = []
    for p in SRC.rglob("*.py"):
        parts = list(p.relative_to(SRC.parent).with_suffix("").parts)
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(out)


def area(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and (SRC / parts[1]).is_dir()) else None


def test_every_module_lives_in_an_area():
    loose = [m for m in modules() if m != "nnbayes" and area(m) not in STUDIES | SHARED | {"workflow"}]
    assert not loose, loose


def forbidden(src: str, dst: str) -> bool:
    a, b = area(src), area(dst)
    if b is None or a == b:
        return False
    if a == "core":
        return True  # core is the floor: it imports nothing else of nnbayes
    if a == "gp":
        return b != "core"
    if a in STUDIES:
        return b not in SHARED  # never another study, never the workflow
    return False  # workflow may import anything


def test_no_forbidden_import_edge():
    edges = [(m, d) for m in modules() for d in direct_imports(m) if forbidden(m, d)]
    assert not edges, edges


def test_no_import_circle():
    graph = {m: {d for d in direct_imports(m) if d in set(modules())} for m in modules()}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for d in graph[m]:
            if state.get(d) == 1:
                pytest.fail("import circle: " + " -> ".join(path[path.index(d):] + [d]))
            if d not in state:
                visit(d, path + [d])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [m])


def test_forbidden_edges_are_detected():
    """The rule itself can fail: edges the tree must never have are classed as forbidden."""
    assert forbidden("nnbayes.qnn.learning", "nnbayes.sgd_bayes.posterior")
    assert forbidden("nnbayes.occam.plan", "nnbayes.workflow.config")
    assert forbidden("nnbayes.core.train", "nnbayes.gp.nngp")
    assert not forbidden("nnbayes.workflow.config", "nnbayes.occam.plan")


@pytest.mark.parametrize("module", ["nnbayes.sgd_bayes.checks", "nnbayes.qnn.checks", "nnbayes.occam.checks",
                                    "nnbayes.ensemble.checks", "nnbayes.meanfield.plots", "nnbayes.prior.plots",
                                    "nnbayes.occam.plan", "nnbayes.workflow.config"])
def test_static_closure_holds_every_module_python_loads(module):
    """Independent method: what a fresh interpreter actually loads on import (module-level imports)
    must be inside the closure read from the source."""
    code = f"import sys, json, {module}; print(json.dumps(sorted(m for m in sys.modules if m.startswith('nnbayes'))))"
    loaded = set(json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                           check=True).stdout))
    assert loaded - closure({module}) == set()


def test_a_job_depends_on_its_own_command_not_on_its_neighbours_in_the_cli_module():
    """sgd_bayes/cli.py holds `train` and `posterior`: a training shard must not rerun when the
    posterior's EP changes (it once asked to retrain 10^6 runs), while the posterior must."""
    train, posterior = (handler_modules("nnbayes.sgd_bayes.cli", f) for f in ("_train", "_posterior"))
    assert {"nnbayes.core.train", "nnbayes.core.fused_train", "nnbayes.sgd_bayes.cli"} <= train
    assert not train & {"nnbayes.gp.ep", "nnbayes.sgd_bayes.posterior"}
    assert {"nnbayes.gp.ep", "nnbayes.sgd_bayes.posterior", "nnbayes.sgd_bayes.cli"} <= posterior


def test_a_real_training_job_loads_nothing_outside_its_code_inputs(tmp_path):
    """Independent method: run `nnbayes train` in a fresh interpreter and record the nnbayes modules
    its handler loads (the imports inside handlers are the ones the static reading could miss)."""
    main(["data", "--n", "5", "--targets", json.dumps({"majority": {"kind": "majority"}}), "--splits",
          json.dumps({"m": [16], "seeds": [0]}), "--cube", str(tmp_path / "cube.parquet"), "--targets-out",
          str(tmp_path / "targets.parquet"), "--splits-out", str(tmp_path / "splits.parquet")])
    argv = ["train", "--task", json.dumps({"kind": "boolean", "target": "majority", "train": "10" * 16}),
            "--cube", str(tmp_path / "cube.parquet"), "--targets", str(tmp_path / "targets.parquet"),
            "--net", json.dumps({"depth": 1, "width": 8, "activation": "relu", "sigma_w": 1.0, "sigma_b": 1.0}),
            "--variant", json.dumps({"optimizer": "sgd", "batch_size": 4, "lr": 0.1, "loss": "ce"}),
            "--runs", "8", "--name", "t", "--shard", "0", "--seed", "0", "--max-epochs", "50", "--device", "cpu",
            "--out", str(tmp_path / "shard.parquet")]
    code = ("import sys, json; from nnbayes.workflow.cli import parser; a = parser().parse_args(json.loads(sys.argv[1]));"
            " before = set(sys.modules); a.func(a);"
            " print(json.dumps(sorted(m for m in set(sys.modules) - before if m.startswith('nnbayes'))))")
    run = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True, check=True)
    loaded = set(json.loads(run.stdout.strip().splitlines()[-1]))
    assert "nnbayes.core.train" in loaded  # the recording sees the handler's own imports
    assert loaded - handler_modules("nnbayes.sgd_bayes.cli", "_train") == set()


@pytest.mark.slow
def test_editing_a_leaf_module_reruns_exactly_the_jobs_whose_code_holds_it(smoke):
    """Touch occam/reference.py (imported by occam's checks and plots only) in the finished smoke
    copy: a dry run must plan the four occam checks and figures, the report and nothing else."""
    code, out = snakemake("-n", "--config", "scale=smoke", cwd=smoke)
    assert code == 0 and "Nothing to be done" in out, out[-2000:]
    leaf = smoke / "src/nnbayes/occam/reference.py"
    text, stat = leaf.read_text(), leaf.stat()
    leaf.write_text(text + "\n")
    code, out = snakemake("-n", "--config", "scale=smoke", cwd=smoke)
    leaf.write_text(text)
    os.utime(leaf, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the other tests share this run
    assert code == 0, out[-2000:]
    figs = [p.stem for p in (REPO / "notebooks" / "occam").glob("*.py")]
    assert set(planned(out)) - {"total"} == {*figs, *(f"checks_{f}" for f in figs), "report", "all"}


def test_small_units_no_file_over_400_lines_no_function_over_60():
    import ast

    big = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if len(text.splitlines()) > 400:
            big.append(f"{path.name}: {len(text.splitlines())} lines")
        big += [f"{path.name}:{f.name}: {f.end_lineno - f.lineno + 1} lines" for f in ast.walk(ast.parse(text))
                if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and f.end_lineno - f.lineno + 1 > 60]
    assert not big, big
