"""The environment a stack belongs to: profile, name suffix and the values every layer shares.

`environments.yaml` (repository root) is the one source of truth for company, service, region
and each profile's cost centre. A stack picks its profile with `payments:environment` (default:
the stack name) and its physical-name suffix with `payments:environmentSuffix` (default: the
stack name), so an ephemeral copy such as `dev-pr42` declares `payments:environment: dev`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any


from shared.config.errors import MISSING, ConfigProblem
from shared.paths import ENVIRONMENTS_FILE
from shared.yamlfile import read_yaml

NAME_PART = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SUFFIX_MAX_LENGTH = 16


@dataclass(frozen=True)
class Environment:
    """Everything about the environment that names and tags depend on."""

    profile: str  # dev | staging | prod: which environment-specific values apply
    suffix: str  # the physical-name suffix, unique per copy of an environment in an account
    stack: str
    company: str
    service: str
    region: str
    cost_center: str
    project: str = ""
    team: str = ""

    def for_layer(self, project: str, team: str) -> "Environment":
        return replace(self, project=project, team=team)


@dataclass(frozen=True)
class EnvironmentsFile:
    company: str
    service: str
    region: str
    cost_centers: dict[str, str]

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(self.cost_centers)


@cache
def read_environments_file() -> EnvironmentsFile:
    data = read_yaml(ENVIRONMENTS_FILE)
    source = ENVIRONMENTS_FILE.name
    problems = []
    for key in ("company", "service"):
        if not NAME_PART.match(str(data.get(key, ""))):
            problems.append(f"{source}: {key} = {data.get(key)!r}: lowercase letters, digits and single hyphens")
    profiles = data.get("profiles") or {}
    for name, profile in profiles.items():
        if not (profile or {}).get("costCenter"):
            problems.append(f"{source}: profiles.{name}.costCenter is missing")
    if problems:
        raise ValueError("\n".join(problems))
    return EnvironmentsFile(
        company=data["company"],
        service=data["service"],
        region=data["region"],
        cost_centers={name: str(p["costCenter"]) for name, p in profiles.items()},
    )


def resolve_environment(stack: str, values: dict[str, Any]) -> tuple[Environment | None, list[ConfigProblem]]:
    """Resolve `payments:environment` and `payments:environmentSuffix` for a stack."""
    env_file = read_environments_file()
    problems: list[ConfigProblem] = []
    allowed = ", ".join(env_file.profiles)

    for key in sorted(set(values) - {"environment", "environmentSuffix"}):
        problems.append(ConfigProblem(f"payments:{key}", "unknown key; allowed: environment, environmentSuffix", values[key]))

    declared = values.get("environment", MISSING)
    if declared is MISSING:
        profile = stack
        if profile not in env_file.cost_centers:
            problems.append(
                ConfigProblem(
                    "payments:environment",
                    f"stack {stack!r} is not one of {allowed}; declare which environment profile it uses",
                )
            )
    else:
        profile = str(declared)
        if profile not in env_file.cost_centers:
            problems.append(ConfigProblem("payments:environment", f"unknown environment; allowed: {allowed}", declared))

    suffix = str(values.get("environmentSuffix", stack))
    if len(suffix) > SUFFIX_MAX_LENGTH or not NAME_PART.match(suffix):
        problems.append(
            ConfigProblem(
                "payments:environmentSuffix",
                f"must be 1-{SUFFIX_MAX_LENGTH} lowercase letters, digits and single hyphens, starting with a letter"
                + ("" if "environmentSuffix" in values else " (it defaults to the stack name; set it explicitly)"),
                suffix,
            )
        )

    if problems:
        return None, problems
    return (
        Environment(
            profile=profile,
            suffix=suffix,
            stack=stack,
            company=env_file.company,
            service=env_file.service,
            region=env_file.region,
            cost_center=env_file.cost_centers[profile],
        ),
        [],
    )
