"""Tags: one required base set on everything, merged from general to specific, `Name` last.

Mechanism: each layer creates one explicit AWS provider (`shared.provider`) whose `default_tags`
carry the base set, so the provider tags every taggable resource it manages, including the
children of components. The few places provider default tags do not reach (auto scaling group
tags, launch-template tag specifications) take `tags_for(...)` explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.config.environment import Environment

REQUIRED_TAGS = ("Environment", "Team", "CostCenter")


def base_tags(environment: Environment) -> dict[str, str]:
    return {
        "Environment": environment.profile,
        "Team": environment.team,
        "CostCenter": environment.cost_center,
        "EnvironmentSuffix": environment.suffix,
        "Service": f"{environment.company}-{environment.service}",
        "Layer": environment.project,
        "ManagedBy": "pulumi",
    }


def tags_for(environment: Environment, name: str | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Base tags, then resource-specific ones, then `Name`: for places default tags don't reach."""
    tags = {**base_tags(environment), **(extra or {})}
    if name:
        tags["Name"] = name
    return tags


def name_tag(name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Resource-level tags on top of the provider's default tags."""
    return {**(extra or {}), "Name": name}
