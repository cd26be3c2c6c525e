"""`invoke drift`: does any layer's real infrastructure differ from its Pulumi state?

Per layer in deploy order, through the orchestration (same backend selection, CLI and login
checks, stack detection): `pulumi refresh --stack ENV --preview-only --expect-no-changes`, which
reads every resource from AWS, changes nothing, and exits non-zero when the refresh would change
the state. A layer with no stack is reported and skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_tools.orchestration import commands
from platform_tools.orchestration.errors import OrchestrationError
from platform_tools.orchestration.layers import Action, check_stack_name, select_layers
from platform_tools.orchestration.backend import resolve_backend
from platform_tools.orchestration.runner import Orchestrator

# What the CLI prints when --expect-no-changes fails; any other failure is an error, not drift.
DRIFT_MESSAGE = "no changes were expected"


def drift_command(project: str, stack: str) -> commands.PulumiCommand:
    base = commands.refresh(project, stack, preview_only=True)
    return commands.PulumiCommand((*base.argv, "--expect-no-changes"), base.cwd)


@dataclass(frozen=True)
class DriftReport:
    env: str
    drifted: tuple[str, ...]
    clean: tuple[str, ...]
    skipped: tuple[str, ...]


class DriftCheck(Orchestrator):
    """The orchestrator's checks and pulumi calls, running the drift command per layer."""

    def check(self) -> DriftReport:
        self.env = check_stack_name(self.options.env)
        layers = select_layers(Action.REFRESH, self.options.layer)
        self._order = tuple(contract.project for contract in layers)
        self.backend = resolve_backend(self.options.local, self.environ)
        self._check_cli()
        self._check_login()
        present = self._existing(layers)
        drifted, clean = [], []
        for contract in present:
            command = drift_command(contract.project, self.env)
            self.console.rule(f"{contract.project} · {self.env}")
            self.console.print(f"$ {command.display}", markup=False, highlight=False)
            result = self._capture(command)
            output = (result.stdout or "") + (result.stderr or "")
            self.console.print(output.rstrip(), markup=False, highlight=False, emoji=False)
            if result.ok:
                clean.append(contract.project)
            elif DRIFT_MESSAGE in output:
                drifted.append(contract.project)
            else:
                self._fail(contract.project, command, result, clean + drifted)
        skipped = tuple(c.project for c in layers if c not in present)
        return DriftReport(self.env, tuple(drifted), tuple(clean), skipped)


__all__ = ["DriftCheck", "DriftReport", "OrchestrationError", "drift_command"]
