"""`invoke plan`: render environments offline and optionally write the machine-readable plan."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from platform_tools.plan.engine import EnvironmentPlan, PlanError, paused_cyclic_gc, plan_environment
from platform_tools.plan.report import print_plan

STANDARD_ENVIRONMENTS = ("dev", "staging", "prod")


def environments_for(env: str) -> tuple[str, ...]:
    """`all` is the three standard environments; any other value is one stack name."""
    return STANDARD_ENVIRONMENTS if env == "all" else (env,)


def plan_document(plans: list[EnvironmentPlan], env: str) -> object:
    documents = [p.to_json() for p in plans]
    return documents if env == "all" else documents[0]


def run_plan(env: str, json_path: str | None, details: bool, console: Console) -> list[EnvironmentPlan]:
    """Plan, print and write; raises PlanError with a readable message when anything fails."""
    with paused_cyclic_gc():  # once for the whole command, not once per environment
        plans = [plan_environment(stack) for stack in environments_for(env)]
    print_plan(console, plans, details=details)
    if env == "all":
        from platform_tools.plan.matrix import print_matrix

        print_matrix(console, plans)
    if json_path:
        Path(json_path).write_text(json.dumps(plan_document(plans, env), indent=2, sort_keys=False) + "\n")
        console.print(f"wrote {json_path}", markup=False, soft_wrap=True)  # a path people copy: never wrapped
    return plans


__all__ = ["PlanError", "environments_for", "plan_document", "run_plan"]
