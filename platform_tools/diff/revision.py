"""The offline plan of a source tree, rendered by that tree's own code in a subprocess.

The working tree and a git revision are planned the same way: `python -m invoke plan --json` run
in the tree with the tree first on `PYTHONPATH`, so a base revision's programs run with the
library and plan engine of that revision, whatever the layout of today's modules. The revision is
checked out into a temporary `git worktree` (detached), removed afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The sources the function package is built from (platform_tools/packaging.py): the `payments`
# package and its pinned runtime requirements, tests and caches excluded.
PACKAGE_SOURCES = ("functions/payments", "functions/requirements.txt")
_PACKAGE_SUFFIXES = (".py", ".pem", ".txt", ".sql")
_SKIPPED_PARTS = frozenset({"tests", "test", "__pycache__"})


class DiffError(RuntimeError):
    """The diff could not be computed: an unknown revision, a tree that cannot plan, a git failure."""


def _git(repo: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed") from None
    if result.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {result.stderr.strip() or 'failed'}")
    return result.stdout.strip()


def resolve_revision(repo: Path, ref: str) -> str:
    """The commit `ref` names, or a DiffError saying it names none."""
    try:
        return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except DiffError:
        raise DiffError(f"--base {ref!r} is not a commit of {repo} (a branch, tag or hash; fetch it first in CI)") from None


@contextmanager
def checked_out(repo: Path, ref: str) -> Iterator[Path]:
    """A temporary detached worktree of `ref`, removed (and pruned) on exit."""
    commit = resolve_revision(repo, ref)
    parent = Path(tempfile.mkdtemp(prefix="payments-diff-"))
    tree = parent / "base"
    _git(repo, "worktree", "add", "--detach", "--quiet", str(tree), commit)
    try:
        yield tree
    finally:
        try:
            _git(repo, "worktree", "remove", "--force", str(tree))
        finally:
            _git(repo, "worktree", "prune")
            shutil.rmtree(parent, ignore_errors=True)


def _plan_environment_variables(tree: Path) -> dict[str, str]:
    path = os.pathsep.join([str(tree), str(tree / "functions")])
    variables = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    variables["PYTHONPATH"] = path
    variables["PYTHONDONTWRITEBYTECODE"] = "1"  # leave the trees as they were
    variables["COLUMNS"] = "160"
    return variables


def _plan_command(tree: Path, env: str, json_path: Path) -> list[str]:
    tasks = tree / "tasks.py"
    text = tasks.read_text() if tasks.exists() else ""
    if "def plan(" not in text or "json" not in text:
        raise DiffError(f"{tree.name}: this revision has no `invoke plan --json` (tasks.py predates the machine-readable plan)")
    command = [sys.executable, "-m", "invoke", "plan", "--env", env, "--json", str(json_path)]
    if "details" in text:
        command.append("--no-details")  # the table is not read; only the JSON file is
    return command


class PlanRun:
    """One tree's plan, started in the background so two trees can plan at once."""

    def __init__(self, tree: Path, env: str, label: str):
        self.tree = tree
        self.label = label
        self._dir = Path(tempfile.mkdtemp(prefix="payments-plan-"))
        self.json_path = self._dir / "plan.json"
        self._stderr: str | None = None
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            _plan_command(tree, env, self.json_path),
            cwd=tree,
            env=_plan_environment_variables(tree),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self) -> None:
        if self._stderr is None:
            self._stderr = self._process.communicate()[1] or ""

    def documents(self) -> list[dict[str, Any]]:
        """The plan documents, one per environment; DiffError with the plan's own message on failure."""
        try:
            self.wait()
            stderr = self._stderr or ""
            if self._process.returncode != 0 or not self.json_path.exists():
                lines = [line for line in stderr.strip().splitlines() if line.strip()]
                reason = lines[-1] if lines else f"exit code {self._process.returncode}"
                raise DiffError(f"the plan of {self.label} failed: {reason}")
            document = json.loads(self.json_path.read_text())
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
        return document if isinstance(document, list) else [document]


def package_fingerprint(tree: Path) -> str:
    """A short hash of the function package's sources in `tree` (files as they are on disk)."""
    digest = hashlib.sha256()
    for source in PACKAGE_SOURCES:
        root = tree / source
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            relative = path.relative_to(tree)
            if _SKIPPED_PARTS.intersection(relative.parts) or path.suffix not in _PACKAGE_SUFFIXES:
                continue
            digest.update(relative.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()[:12]}"
