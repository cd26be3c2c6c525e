"""`invoke plan`: render environments offline and optionally write the machine-readable plan."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from rich.console import Console

from platform_tools.plan.engine import EnvironmentPlan, PlanError, paused_cyclic_gc, plan_environment
from platform_tools.plan.progress import Progress
from shared.paths import PROJECTS_DIR
from platform_tools.plan.report import print_plan

STANDARD_ENVIRONMENTS = ("dev", "staging", "prod")


EPHEMERAL_HOWTO = "README.md, Configuration: `invoke env create --name NAME --from dev` writes an ephemeral stack's files"


class UnknownEnvironment(PlanError):
    def __init__(self, message: str):
        self.project, self.stack, self.detail = "", "", message
        Exception.__init__(self, message)

    def __reduce__(self):
        return (type(self), (self.detail,))


def environments_for(env: str) -> tuple[str, ...]:
    """`all` is the three standard environments; any other value is one stack name."""
    return STANDARD_ENVIRONMENTS if env == "all" else (env,)


def existing_environments(projects_dir: Path = PROJECTS_DIR) -> list[str]:
    """Stacks with a stack file in every layer: the standard three first, then the others by name."""
    layers = [d for d in sorted(projects_dir.iterdir()) if (d / "Pulumi.yaml").is_file()]
    per_layer = [{p.name[len("Pulumi.") : -len(".yaml")] for p in d.glob("Pulumi.*.yaml")} for d in layers]
    common = set.intersection(*per_layer) if per_layer else set()
    return [e for e in STANDARD_ENVIRONMENTS if e in common] + sorted(common - set(STANDARD_ENVIRONMENTS))


def require_environments(env: str) -> tuple[str, ...]:
    """The stacks `env` names, or one line listing the environments that exist and how to add one."""
    stacks = environments_for(env)
    existing = existing_environments()
    unknown = [s for s in stacks if s not in existing]
    if unknown:
        raise UnknownEnvironment(
            f"no environment {unknown[0]!r}: the environments are {', '.join(existing) or 'none'} "
            f"(a projects/<layer>/Pulumi.<stack>.yaml in every layer); for a new one see {EPHEMERAL_HOWTO}"
        )
    return stacks


def offline_plans(env: str, jobs: int | None = None) -> list[EnvironmentPlan]:
    """What `check` and `cost` read: the plans of the environments `env` names, with progress."""
    progress = Progress()
    try:
        return render_environments(require_environments(env), jobs, progress if progress.enabled else None)
    finally:
        progress.done()


def plan_document(plans: list[EnvironmentPlan], env: str) -> object:
    documents = [p.to_json() for p in plans]
    return documents if env == "all" else documents[0]


def default_jobs(stacks: int) -> int:
    """One worker process per environment, up to the machine's cores."""
    return max(1, min(stacks, os.cpu_count() or 1))


def _render_in_worker(stack: str, progress: bool) -> EnvironmentPlan:
    return plan_environment(stack, progress=Progress() if progress else None)


def _start_method() -> str:
    """fork when this process has no other thread (as `invoke plan` has not, before it renders):
    the workers start with every import done. A process that has already rendered (the Pulumi
    runtime's thread pool) or runs under a test harness has threads, and a forked child can
    inherit a lock one of them held: those spawn fresh workers instead."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def render_environments(stacks: Sequence[str], jobs: int | None = None, progress: Progress | None = None) -> list[EnvironmentPlan]:
    """The plan of each stack, in the order given. With more than one stack and `jobs` > 1 each
    environment renders in its own worker process (the Pulumi runtime is one global per process);
    the result order is the order of `stacks` whatever finishes first."""
    jobs = default_jobs(len(stacks)) if jobs is None else max(1, jobs)
    if jobs == 1 or len(stacks) == 1:
        with paused_cyclic_gc():  # once for the whole command, not once per environment
            return [plan_environment(stack, progress=progress) for stack in stacks]
    context = multiprocessing.get_context(_start_method())
    with ProcessPoolExecutor(max_workers=min(jobs, len(stacks)), mp_context=context) as pool:
        futures = [pool.submit(_render_in_worker, stack, progress is not None) for stack in stacks]
        try:
            return [future.result() for future in futures]
        finally:
            if progress is not None:
                progress.done()


def run_plan(
    env: str, json_path: str | None, details: bool, console: Console, jobs: int | None = None
) -> list[EnvironmentPlan]:
    """Plan, print and write; raises PlanError with a readable message when anything fails."""
    progress = Progress()
    try:
        plans = render_environments(require_environments(env), jobs, progress if progress.enabled else None)
    finally:
        progress.done()
    report_plans(plans, env, json_path, details, console)
    return plans


def report_plans(plans: list[EnvironmentPlan], env: str, json_path: str | None, details: bool, console: Console) -> None:
    """What `invoke plan` prints and writes for plans already rendered."""
    print_plan(console, plans, details=details)
    if env == "all":
        from platform_tools.plan.matrix import print_matrix

        print_matrix(console, plans)
    if json_path:
        Path(json_path).write_text(json.dumps(plan_document(plans, env), indent=2, sort_keys=False) + "\n")
        console.print(f"wrote {json_path}", markup=False, soft_wrap=True)  # a path people copy: never wrapped


__all__ = ["PlanError", "environments_for", "plan_document", "render_environments", "report_plans", "run_plan"]
