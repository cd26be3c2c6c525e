"""`invoke env delete`: destroy an ephemeral environment through the orchestration, then remove its stacks.

The destroy is the orchestration's own (reverse layer order, each layer's destroy preview, the
environment name typed or `--confirm NAME`); only after it succeeded is each now-empty stack
removed from the backend (`pulumi stack rm --stack NAME --yes --preserve-config`: never `--force`,
so Pulumi itself refuses to remove a stack that still has resources). The task then deletes the
stack files.
"""

from __future__ import annotations

from platform_tools.orchestration import commands
from platform_tools.orchestration.runner import Orchestrator
from shared.contracts import LAYERS
from shared.paths import project_dir


def stack_rm(project: str, stack: str) -> commands.PulumiCommand:
    return commands.PulumiCommand(("pulumi", "stack", "rm", "--stack", stack, "--yes", "--preserve-config"), project_dir(project))


class EphemeralTeardown(Orchestrator):
    def run(self) -> None:
        super().run()  # the destroy action: previews, confirmation, destroy in reverse order
        for contract in reversed(LAYERS):
            if self._stack(contract.project) is not None:
                self._run_layer(contract, stack_rm(contract.project, self.env), rule=False)
