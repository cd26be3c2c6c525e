"""Deploy-time code and tooling live apart: nothing `pulumi up` imports may import the tooling package.

The rule is read from the sources' import statements (ast), so a lazy import inside a function
breaks it as surely as one at the top of a module.
"""

from __future__ import annotations

import ast
import gc
from pathlib import Path

import pytest

from shared.paths import REPO_ROOT

TOOLING_PACKAGE = "platform_tools"
DEPLOY_TIME_TREES = ("shared", "projects", "functions")


def _parse(source: str) -> ast.AST:
    # CPython 3.11 miscounts its AST recursion depth ("AST constructor recursion depth mismatch")
    # when a garbage collection inside ast.parse runs a finalizer, such as asyncio's "exception
    # never retrieved" log of a failed plan's futures; collect first and keep GC out of the parse.
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source)
    finally:
        if was_enabled:
            gc.enable()


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every import statement in `source`, relative imports excluded."""
    found = []
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _parse(source: str) -> ast.Module:
    # CPython 3.11.7 fails ast.parse with "AST constructor recursion depth mismatch" when the cyclic
    # GC runs a Python finalizer (the plan tests leave asyncio futures behind) in the middle of the
    # conversion; with the collector paused for the parse the result does not depend on GC timing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(source)
    finally:
        if enabled:
            gc.enable()


def tooling_imports(path: Path) -> list[str]:
    return [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {module}"
        for line, module in imported_modules(path.read_text())
        if module == TOOLING_PACKAGE or module.startswith(f"{TOOLING_PACKAGE}.")
    ]


def deploy_time_sources() -> list[Path]:
    return sorted(p for tree in DEPLOY_TIME_TREES for p in (REPO_ROOT / tree).rglob("*.py") if "__pycache__" not in p.parts)


def test_no_program_component_or_function_imports_the_tooling_package():
    sources = deploy_time_sources()
    assert any(p.match("projects/*/__main__.py") for p in sources), "the layer programs were not scanned"
    violations = [v for path in sources for v in tooling_imports(path)]
    assert violations == []


@pytest.mark.parametrize(
    "source",
    ["import platform_tools.plan.engine\n", "def f():\n    from platform_tools.guardrails import rules\n", "from platform_tools import cost\n"],
)
def test_the_rule_catches_every_form_of_import(tmp_path, source):
    module = REPO_ROOT / "shared" / "_import_rule_probe.py"
    module.write_text(source)
    try:
        assert tooling_imports(module) != []
    finally:
        module.unlink()


def test_shared_holds_only_deploy_time_modules():
    top_level = sorted(p.name for p in (REPO_ROOT / "shared").iterdir() if p.name != "__pycache__")
    for tooling in ("plan", "guardrails", "orchestration", "cost", "packaging.py"):
        assert tooling not in top_level
