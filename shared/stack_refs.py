"""Reading upstream layers' outputs, only through the contract in `shared.contracts`."""

from __future__ import annotations

from typing import Any

import pulumi

from shared.contracts import LAYERS_BY_PROJECT, LayerContract, stack_reference_name


class MissingUpstreamOutput(Exception):
    pass


# Every (upstream project, key) a program read, so the offline plan can compare what a layer
# reads with what its contract declares (a declared key nobody reads is a stale contract).
_reads: list[tuple[str, str]] = []


def take_reads() -> list[tuple[str, str]]:
    """The reads since the last call, in order (and forget them)."""
    reads = list(_reads)
    _reads.clear()
    return reads


class Upstream:
    """The upstream stacks of one layer, in the same environment copy (same stack name)."""

    def __init__(self, consumer: LayerContract, stack: str | None = None, organization: str | None = None):
        self.consumer = consumer
        self.stack = stack or pulumi.get_stack()
        self.organization = organization if organization is not None else pulumi.get_organization()
        self._refs: dict[str, pulumi.StackReference] = {}

    def reference_name(self, project: str) -> str:
        return stack_reference_name(self.organization, project, self.stack)

    def _ref(self, project: str) -> pulumi.StackReference:
        if project not in self._refs:
            name = self.reference_name(project)
            self._refs[project] = pulumi.StackReference(name)
        return self._refs[project]

    def require(self, project: str, key: str) -> pulumi.Output[Any]:
        """The upstream output `key` of layer `project`; it must be declared in the contract."""
        declared = self.consumer.requires.get(project, ())
        if key not in declared:
            raise MissingUpstreamOutput(
                f"layer {self.consumer.project!r} reads {project}:{key} without declaring it in "
                f"shared/contracts.py ({self.consumer.project.upper()}.requires)"
            )
        if key not in LAYERS_BY_PROJECT[project].exports:
            raise MissingUpstreamOutput(f"layer {project!r} does not export {key!r}")
        name = self.reference_name(project)
        _reads.append((project, key))

        def present(value: Any) -> Any:
            if value is None:
                raise MissingUpstreamOutput(
                    f"stack {name} has no output {key!r}; deploy the {project} layer of this environment first "
                    f"(invoke deploy --env {self.stack} --layer {project})"
                )
            return value

        # One key at a time: `get_output` marks the value secret only when that output is secret,
        # where `.outputs` would make every value secret as soon as any upstream output is.
        return self._ref(project).get_output(key).apply(present)
