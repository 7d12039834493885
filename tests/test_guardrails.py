"""Guardrails that keep the engine on one road: checks of the source tree itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OWNERS = {"tuning/config.py", "tuning/store.py", "tuning/study.py"}
PRODUCT = [p for d in ("tuning", "ui", "app_pages") for p in sorted((ROOT / d).rglob("*.py"))]


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


@pytest.mark.parametrize(
    "pattern",
    [r"StudyConfig\.from_dict\(", r"\.config\.get\(", r"\b_conn\(\)"],
)
def test_studies_are_read_only_through_the_handle(pattern):
    found = [
        f"{_rel(p)}:{i}"
        for p in PRODUCT
        if _rel(p) not in OWNERS
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(pattern, line)
    ]
    assert not found, f"{pattern} outside config/store/study: {found}"


def test_no_state_or_model_name_is_compared_as_text():
    states = r"""[!=]= ["'](running|complete|pruned|failed|paused|stopped)["']"""
    models = r"""(model|family|name)\s*[!=]= ["'](xgboost|random_forest|mlp|svm|knn|ridge|lasso)["']"""
    found = [
        f"{_rel(p)}:{i}: {line.strip()}"
        for p in PRODUCT
        if _rel(p) != "tuning/models.py"
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(states, line) or re.search(models, line)
    ]
    assert not found, found


def _module_imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` imported at module level (not under TYPE_CHECKING, not inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in [node] if not isinstance(node, ast.If | ast.Try) else ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and sub.module and sub.module.startswith(package):
                out.add(sub.module)
            elif isinstance(sub, ast.Import):
                out |= {a.name for a in sub.names if a.name.startswith(package)}
    return out


def _module_name(p: Path) -> str:
    parts = list(p.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycle_in_the_engine():
    files = {_module_name(p): p for p in sorted((ROOT / "tuning").rglob("*.py"))}
    graph = {m: {i for i in _module_imports(p, "tuning") if i in files and i != m} for m, p in files.items()}
    # a package's __init__ importing its own submodules is how packages re-export; not a cycle of concepts
    for m in graph:
        graph[m] = {i for i in graph[m] if not (i.startswith(m + ".") and files[m].name == "__init__.py")}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                cycles.append([*path[path.index(n) :], n] if n in path else [m, n])
            elif n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles


EXEMPT_FROM_TEST_FILE = {"__init__", "__main__", "errors"}  # re-exports, the entry point, exception types


def test_every_engine_module_has_a_test_file():
    missing = [
        p.name
        for p in sorted((ROOT / "tuning").glob("*.py"))
        if p.stem not in EXEMPT_FROM_TEST_FILE and not (ROOT / "tests" / f"test_{p.stem}.py").exists()
    ]
    assert not missing, missing


def test_the_runner_loop_fits_on_a_screen():
    from tuning import runner

    tree = ast.parse(Path(runner.__file__).read_text(encoding="utf-8"))
    loop = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_loop")
    assert loop.end_lineno - loop.lineno + 1 <= 40


def test_one_refit_of_the_best_candidate():
    """Only the study handle fits the best candidate on all training rows (``refit_best``)."""
    defs = [f"{_rel(p)}" for p in PRODUCT if re.search(r"^\s*def refit_best\(", p.read_text(encoding="utf-8"), re.M)]
    assert defs == ["tuning/study.py"], defs


def test_engine_modules_stay_small_or_say_why():
    big = []
    for p in sorted((ROOT / "tuning").rglob("*.py")):
        text = p.read_text(encoding="utf-8")
        if text.count("\n") > 600 and "Over 600 lines because" not in text:
            big.append(_rel(p))
    assert not big, big
