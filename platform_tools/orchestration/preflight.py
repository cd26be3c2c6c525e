"""Checks made before any layer runs: each upstream stack a layer reads exists and exports its keys.

Pure functions over what the CLI reported (`stack ls --json`, `stack output --json`), so they are
tested without Pulumi. A layer's upstream is exempt only when the same `deploy` run deploys it first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.contracts import LayerContract
from platform_tools.orchestration.layers import Action, downstream_of
from platform_tools.orchestration.errors import OrchestrationError


@dataclass(frozen=True)
class StackInfo:
    name: str
    resource_count: int


def parse_stack_ls(text: str, stack: str) -> StackInfo | None:
    """The entry for `stack` in `pulumi stack ls --json` (names may be `org/stack` on Pulumi Cloud)."""
    try:
        entries = json.loads(text or "[]")
    except json.JSONDecodeError as error:
        raise OrchestrationError(f"`pulumi stack ls --json` printed something that is not JSON: {error}") from None
    for entry in entries:
        name = str(entry.get("name", ""))
        if name == stack or name.endswith(f"/{stack}"):
            return StackInfo(name=name, resource_count=int(entry.get("resourceCount") or 0))
    return None


def parse_outputs(text: str, where: str) -> dict[str, Any]:
    try:
        outputs = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise OrchestrationError(f"{where} printed something that is not JSON: {error}") from None
    if not isinstance(outputs, dict):
        raise OrchestrationError(f"{where} printed {type(outputs).__name__}, expected a JSON object")
    return outputs


def deploy_first_hint(env: str, project: str) -> str:
    return f"deploy {project} first: invoke deploy --env {env} --layer {project}"


def upstream_problems(
    action: Action,
    env: str,
    run: Iterable[LayerContract],
    stack_of: Callable[[str], StackInfo | None],
    outputs_of: Callable[[str], Mapping[str, Any]],
) -> list[str]:
    """Every reason a layer of this run cannot read its upstream outputs, in run order."""
    problems: list[str] = []
    earlier: set[str] = set()
    for contract in run:
        for upstream, keys in contract.requires.items():
            if action is Action.DEPLOY and upstream in earlier:
                continue  # deployed by this run, before `contract`
            if stack_of(upstream) is None:
                problems.append(
                    f"{contract.project} reads {upstream}/{env}, which does not exist; {deploy_first_hint(env, upstream)}"
                )
                continue
            missing = [key for key in keys if key not in outputs_of(upstream)]
            if missing:
                problems.append(
                    f"{contract.project} needs {', '.join(missing)} from {upstream}/{env}, which does not export "
                    f"{'it' if len(missing) == 1 else 'them'}; {deploy_first_hint(env, upstream)}"
                )
        earlier.add(contract.project)
    return problems


def destroy_problems(env: str, run: Iterable[LayerContract], stack_of: Callable[[str], StackInfo | None]) -> list[str]:
    """Refuse to destroy a layer while a layer outside the run still has resources that read it."""
    chosen = {contract.project for contract in run}
    problems: list[str] = []
    for project in chosen:
        for consumer in downstream_of(project):
            info = None if consumer.project in chosen else stack_of(consumer.project)
            if info is not None and info.resource_count > 0:
                problems.append(
                    f"{consumer.project}/{env} still has {info.resource_count} resources that read {project}; "
                    f"destroy {consumer.project} first: invoke destroy --env {env} --layer {consumer.project}"
                )
    return sorted(set(problems))
