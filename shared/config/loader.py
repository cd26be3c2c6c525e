"""Read one layer's stack configuration and validate all of it at once.

A layer's `__main__.py` calls `load_layer_config(Model)` first thing. It reads the values the CLI
passed (stack file plus `Pulumi.yaml` defaults), validates the environment profile and the
layer's own keys with one typed model, and raises a single `ConfigError` listing every problem
(stack file, key, bad value, what is allowed) before any resource is declared.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import pulumi
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from shared.config.environment import Environment, resolve_environment
from shared.config.errors import MISSING, ConfigError, ConfigProblem
from shared.config.inheritance import as_cli_string, profile_inheritance
from shared.config.layer import LayerConfig
from shared.paths import project_dir
from shared.yamlfile import read_yaml

ModelT = TypeVar("ModelT", bound=LayerConfig)


def stack_file_label(project: str, stack: str) -> str:
    return f"projects/{project}/Pulumi.{stack}.yaml"


def namespace_values(namespace: str, inherited: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The raw values of one config namespace (`network:vpcCidr` -> `{"vpcCidr": ...}`).

    The CLI passes every value as a string; arrays and objects arrive as JSON text. `inherited`
    (qualified keys, YAML values) fills in what an ephemeral stack takes from its profile.
    """
    prefix = f"{namespace}:"
    values: dict[str, Any] = {}
    config = {**_all_config(), **{k: as_cli_string(v) for k, v in (inherited or {}).items()}}
    for full_key, raw in config.items():
        if full_key.startswith(prefix):
            values[full_key[len(prefix) :]] = _decode(raw)
    return values


def _all_config() -> dict[str, Any]:
    """Every config value the engine passed to this program, keyed `namespace:key`.

    `pulumi.Config` reads one known key at a time and has no public way to list a namespace; the
    model needs the whole namespace to report unknown keys (typos) instead of ignoring them. This
    function is the one place that reads the SDK's config store directly.
    """
    return dict(runtime_config.CONFIG.get())


def _project_directory(project: str) -> Path:
    """Where the stack files are: the program's working directory (Pulumi runs it in the project
    folder, the offline plan too), else the repository's `projects/<project>`."""
    cwd = Path.cwd()
    if (cwd / "Pulumi.yaml").is_file() and (read_yaml(cwd / "Pulumi.yaml") or {}).get("name") == project:
        return cwd
    return project_dir(project)


def _decode(raw: Any) -> Any:
    if isinstance(raw, str) and raw[:1] in ("[", "{"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


_BLAMED_KEY = re.compile(r"^([a-z][A-Za-z0-9]*): (.*)$", re.S)


def problems_from_validation(namespace: str, error: ValidationError) -> list[ConfigProblem]:
    problems = []
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        key = f"{namespace}:{path}" if path else namespace
        if item["type"] == "missing":
            problems.append(ConfigProblem(key, "required key is missing from the stack file"))
        elif item["type"] == "extra_forbidden":
            problems.append(ConfigProblem(key, "unknown key (check the spelling)", item.get("input", MISSING)))
        else:
            message = item["msg"].removeprefix("Value error, ")
            value = item.get("input", MISSING)
            if not item["loc"]:
                # A rule across keys names the key it blames: "natGatewayCount: needs ...".
                named = _BLAMED_KEY.match(message)
                inputs = value if isinstance(value, dict) else {}
                if named:
                    key, message = f"{namespace}:{named[1]}", named[2]
                    value = inputs.get(named[1], MISSING)
                else:
                    value = MISSING
            problems.append(ConfigProblem(key, message, value))
    return problems


def validate_model(namespace: str, model: type[BaseModel], values: dict[str, Any], context: dict | None = None):
    try:
        return model.model_validate(values, context=context), []
    except ValidationError as error:
        return None, problems_from_validation(namespace, error)


def load_layer_config(model: type[ModelT], project: str | None = None, stack: str | None = None) -> tuple[Environment, ModelT]:
    """Validate the environment profile and the layer's keys; raise one ConfigError for all problems."""
    project = project or pulumi.get_project()
    stack = stack or pulumi.get_stack()
    source = stack_file_label(project, stack)

    # An ephemeral stack's file holds only what differs from its profile; the engine passed only that
    # file (and the Pulumi.yaml defaults), so the profile's other keys are read here.
    inheritance = profile_inheritance(_project_directory(project), project, stack)
    environment, problems = resolve_environment(stack, namespace_values("payments"))
    problems = list(inheritance.problems) + problems
    context = {"project": project, "stack": stack, "environment": environment}
    layer_config, layer_problems = validate_model(project, model, namespace_values(project, inheritance.values), context)
    problems += layer_problems
    if problems:
        raise ConfigError(source, problems)
    assert environment is not None and layer_config is not None
    return environment.for_layer(project, layer_config.team), layer_config
