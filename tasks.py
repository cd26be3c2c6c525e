"""Tasks for the payment platform: `invoke --list` shows them, `invoke --help <task>` explains one.

Each task is thin: the logic lives in tested modules of the `platform_tools` package.
"""

from __future__ import annotations

import sys

from invoke import Exit, task
from rich.console import Console

from platform_tools.text import make_console

# The terminal's width; piped (CI logs, files), COLUMNS or 120. Data prints verbatim (no emoji codes).
console = make_console()
ENV_HELP = "required: dev, staging, prod, or the name of an ephemeral stack (one environment)"
OFFLINE_ENV_HELP = "required: dev, staging, prod, all (the three), or the name of an ephemeral stack"


def _required_env(task_name, env):
    """`--env` is an option with no default; without it, one line saying what to pass."""
    if not env:
        choices = "dev, staging, prod or all" if task_name in ("plan", "check", "cost") else "dev, staging or prod"
        raise Exit(f"{task_name} failed: --env is required ({choices}, or an ephemeral stack's name), e.g. invoke {task_name} --env dev", code=1)
    return env


@task(
    help={
        "env": OFFLINE_ENV_HELP,
        "json": "also write the machine-readable plan to this path",
        "details": "print every resource (default); --no-details prints outputs and the summary only",
        "jobs": "worker processes for --env all (default: one per environment, up to the cores; 1 renders in this process)",
    }
)
def plan(c, env=None, json=None, details=True, jobs=None):
    """Render every layer of an environment offline: real programs, real stack files, mock engine."""
    from platform_tools.plan.cli import PlanError, run_plan

    try:
        run_plan(_required_env("plan", env), json, details, console, int(jobs) if jobs else None)
    except PlanError as error:
        raise Exit(f"plan failed: {error}", code=1) from None


# ---- Deploy orchestration (platform_tools/orchestration): the layers of one environment, in contract order ----

LAYER_HELP = "only this layer: network, data, compute or observability (default: all, in order)"
LOCAL_HELP = "keep state in .pulumi-state/ (git-ignored file backend) instead of your `pulumi login` backend"


def _orchestrate(c, action, env, **options):
    from platform_tools.orchestration.layers import Action
    from platform_tools.orchestration.runner import OrchestrationError, Orchestrator, RunOptions

    run_options = RunOptions(action=Action(action), env=_required_env(action, env), **options)
    # With --json, stdout carries the document only; progress goes to stderr.
    out = Console(stderr=True) if options.get("as_json") else console
    try:
        Orchestrator(c, run_options, out).run()
    except OrchestrationError as error:
        raise Exit(f"{action} failed: {error}", code=1) from None


@task(help={"env": ENV_HELP, "layer": LAYER_HELP, "local": LOCAL_HELP})
def preview(c, env=None, layer=None, local=False):
    """Preview each layer in order (`pulumi preview --stack ENV --diff` in projects/<layer>); changes nothing."""
    _orchestrate(c, "preview", env, layer=layer, local=local)


@task(
    help={
        "env": ENV_HELP,
        "layer": LAYER_HELP,
        "local": LOCAL_HELP,
        "yes": "do not stop to confirm each layer's preview (`pulumi up` still previews before it applies)",
    }
)
def deploy(c, env=None, layer=None, yes=False, local=False):
    """When the run includes compute, build the function package; then per layer in order: preview, confirm, `pulumi up` (after compute: migrate); reports stale layers."""
    _orchestrate(c, "deploy", env, layer=layer, yes=yes, local=local)


@task(
    help={
        "env": ENV_HELP,
        "layer": LAYER_HELP,
        "local": LOCAL_HELP,
        "confirm": "the environment name, instead of typing it at the prompt (required without a terminal)",
    }
)
def destroy(c, env=None, layer=None, confirm=None, local=False):
    """Delete every resource of the layers in reverse order, after their previews and typing the env name."""
    _orchestrate(c, "destroy", env, layer=layer, confirm=confirm, local=local)


