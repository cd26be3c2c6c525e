"""The config the Pulumi CLI would hand a program: `Pulumi.yaml` defaults overlaid by the stack file.

The CLI passes every value as a string (`{"network:vpcCidr": "10.2.0.0/16"}`), arrays and
objects as JSON text; `secure:` values become secret keys. Ciphertext cannot be decrypted
offline, so secrets get a placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.config.inheritance import as_cli_string, profile_inheritance
from shared.yamlfile import read_yaml


SECRET_PLACEHOLDER = "[secret]"


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    values: dict[str, str]
    secret_keys: tuple[str, ...]
    stack_file: Path


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def read_project_file(project_dir: Path) -> dict[str, Any]:
    path = project_dir / "Pulumi.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: not a Pulumi project")
    return read_yaml(path) or {}


def load_stack_config(project_dir: Path, stack: str) -> StackConfig:
    project_file = read_project_file(project_dir)
    project = project_file["name"]
    values: dict[str, str] = {}
    secret_keys: list[str] = []

    for key, declaration in (project_file.get("config") or {}).items():
        full_key = _qualify(project, key)
        if isinstance(declaration, dict) and ("default" in declaration or "value" in declaration):
            values[full_key] = as_cli_string(declaration.get("value", declaration.get("default")))
        elif not isinstance(declaration, dict):
            values[full_key] = as_cli_string(declaration)

    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise FileNotFoundError(f"{stack_file} is missing: no stack {stack!r} for project {project!r}")
    values.update(_inherited_values(project_dir, project, stack))
    stack_data = read_yaml(stack_file) or {}
    for key, value in (stack_data.get("config") or {}).items():
        full_key = _qualify(project, key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[full_key] = SECRET_PLACEHOLDER
            secret_keys.append(full_key)
        else:
            values[full_key] = as_cli_string(value)
    return StackConfig(project, stack, values, tuple(secret_keys), stack_file)


def _inherited_values(project_dir: Path, project: str, stack: str) -> dict[str, str]:
    """An ephemeral stack's keys read from its profile's stack file (shared.config.inheritance):
    above the `Pulumi.yaml` defaults, below the stack's own file. Problems (a missing profile file,
    a secret that cannot be inherited) are reported by the layer's config validation."""
    return {key: as_cli_string(value) for key, value in profile_inheritance(project_dir, project, stack).values.items()}
