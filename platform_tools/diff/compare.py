"""Comparing two offline plans: resources added, removed and changed, keyed by URN.

Pure functions over the plan documents `invoke plan --json` writes (one document per environment:
`{"environment", "layers": [{"project", "resources": [{"urn", "type", "name", "inputs", ...}]}]}`).
Only inputs are compared: ids and outputs are invented by the mock engine, and what a deploy would
change is what the program asks for. Resource order never matters (resources are keyed by URN).
Secrets are already `[secret]` in the documents and stay so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()

# Inputs that describe the built function package rather than the program: the offline plan of a
# tree without `build/` uses a placeholder, so they are compared through the package's sources
# instead (see `code_change`).
ARTIFACT_INPUTS: Mapping[str, frozenset[str]] = {"aws:lambda/function:Function": frozenset({"code", "sourceCodeHash"})}
CODE_KEY = "code"

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class InputChange:
    """One input key (nested keys as a dotted path, list items as `[i]`) with its old and new value."""

    key: str
    old: Any
    new: Any

    @property
    def kind(self) -> ChangeKind:
        if self.old is ABSENT:
            return "added"
        if self.new is ABSENT:
            return "removed"
        return "changed"

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"key": self.key, "kind": self.kind}
        if self.old is not ABSENT:
            document["old"] = self.old
        if self.new is not ABSENT:
            document["new"] = self.new
        return document


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    kind: ChangeKind
    inputs: tuple[InputChange, ...] = ()

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"urn": self.urn, "type": self.type, "name": self.name, "kind": self.kind}
        if self.kind == "changed":
            document["inputs"] = [change.to_json() for change in self.inputs]
        return document


@dataclass(frozen=True)
class LayerDiff:
    project: str
    resources: tuple[ResourceChange, ...] = ()

    @property
    def needs_deploy(self) -> bool:
        return bool(self.resources)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for r in self.resources if r.kind == kind)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "needsDeploy": self.needs_deploy,
            "added": self.count("added"),
            "removed": self.count("removed"),
            "changed": self.count("changed"),
            "resources": [r.to_json() for r in self.resources],
        }


@dataclass(frozen=True)
class EnvironmentDiff:
    environment: str
    layers: tuple[LayerDiff, ...]
    # Layers that read an affected layer's outputs (transitively), in deploy order: deployed after it.
    downstream: tuple[str, ...] = field(default=())

    @property
    def affected(self) -> tuple[str, ...]:
        return tuple(l.project for l in self.layers if l.needs_deploy)

    @property
    def deploy(self) -> tuple[str, ...]:
        """What a pipeline deploys: the affected layers and their downstream layers, in deploy order."""
        wanted = set(self.affected) | set(self.downstream)
        return tuple(l.project for l in self.layers if l.project in wanted)

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "affectedLayers": list(self.affected),
            "deployLayers": list(self.deploy),
            "layers": [l.to_json() for l in self.layers],
        }


def _maybe_json(value: Any) -> Any:
    """JSON text (policy documents, the provider's default tags) compared as the structure it holds."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def value_changes(old: Any, new: Any, path: str = "") -> Iterator[InputChange]:
    """The leaves that differ between two values: mappings by key, equal-length lists by position."""
    if old == new:
        return
    decoded_old, decoded_new = _maybe_json(old), _maybe_json(new)
    if (decoded_old is not old or decoded_new is not new) and decoded_old == decoded_new:
        return  # the same structure, only formatted differently
    if isinstance(decoded_old, dict) and isinstance(decoded_new, dict):
        for key in sorted(set(decoded_old) | set(decoded_new), key=str):
            yield from value_changes(decoded_old.get(key, ABSENT), decoded_new.get(key, ABSENT), _join(path, str(key)))
        return
    if isinstance(decoded_old, list) and isinstance(decoded_new, list) and len(decoded_old) == len(decoded_new) and path:
        for index, (a, b) in enumerate(zip(decoded_old, decoded_new)):
            yield from value_changes(a, b, f"{path}[{index}]")
        return
    yield InputChange(path, old, new)


def _comparable_inputs(resource: Mapping[str, Any]) -> dict[str, Any]:
    ignored = ARTIFACT_INPUTS.get(resource["type"], frozenset())
    return {k: v for k, v in (resource.get("inputs") or {}).items() if k not in ignored}


def _by_urn(layer: Mapping[str, Any] | None) -> dict[str, Mapping[str, Any]]:
    return {r["urn"]: r for r in (layer or {}).get("resources", [])}


def diff_layer(
    project: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    code_change: tuple[str, str] | None = None,
) -> LayerDiff:
    """Resources of one layer added, removed or changed (by inputs), sorted by URN.

    `code_change` is the (old, new) fingerprint of the function package's sources when they differ:
    every function that ships the package then changes its `code`.
    """
    before, after = _by_urn(old), _by_urn(new)
    changes: list[ResourceChange] = []
    for urn in sorted(set(before) | set(after)):
        if urn not in before:
            resource = after[urn]
            changes.append(ResourceChange(urn, resource["type"], resource["name"], "added"))
        elif urn not in after:
            resource = before[urn]
            changes.append(ResourceChange(urn, resource["type"], resource["name"], "removed"))
        else:
            resource = after[urn]
            inputs = list(value_changes(_comparable_inputs(before[urn]), _comparable_inputs(resource)))
            if code_change and CODE_KEY in (resource.get("inputs") or {}) and resource["type"] in ARTIFACT_INPUTS:
                inputs.append(InputChange(CODE_KEY, *code_change))
            if inputs:
                changes.append(ResourceChange(urn, resource["type"], resource["name"], "changed", tuple(inputs)))
    return LayerDiff(project, tuple(changes))


def downstream_of(affected: Iterable[str], requires: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """Layers that read an affected layer, directly or through another downstream layer (`requires`
    maps each layer, in deploy order, to the layers it reads)."""
    reached = set(affected)
    downstream = []
    for project, upstreams in requires.items():
        if project not in reached and reached.intersection(upstreams):
            reached.add(project)
            downstream.append(project)
    return tuple(downstream)


def _layers_in_order(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, order: Sequence[str]) -> list[str]:
    present = [l["project"] for l in (new or {}).get("layers", [])] + [l["project"] for l in (old or {}).get("layers", [])]
    known = [p for p in order if p in present]
    return known + sorted(set(present) - set(known))


def diff_environment(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    requires: Mapping[str, Iterable[str]],
    code_change: tuple[str, str] | None = None,
) -> EnvironmentDiff:
    """Compare the plan documents of one environment (either may be None: the environment is new or gone)."""
    environment = (new or old or {}).get("environment", "?")
    old_layers = {l["project"]: l for l in (old or {}).get("layers", [])}
    new_layers = {l["project"]: l for l in (new or {}).get("layers", [])}
    layers = tuple(
        diff_layer(project, old_layers.get(project), new_layers.get(project), code_change)
        for project in _layers_in_order(old, new, list(requires))
    )
    affected = [l.project for l in layers if l.needs_deploy]
    return EnvironmentDiff(environment, layers, downstream_of(affected, requires))


def diff_documents(
    old: Sequence[Mapping[str, Any]],
    new: Sequence[Mapping[str, Any]],
    requires: Mapping[str, Iterable[str]],
    code_change: tuple[str, str] | None = None,
) -> list[EnvironmentDiff]:
    """Each environment of the new plan (then any only in the old one) compared with the old plan."""
    old_by_env = {d["environment"]: d for d in old}
    new_by_env = {d["environment"]: d for d in new}
    names = list(new_by_env) + [e for e in old_by_env if e not in new_by_env]
    return [diff_environment(old_by_env.get(e), new_by_env.get(e), requires, code_change) for e in names]


def has_changes(diffs: Iterable[EnvironmentDiff]) -> bool:
    return any(d.affected for d in diffs)