@task(help={"env": ENV_HELP, "layer": LAYER_HELP, "local": LOCAL_HELP, "yes": "do not confirm each layer"})
def refresh(c, env=None, layer=None, yes=False, local=False):
    """Reconcile each layer's state with AWS in order (`pulumi refresh`), confirming each after its preview."""
    _orchestrate(c, "refresh", env, layer=layer, yes=yes, local=local)


@task(help={"env": ENV_HELP, "layer": LAYER_HELP, "local": LOCAL_HELP, "json": "print one JSON document {layer: outputs}"})
def outputs(c, env=None, layer=None, json=False, local=False):
    """Print every layer's stack outputs (RDS endpoint, Lambda ARNs, bucket names, …) as tables or JSON."""
    _orchestrate(c, "outputs", env, layer=layer, as_json=json, local=local)


@task(help={"env": ENV_HELP, "local": LOCAL_HELP, "dry_run": "list the pending migrations and the schema version; apply nothing"})
def migrate(c, env=None, dry_run=False, local=False):
    """Apply the schema migrations: invoke the compute stack's migration function synchronously (AWS credentials)."""
    _orchestrate(c, "migrate", env, layer="compute", local=local, dry_run=dry_run)


@task(
    help={
        "env": "the environment (dev, staging, prod, or an ephemeral stack)",
        "merchant": "the merchant's name in compute:merchants of projects/compute/Pulumi.<env>.yaml",
        "show_secret": "also print the client secret (reads the outputs with --show-secrets)",
        "local": LOCAL_HELP,
    }
)
def merchant_credentials(c, env, merchant, show_secret=False, local=False):
    """Print a merchant's client id, token URL and API URL (and, on request, its secret) from the compute outputs."""
    from platform_tools.orchestration.errors import OrchestrationError
    from platform_tools.orchestration.merchants import merchant_credentials as read_credentials

    try:
        credentials = read_credentials(c, env, merchant, show_secret=show_secret, local=local)
    except OrchestrationError as error:
        raise Exit(f"merchant-credentials failed: {error}", code=1) from None
    for line in credentials.lines():
        console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)


@task(help={"output": "where to write the zip (default: build/payments-lambda.zip)"})
def build(c, output=None):
    """Build the payment functions' Lambda package: deps for Linux arm64 / CPython 3.13, byte-identical per source."""
    from pathlib import Path

    from platform_tools.packaging import LAMBDA_ZIP, BuildError, build_lambda_zip, describe

    try:
        result = build_lambda_zip(Path(output) if output else LAMBDA_ZIP)
    except BuildError as error:
        raise Exit(f"build failed: {error}", code=1) from None
    console.print(f"built {describe(result)}")


def _offline_plans(task_name, env):
    """The offline plan of each environment `env` names; a plan failure exits naming the task."""
    from platform_tools.plan.cli import PlanError, offline_plans

    try:
        return offline_plans(_required_env(task_name, env))
    except PlanError as error:
        raise Exit(f"{task_name} failed: {error}", code=1) from None


@task(help={"env": OFFLINE_ENV_HELP})
def check(c, env=None):
    """Run the policy pack's rules (policy/) offline against the offline plan; fails on any violation."""
    from platform_tools.guardrails.check import check_environment, print_results

    violations = sum(print_results(console, p.environment, check_environment(p)) for p in _offline_plans("check", env))
    if violations:
        raise Exit(f"{violations} policy violation(s)", code=1)
    console.print("[green]all guardrails pass[/green]")


@task(
    help={
        "env": OFFLINE_ENV_HELP,
        "details": "print every cost line (default); --no-details prints the summary only",
    }
)
def cost(c, env=None, details=True):
    """Estimate the monthly cost per environment and layer from the rendered resources (data/prices-us-east-1.yaml)."""
    from platform_tools.cost.estimate import estimate_environment, print_estimates

    estimates = {p.environment: estimate_environment(p) for p in _offline_plans("cost", env)}
    print_estimates(console, estimates, details=details)


# ---- Delivery (platform_tools/diff, platform_tools/environments): what a change does, preview environments ----


