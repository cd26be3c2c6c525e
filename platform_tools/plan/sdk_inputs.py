"""Check rendered inputs against the properties the pulumi-aws SDK declares, nested ones included.

Python checks a resource's top-level keyword arguments, but a nested dict (`logging_config=
{"log_format": ...}`) is sent as it is: a misspelt nested key is silently dropped by the SDK or
refused only by a real `pulumi up`. This walks each input through the SDK's own `*Args` input
types (wire names from their `@pulumi.getter(name=...)`) and reports every key they don't declare.
Free-form maps (tags, environment variables, dimensions, parameters) have no input type and are
not descended into.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import typing
from functools import cache
from typing import Any, TypeVar

import pulumi


@cache
def resource_args_class(type_token: str) -> type | None:
    """`aws:s3/bucketVersioning:BucketVersioning` -> the SDK's `BucketVersioningArgs` (or `...InitArgs`,
    the name the SDK uses when a nested type already took `...Args`)."""
    if not type_token.startswith("aws:"):
        return None
    _, module_path, name = type_token.split(":")
    module_name = {"lambda": "lambda_"}.get(module_path.split("/")[0], module_path.split("/")[0])
    resource = getattr(importlib.import_module(f"pulumi_aws.{module_name}"), name, None)
    if resource is None:
        return None
    defining = sys.modules[resource.__module__]
    return getattr(defining, f"{name}InitArgs", None) or getattr(defining, f"{name}Args", None)


@cache
def declared_properties(args_class: type) -> dict[str, Any]:
    """Wire name -> type hint of every property an SDK input type declares."""
    namespace = {**vars(pulumi), **vars(sys.modules[args_class.__module__]), "T": TypeVar("T")}
    hints = typing.get_type_hints(args_class.__init__, globalns=namespace)
    properties = {}
    for attribute, member in inspect.getmembers(args_class, lambda m: isinstance(m, property)):
        wire_name = getattr(member.fget, "_pulumi_name", None) or attribute
        properties[wire_name] = hints.get(attribute)
    return properties


def _input_type_in(hint: Any) -> type | None:
    """The SDK input type inside a hint such as `Optional[Input[Sequence[Input[FooArgs]]]]`."""
    if hint is None:
        return None
    if typing.get_origin(hint) is None:
        is_sdk_args = inspect.isclass(hint) and hint.__module__.startswith("pulumi_aws") and hint.__name__.endswith("Args")
        return hint if is_sdk_args else None
    for argument in typing.get_args(hint):
        found = _input_type_in(argument)
        if found is not None:
            return found
    return None


def _walk(value: Any, hint: Any, path: str, unknown: list[str]) -> None:
    args_class = _input_type_in(hint)
    if args_class is None:
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, hint, f"{path}[{index}]", unknown)
        return
    if not isinstance(value, dict):
        return
    properties = declared_properties(args_class)
    for key, item in value.items():
        if key not in properties:
            unknown.append(f"{path}.{key}")
        else:
            _walk(item, properties[key], f"{path}.{key}", unknown)


def unknown_input_keys(type_token: str, inputs: dict[str, Any]) -> list[str]:
    """Paths of the input keys (top-level and nested) that the SDK does not declare for this type."""
    args_class = resource_args_class(type_token)
    if args_class is None:
        return []
    properties = declared_properties(args_class)
    unknown: list[str] = []
    for key, value in inputs.items():
        if key not in properties:
            unknown.append(key)
        else:
            _walk(value, properties[key], key, unknown)
    return unknown
