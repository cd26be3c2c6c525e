"""The pulumi command lines the orchestration issues, each run in its layer's project folder.

Every command is exactly what a person owning one layer would type there, e.g.
`cd projects/network && pulumi up --stack prod --yes`. Mutating commands (`up`, `destroy`,
`refresh`) always carry `--yes` because the orchestrator has already shown the preview and asked
for confirmation itself; `--skip-preview` is never used.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from shared.paths import REPO_ROOT, project_dir

PULUMI = "pulumi"


@dataclass(frozen=True)
class PulumiCommand:
    argv: tuple[str, ...]
    cwd: Path

    @property
    def shell(self) -> str:
        return shlex.join(self.argv)

    @property
    def display(self) -> str:
        """`cd projects/data && pulumi up --stack prod --yes`, as a person would type it."""
        where = os.path.relpath(self.cwd, REPO_ROOT)
        return self.shell if where == "." else f"cd {where} && {self.shell}"


def _at(cwd: Path, *args: str) -> PulumiCommand:
    return PulumiCommand((PULUMI, *args), cwd)


def _policy(project: str, policy_pack: Path | None) -> tuple[str, ...]:
    # Relative to the project folder, as typed there: `--policy-pack ../../policy`.
    return ("--policy-pack", os.path.relpath(policy_pack, project_dir(project))) if policy_pack else ()


def version() -> PulumiCommand:
    return _at(REPO_ROOT, "version")


def whoami() -> PulumiCommand:
    return _at(REPO_ROOT, "whoami", "--verbose")


def stack_ls(project: str) -> PulumiCommand:
    return _at(project_dir(project), "stack", "ls", "--json")


def stack_init(project: str, stack: str) -> PulumiCommand:
    return _at(project_dir(project), "stack", "init", "--stack", stack)


def stack_output(project: str, stack: str, show_secrets: bool = False) -> PulumiCommand:
    reveal = ("--show-secrets",) if show_secrets else ()
    return _at(project_dir(project), "stack", "output", "--json", *reveal, "--stack", stack)


def preview(project: str, stack: str, policy_pack: Path | None = None) -> PulumiCommand:
    return _at(project_dir(project), "preview", "--stack", stack, "--diff", *_policy(project, policy_pack))


def up(project: str, stack: str, policy_pack: Path | None = None) -> PulumiCommand:
    return _at(project_dir(project), "up", "--stack", stack, "--yes", *_policy(project, policy_pack))


def refresh(project: str, stack: str, preview_only: bool = False) -> PulumiCommand:
    mode = "--preview-only" if preview_only else "--yes"
    return _at(project_dir(project), "refresh", "--stack", stack, mode)


def destroy(project: str, stack: str, preview_only: bool = False) -> PulumiCommand:
    mode = "--preview-only" if preview_only else "--yes"
    return _at(project_dir(project), "destroy", "--stack", stack, mode)
