"""`invoke diff`: the offline plan of the working tree against the offline plan of a git revision."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from platform_tools.diff.compare import EnvironmentDiff, diff_documents, has_changes
from platform_tools.diff.render import diff_document, markdown_summary, print_diff
from platform_tools.diff.revision import DiffError, PlanRun, checked_out, package_fingerprint, resolve_revision
from shared.contracts import LAYERS
from shared.paths import REPO_ROOT

REQUIRES = {contract.project: tuple(contract.requires) for contract in LAYERS}


@dataclass(frozen=True)
class DiffResult:
    base: str
    base_commit: str
    environments: list[EnvironmentDiff]

    @property
    def changed(self) -> bool:
        return has_changes(self.environments)


def compute_diff(env: str, base: str, repo: Path = REPO_ROOT) -> DiffResult:
    """Plan `env` in the working tree of `repo` and in revision `base` (both in subprocesses, at once)."""
    commit = resolve_revision(repo, base)
    with checked_out(repo, commit) as base_tree:
        head_run = PlanRun(repo, env, "the working tree")
        base_run = PlanRun(base_tree, env, f"{base} ({commit[:12]})")
        head_run.wait(), base_run.wait()  # both finish before either failure is reported
        head, old = head_run.documents(), base_run.documents()
        old_code, new_code = package_fingerprint(base_tree), package_fingerprint(repo)
    code_change = (old_code, new_code) if old_code != new_code else None
    return DiffResult(base, commit, diff_documents(old, head, REQUIRES, code_change))


def run_diff(
    env: str,
    base: str,
    console: Console,
    json_path: str | None = None,
    markdown_path: str | None = None,
    repo: Path = REPO_ROOT,
) -> DiffResult:
    """Compute, print and write the diff; raises DiffError with a readable message on failure."""
    result = compute_diff(env, base, repo)
    print_diff(console, result.environments, base)
    if json_path:
        document = diff_document(result.environments, base, result.base_commit)
        Path(json_path).write_text(json.dumps(document, indent=2) + "\n")
        console.print(f"wrote {json_path}", markup=False)
    if markdown_path:
        with open(markdown_path, "a") as summary:  # GITHUB_STEP_SUMMARY is appended to, never replaced
            summary.write(markdown_summary(result.environments, base) + "\n")
    return result


__all__ = ["DiffError", "DiffResult", "compute_diff", "run_diff"]
