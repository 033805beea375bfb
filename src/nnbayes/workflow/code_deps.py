"""Which library files a job's code is made of, derived from the source, so that editing a module
reruns exactly the jobs whose code imports it (directly or through other modules).

A job runs one `nnbayes <command>`; its code is the handler's module, the handler's own imports
(module level and inside the handler and the same-module helpers it calls) and, recursively, the
import closure of every nnbayes module those name (`handler_modules`). Read with `ast`, nothing
is imported or run.
"""

import ast
from functools import cache
from pathlib import Path

PACKAGE = "nnbayes"
SRC = Path(__file__).resolve().parents[1]  # src/nnbayes


def module_path(module: str) -> Path:
    """File of a dotted nnbayes module (a package's __init__.py for a package)."""
    rel = Path(*module.split(".")[1:])
    return SRC / rel / "__init__.py" if (SRC / rel).is_dir() else SRC / rel.with_suffix(".py")


def _imported(node: ast.AST) -> set[str]:
    """nnbayes modules named by the import statements under `node` (`from nnbayes.x import y`
    counts nnbayes.x.y when that is a module, else nnbayes.x)."""
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Import):
            found |= {a.name for a in n.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(n, ast.ImportFrom) and n.module and n.module.split(".")[0] == PACKAGE:
            for a in n.names:
                sub = f"{n.module}.{a.name}"
                found.add(sub if module_path(sub).exists() else n.module)
    return found


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(module_path(module).read_text())


@cache
def direct_imports(module: str) -> frozenset[str]:
    """Every nnbayes module `module` imports, anywhere in its file."""
    return frozenset(_imported(_tree(module)) - {module})


def closure(modules: set[str] | frozenset[str]) -> set[str]:
    """`modules` and everything they import, transitively, with each package's __init__."""
    seen, todo = set(), list(modules)
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:k]) for k in range(1, len(parts))]  # parent packages run first
        todo += direct_imports(m)
    return seen


def file_imports(path: str | Path) -> set[str]:
    """nnbayes modules a Python file outside the package imports (a notebook, a script)."""
    return _imported(ast.parse(Path(path).read_text()))


def handler_imports(module: str, function: str) -> set[str]:
    """nnbayes modules a handler needs: the module's top-level imports, and the imports inside
    `function` and inside every same-module function it calls (transitively)."""
    tree = _tree(module)
    defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    needed = set().union(*(_imported(n) for n in top)) if top else set()
    seen, todo = set(), [function]
    while todo:
        f = todo.pop()
        if f in seen or f not in defs:
            continue
        seen.add(f)
        needed |= _imported(defs[f])
        todo += [n.id for n in ast.walk(defs[f]) if isinstance(n, ast.Name) and n.id in defs]
    return needed


def handler_modules(module: str, function: str, extra: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """Every module a handler's job runs: the handler's own module and its parent packages, and the
    closure of what the handler needs (handler_imports) and of `extra` (modules it loads by name).
    The handler's module is not followed through its other imports: a CLI module names, inside
    each command's handler, the imports of every command, and a training job must not depend on
    the posterior's code."""
    parents = {".".join(module.split(".")[:k]) for k in range(1, module.count(".") + 1)}
    return closure(handler_imports(module, function) | parents | set(extra)) | {module}


def code_files(modules: set[str]) -> list[str]:
    """`modules` as paths relative to the repository root (src/nnbayes/...), sorted: rule inputs,
    resolved in whichever clone runs the workflow."""
    return sorted(str(module_path(m).relative_to(SRC.parents[1])) for m in modules)