@task(
    help={
        "env": OFFLINE_ENV_HELP,
        "base": "the git revision to compare with: a branch, tag or commit (e.g. origin/main, HEAD~1)",
        "json": "also write the machine-readable diff to this path",
        "summary": "append the diff as Markdown to this file (e.g. $GITHUB_STEP_SUMMARY)",
        "fail_on_change": "exit 2 when anything changes (a CI gate); by default changes still exit 0",
    }
)
def diff(c, env, base, json=None, summary=None, fail_on_change=False):
    """What the working tree changes against revision BASE: resources added, removed, changed, per layer (offline)."""
    from platform_tools.diff.cli import DiffError, run_diff

    try:
        result = run_diff(env, base, console, json_path=json, markdown_path=summary)
    except DiffError as error:
        raise Exit(f"diff failed: {error}", code=1) from None
    if fail_on_change and result.changed:
        raise Exit("changes found (--fail-on-change)", code=2)


def _teardown(c, name, confirm, local):
    from platform_tools.delivery.teardown import EphemeralTeardown
    from platform_tools.orchestration.layers import Action
    from platform_tools.orchestration.runner import OrchestrationError, RunOptions

    try:
        EphemeralTeardown(c, RunOptions(action=Action.DESTROY, env=name, confirm=confirm, local=local), console).run()
    except OrchestrationError as error:
        raise Exit(f"env delete failed: {error}", code=1) from None


@task(
    positional=["action"],
    help={
        "action": "create or delete",
        "name": "the ephemeral environment (stack) name, e.g. dev-pr42: it becomes every resource name's suffix",
        "from_": "create: the profile to copy (dev, staging or prod); every key its files do not set is read from it",
        "cidr": "create: the VPC CIDR (default: the first free block of the profile's size in 10.0.0.0/8)",
        "confirm": "delete: the environment name, instead of typing it at the prompt (required without a terminal)",
        "local": LOCAL_HELP,
    },
)
def env(c, action, name, from_=None, cidr=None, confirm=None, local=False):
    """Ephemeral environments: `env create --name dev-pr42 --from dev` writes minimal stack files; `env delete` destroys and removes them."""
    from platform_tools.delivery.environments import EphemeralEnvironmentError, ephemeral_files, plan_create, write

    try:
        if action == "create":
            if not from_:
                raise EphemeralEnvironmentError("create needs --from PROFILE (dev, staging or prod)")
            files = plan_create(name, from_, cidr=cidr)
            write(files)
            for path in files.files:
                console.print(f"wrote {path.relative_to(path.parents[2])}", markup=False)
            console.print(f"next: invoke plan --env {name}, then invoke deploy --env {name}", markup=False)
        elif action == "delete":
            paths = ephemeral_files(name)
            _teardown(c, name, confirm, local)
            for path in paths:
                path.unlink()
                console.print(f"removed {path.relative_to(path.parents[2])}", markup=False)
        else:
            raise EphemeralEnvironmentError(f"unknown action {action!r}; allowed: create, delete")
    except EphemeralEnvironmentError as error:
        raise Exit(f"env {action} failed: {error}", code=1) from None


@task(help={"env": ENV_HELP, "layer": LAYER_HELP, "local": LOCAL_HELP})
def drift(c, env, layer=None, local=False):
    """Does AWS still match each layer's state? `pulumi refresh --preview-only --expect-no-changes` per layer; exit 3 on drift."""
    from platform_tools.delivery.drift import DriftCheck, OrchestrationError
    from platform_tools.orchestration.layers import Action
    from platform_tools.orchestration.runner import RunOptions

    try:
        report = DriftCheck(c, RunOptions(action=Action.REFRESH, env=env, layer=layer, local=local), console).check()
    except OrchestrationError as error:
        raise Exit(f"drift failed: {error}", code=1) from None
    if report.drifted:
        raise Exit(f"drift in {', '.join(report.drifted)} of {env}: AWS differs from the Pulumi state", code=3)
    console.print(f"[green]no drift in {', '.join(report.clean) or 'any layer'} of {env}[/]")
