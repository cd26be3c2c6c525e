"""Which layers an action runs, in which order. The order itself is `shared.contracts.LAYERS`."""

from __future__ import annotations

import re
from enum import Enum

from shared.contracts import LAYERS, LayerContract, layer
from platform_tools.orchestration.errors import OrchestrationError

# Pulumi stack names: alphanumerics, hyphens, underscores and periods.
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Action(str, Enum):
    PREVIEW = "preview"
    DEPLOY = "deploy"
    DESTROY = "destroy"
    REFRESH = "refresh"
    OUTPUTS = "outputs"
    MIGRATE = "migrate"  # the compute stack's migration function (issue 15)

    @property
    def reverse_order(self) -> bool:
        """Destroy removes consumers before the stacks they read from."""
        return self is Action.DESTROY

    @property
    def runs_program(self) -> bool:
        """Preview and deploy run `__main__.py`, which reads upstream outputs through StackReferences."""
        return self in (Action.PREVIEW, Action.DEPLOY)

    @property
    def creates_stack(self) -> bool:
        """A missing stack is created only where a program runs; destroy/refresh/outputs skip it."""
        return self.runs_program


def check_stack_name(env: str) -> str:
    if env == "all":
        raise OrchestrationError("--env all is for `invoke plan` only; deploy tasks take one environment (dev, staging, prod, …)")
    if not STACK_NAME.match(env):
        raise OrchestrationError(
            f"--env {env!r} is not a valid Pulumi stack name (letters, digits, '-', '_' and '.')"
        )
    return env


def select_layers(action: Action, only: str | None = None) -> tuple[LayerContract, ...]:
    """The layers `action` runs: all of them in deploy order (reversed for destroy), or just `only`."""
    try:
        chosen = (layer(only),) if only else LAYERS
    except ValueError as error:
        raise OrchestrationError(f"--layer: {error}") from None
    return tuple(reversed(chosen)) if action.reverse_order else chosen


def downstream_of(project: str) -> tuple[LayerContract, ...]:
    """Layers that read `project`'s outputs, in deploy order."""
    return tuple(contract for contract in LAYERS if project in contract.requires)
