"""CODEOWNERS against the layers' Team values: one source (each `projects/<layer>/Pulumi.yaml`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from shared.contracts import LAYERS
from shared.paths import PROJECTS_DIR, REPO_ROOT
from shared.yamlfile import read_yaml

CODEOWNERS_FILE = REPO_ROOT / ".github" / "CODEOWNERS"
GITHUB_ORGANIZATION = "acme"
PLATFORM_GROUP = "platform"
# What each layer's team owns besides its project folder.
LAYER_PATHS = ("/projects/{layer}/", "/shared/components/{layer}/", "/shared/config/{layer}.py", "/tests/{layer}/")
PLATFORM_PATHS = ("*", "/shared/", "/platform_tools/", "/policy/", "/.github/")
FUNCTION_PATHS = ("/functions/", "/tests/functions/")
FUNCTIONS_LAYER = "compute"  # the layer that packages and deploys functions/


def layer_team(project: str, projects_dir: Path = PROJECTS_DIR) -> str:
    """The `team` default of a layer's Pulumi.yaml: its Team tag."""
    config = (read_yaml(projects_dir / project / "Pulumi.yaml") or {}).get("config") or {}
    return str(config["team"]["default"])


def handle(team: str) -> str:
    return f"@{GITHUB_ORGANIZATION}/{team}"


def parse(text: str) -> dict[str, tuple[str, ...]]:
    """`{pattern: owners}` of a CODEOWNERS file (comments and blank lines skipped; a later line wins)."""
    rules: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules[pattern] = tuple(owners)
    return rules


def expected_rules(projects: Iterable[str] | None = None) -> dict[str, tuple[str, ...]]:
    """The single-owner rules CODEOWNERS must hold, derived from the layers' Pulumi.yaml."""
    rules = {pattern: (handle(PLATFORM_GROUP),) for pattern in PLATFORM_PATHS}
    for project in projects or [c.project for c in LAYERS]:
        team = handle(layer_team(project))
        rules.update({pattern.format(layer=project): (team,) for pattern in LAYER_PATHS})
    functions_team = handle(layer_team(FUNCTIONS_LAYER))
    rules.update({pattern: (functions_team,) for pattern in FUNCTION_PATHS})
    return rules
