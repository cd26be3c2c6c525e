"""Ephemeral stacks: a stack file that holds only what differs from the profile it copies.

A stack such as `dev-pr42` names its profile in its own stack file (`payments:environment: dev`)
and sets only what must differ (its VPC CIDR, any override). Every other key is read from the
profile's stack file in the same project (`Pulumi.dev.yaml`). Order, lowest first: `Pulumi.yaml`
defaults, the profile's stack file, the stack's own file.

The Pulumi engine passes a program only its own stack file and the project defaults, so the
deploy-time loader (`shared.config.loader`) adds the inherited keys the engine did not pass; the
offline plan (`platform_tools.plan.stackconfig`) uses the same function.

Secrets are never inherited: a `secure:` value is encrypted for the profile's stack and cannot be
decrypted by another stack, so the ephemeral stack must set its own (`pulumi config set --secret`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.config.errors import ConfigProblem
from shared.yamlfile import read_yaml

ENVIRONMENT_KEY = "payments:environment"
# The keys that make a stack what it is are never copied from the profile.
NOT_INHERITED_NAMESPACE = "payments:"


@dataclass(frozen=True)
class Inheritance:
    """What a stack takes from its profile's stack file."""

    profile: str | None = None  # None: the stack is not a copy (or names itself)
    values: Mapping[str, Any] = field(default_factory=dict)  # qualified key -> value as in the YAML
    problems: tuple[ConfigProblem, ...] = ()


def qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def stack_file_config(directory: Path, project: str, stack: str) -> dict[str, Any] | None:
    """The `config:` of `Pulumi.<stack>.yaml`, keys qualified; None when the file does not exist."""
    path = directory / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        return None
    return {qualify(project, str(k)): v for k, v in ((read_yaml(path) or {}).get("config") or {}).items()}


def is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def profile_inheritance(directory: Path, project: str, stack: str) -> Inheritance:
    """The profile's keys that `stack`'s own file does not set, or the problems that prevent it."""
    own = stack_file_config(directory, project, stack)
    profile = (own or {}).get(ENVIRONMENT_KEY)
    if own is None or profile is None or str(profile) == stack:
        return Inheritance()
    profile = str(profile)
    label = f"projects/{project}/Pulumi.{profile}.yaml"
    parent = stack_file_config(directory, project, profile)
    if parent is None:
        return Inheritance(profile, problems=(ConfigProblem(ENVIRONMENT_KEY, f"the profile's stack file {label} does not exist", profile),))
    if str(parent.get(ENVIRONMENT_KEY, profile)) != profile:
        message = f"{label} is itself a copy of {parent[ENVIRONMENT_KEY]!r}; copy a profile's own stack (no chains)"
        return Inheritance(profile, problems=(ConfigProblem(ENVIRONMENT_KEY, message, profile),))
    values: dict[str, Any] = {}
    problems = []
    for key, value in parent.items():
        if key in own or key.startswith(NOT_INHERITED_NAMESPACE):
            continue
        if is_secure(value):
            problems.append(
                ConfigProblem(key, f"is a secret in {label}, which another stack cannot decrypt; set it for this stack "
                              f"with `pulumi config set --secret {key} --stack {stack}`")
            )
            continue
        values[key] = value
    return Inheritance(profile, values, tuple(problems))


def as_cli_string(value: Any) -> str:
    """A YAML value as the Pulumi CLI passes it to a program: strings as-is, the rest as JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)
