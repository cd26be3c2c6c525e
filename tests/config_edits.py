"""Validating a layer's real stack file with some keys changed: the helper config tests share."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime import config as runtime_config

from platform_tools.plan.stackconfig import load_stack_config
from shared.config import ConfigError, load_layer_config
from shared.config.compute import ComputeConfig
from shared.config.data import DataConfig
from shared.config.network import NetworkConfig
from shared.config.observability import ObservabilityConfig
from shared.paths import project_dir

MODELS = {"network": NetworkConfig, "data": DataConfig, "compute": ComputeConfig, "observability": ObservabilityConfig}


def real_config(project: str, stack: str) -> dict[str, str]:
    return dict(load_stack_config(project_dir(project), stack).values)


def load(project: str, stack: str, values: dict[str, str]):
    runtime_config.set_all_config(values, [])
    return load_layer_config(MODELS[project], project, stack)


def problems(project: str, stack: str, **changes) -> dict[str, str]:
    """Problems (key -> rendered line) after changing keys of the real stack file; None removes a key."""
    values = real_config(project, stack)
    for key, value in changes.items():
        full_key = key.replace("__", ":")
        if value is None:
            values.pop(full_key, None)
        else:
            values[full_key] = value if isinstance(value, str) else json.dumps(value)
    with pytest.raises(ConfigError) as caught:
        load(project, stack, values)
    return {p.key: p.render() for p in caught.value.problems}
