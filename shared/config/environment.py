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


from shared.config.errors import MISSING, ConfigError, ConfigProblem
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


REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")  # us-east-1, eu-central-2, ap-southeast-3 ...


@cache
def read_environments_file() -> EnvironmentsFile:
    """environments.yaml, validated like every stack file: one ConfigError naming each bad key."""
    return parse_environments(read_yaml(ENVIRONMENTS_FILE), ENVIRONMENTS_FILE.name)


def parse_environments(data: Any, source: str = "environments.yaml") -> EnvironmentsFile:
    """The shared values of every environment, or one ConfigError listing every problem."""
    if not isinstance(data, dict):
        what = "is empty" if data is None else "is not a mapping"
        raise ConfigError(source, [ConfigProblem("(file)", f"{what}; it needs company, service, region and profiles", MISSING if data is None else data)])
    problems: list[ConfigProblem] = []
    for key in ("company", "service"):
        value = data.get(key, MISSING)
        if value is MISSING:
            problems.append(ConfigProblem(key, "required: lowercase letters, digits and single hyphens, e.g. acme"))
        elif not NAME_PART.match(str(value)):
            problems.append(ConfigProblem(key, "lowercase letters, digits and single hyphens", value))
    region = data.get("region", MISSING)
    if region is MISSING:
        problems.append(ConfigProblem("region", "required: the AWS region every environment deploys to, e.g. us-east-1"))
    elif not isinstance(region, str) or not REGION.match(region):
        problems.append(ConfigProblem("region", "an AWS region name such as us-east-1", region))
    profiles = data.get("profiles", MISSING)
    if profiles is MISSING:
        problems.append(ConfigProblem("profiles", "required: one entry per environment profile (dev, staging, prod), each with costCenter"))
        profiles = {}
    elif not isinstance(profiles, dict) or not profiles:
        problems.append(ConfigProblem("profiles", "a mapping of profile name to {costCenter: ...}", profiles))
        profiles = {}
    for name, profile in profiles.items():
        if not NAME_PART.match(str(name)):
            problems.append(ConfigProblem(f"profiles.{name}", "profile names are lowercase letters, digits and single hyphens"))
        if not isinstance(profile, dict) or not profile.get("costCenter"):
            problems.append(ConfigProblem(f"profiles.{name}.costCenter", "required: the CostCenter tag of this profile's resources"))
    if problems:
        raise ConfigError(source, problems)
    return EnvironmentsFile(
        company=str(data["company"]),
        service=str(data["service"]),
        region=str(region),
        cost_centers={str(name): str(p["costCenter"]) for name, p in profiles.items()},
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
