"""Tasks for the payment platform: `invoke --list` shows them, `invoke --help <task>` explains one.

Each task is thin: the logic lives in tested modules of the `shared` package.
"""

from __future__ import annotations

from invoke import Exit, task
from rich.console import Console

console = Console()
ENV_HELP = "dev, staging, prod, or all (plan only); any other value is the name of an ephemeral stack"


@task(
    help={
        "env": ENV_HELP,
        "json": "also write the machine-readable plan to this path",
        "details": "print every resource (default); --no-details prints outputs and the summary only",
    }
)
def plan(c, env, json=None, details=True):
    """Render every layer of an environment offline: real programs, real stack files, mock engine."""
    from shared.plan.cli import PlanError, run_plan

    try:
        run_plan(env, json, details, console)
    except PlanError as error:
        raise Exit(f"plan failed: {error}", code=1) from None
