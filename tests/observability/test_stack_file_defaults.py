"""Observability values shared by every environment have one source: a `Pulumi.yaml` default."""

from __future__ import annotations

import json

from platform_tools.plan.stackconfig import load_stack_config, read_project_file
from shared.paths import project_dir
from shared.yamlfile import read_yaml

ENVIRONMENTS = ("dev", "staging", "prod")
PROJECT = "observability"


def stack_file_config(stack: str) -> dict:
    return read_yaml(project_dir(PROJECT) / f"Pulumi.{stack}.yaml")["config"]


def test_no_key_repeats_one_value_in_every_stack_file():
    files = {stack: stack_file_config(stack) for stack in ENVIRONMENTS}
    repeated = sorted(
        key
        for key, value in files["dev"].items()
        if all(key in other and other[key] == value for other in files.values())
    )
    assert not repeated, f"identical in {', '.join(ENVIRONMENTS)}: make {repeated} defaults in projects/{PROJECT}/Pulumi.yaml"


def test_defaults_are_not_restated_by_stack_files():
    defaults = {f"{PROJECT}:{key}" for key in read_project_file(project_dir(PROJECT))["config"] if ":" not in key}
    for stack in ENVIRONMENTS:
        restated = sorted(defaults & set(stack_file_config(stack)))
        assert not restated, f"Pulumi.{stack}.yaml restates the defaults {restated}"


def test_the_program_receives_the_defaults_as_whole_objects():
    declared = read_project_file(project_dir(PROJECT))["config"]["dlqDepthAlarm"]
    assert declared["type"] == "object"
    for stack in ENVIRONMENTS:
        values = load_stack_config(project_dir(PROJECT), stack).values
        assert json.loads(values[f"{PROJECT}:dlqDepthAlarm"]) == declared["default"]
