"""Run preview/deploy/destroy/refresh/outputs across the layers of one environment.

Order of work, for every action: check the stack name and layer → select the backend → the CLI is
present and logged in → action-specific checks that read state only (upstream outputs, downstream
stacks, confirmations) → build → run the layers one by one. The first failing command stops the run
with the layer and the command in the message; later layers are not touched.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invoke import Context, Result
from rich.text import Text
from rich.console import Console
from rich.table import Table

from shared.contracts import COMPUTE, LAYERS, LAYERS_BY_PROJECT, ComputeOutputs, LayerContract
from platform_tools.orchestration import commands
from platform_tools.orchestration.backend import (
    Backend,
    missing_cli_message,
    not_logged_in_message,
    resolve_backend,
)
from platform_tools.orchestration.build import build_function_package
from platform_tools.orchestration.errors import OrchestrationError
from platform_tools.orchestration.fingerprints import FingerprintStore, stale_layers
from platform_tools.orchestration.migrate import MigrationError, describe, run_migration
from platform_tools.orchestration.layers import Action, check_stack_name, select_layers
from platform_tools.orchestration.preflight import (
    StackInfo,
    destroy_problems,
    parse_outputs,
    parse_stack_ls,
    upstream_problems,
)
from shared.function_code import LAMBDA_ZIP, display_path
from shared.paths import REPO_ROOT

POLICY_PACK_DIR = REPO_ROOT / "policy"


@dataclass(frozen=True)
class RunOptions:
    action: Action
    env: str
    layer: str | None = None
    yes: bool = False  # deploy/refresh: do not ask before each layer
    local: bool = False  # file backend in .pulumi-state/
    confirm: str | None = None  # destroy: the environment name, instead of typing it
    as_json: bool = False  # outputs: one JSON document
    dry_run: bool = False  # migrate: list the pending migrations, apply nothing


@dataclass
class Orchestrator:
    c: Context
    options: RunOptions
    console: Console
    ask: Callable[[str], str] | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    store: FingerprintStore = field(default_factory=FingerprintStore)
    build: Callable[[], None] | None = None
    policy_pack_dir: Path = POLICY_PACK_DIR
    package: Path = LAMBDA_ZIP  # what the compute program reads (`invoke build` writes it)
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty() and sys.stdout.isatty())

    def __post_init__(self) -> None:
        self.env = ""
        self.backend = Backend(local=False)
        self.backend_key = "default"
        self._stacks: dict[str, StackInfo | None] = {}
        self._outputs: dict[str, dict[str, Any]] = {}
        self._order: tuple[str, ...] = ()  # the layers of the current run, in run order

    # ---- entry point -------------------------------------------------------------------------
    def run(self) -> None:
        action = self.options.action
        self.env = check_stack_name(self.options.env)
        layers = select_layers(action, self.options.layer)
        self._order = tuple(contract.project for contract in layers)
        self._preflight()
        handler = {
            Action.PREVIEW: self._preview,
            Action.DEPLOY: self._deploy,
            Action.DESTROY: self._destroy,
            Action.REFRESH: self._refresh,
            Action.OUTPUTS: self._show_outputs,
            Action.MIGRATE: self._migrate,
        }[action]
        handler(layers)

    # ---- actions -----------------------------------------------------------------------------
    def _preview(self, layers: tuple[LayerContract, ...]) -> None:
        """Read-only: creates no stack and builds no package. A layer without a stack is skipped
        (deploy creates it; `invoke plan` shows offline what it would contain)."""
        present = [contract for contract in layers if self._stack(contract.project) is not None]
        for contract in layers:
            if contract not in present:
                self.console.print(
                    f"{contract.project} has no stack {self.env}: not previewed (preview creates nothing; "
                    f"`invoke deploy --env {self.env}` creates it, `invoke plan --env {self.env}` shows it offline)",
                    markup=False,
                )
        problems = upstream_problems(Action.PREVIEW, self.env, present, self._stack, self._outputs_of)
        if any(contract.project == COMPUTE.project for contract in present) and not self.package.is_file():
            problems.append(
                f"compute's program reads {display_path(self.package)}, which does not exist; preview builds "
                "nothing: run `invoke build` first"
            )
        if problems:
            raise OrchestrationError(self._refusal("preview", problems))
        for contract in present:
            self._run_layer(contract, commands.preview(contract.project, self.env, self._policy_pack()))
        if present:
            self.console.print(Text(f"previewed {self._names(present)} of {self.env}", style="green"))

    def _deploy(self, layers: tuple[LayerContract, ...]) -> None:
        self._announce_stacks(layers)
        self._require_upstreams(Action.DEPLOY, layers)
        if any(contract.project == COMPUTE.project for contract in layers):  # only the compute layer reads the package
            self._build()
        self._deploy_layers(layers)
        self.console.print(f"[green]deployed {self._names(layers)} to {self.env}[/]")
        self._report_stale(offer=True)

    def _deploy_layers(self, layers: Iterable[LayerContract]) -> None:
        done: list[str] = []
        for contract in layers:
            self._ensure_stack(contract)
            if not self.options.yes:
                self._run_layer(contract, commands.preview(contract.project, self.env, self._policy_pack()))
                if not self._confirm(f"Deploy {contract.project} to {self.env} as previewed above?"):
                    raise OrchestrationError(
                        f"deploy stopped before {contract.project}: not confirmed"
                        f"{self._progress(done)}; nothing else was changed"
                    )
            self._run_layer(contract, commands.up(contract.project, self.env, self._policy_pack()), done)
            self._record(contract, done)
            done.append(contract.project)
            if contract.project == COMPUTE.project:
                # The schema the new functions expect, before anything downstream is touched.
                self._run_migration(done)

    def _destroy(self, layers: tuple[LayerContract, ...]) -> None:
        problems = destroy_problems(self.env, layers, self._stack)
        if problems:
            raise OrchestrationError(self._refusal("destroy", problems))
        present = self._existing(layers)
        if not present:
            return
        confirm = self.options.confirm
        if confirm is not None and confirm != self.env:
            raise OrchestrationError(f"--confirm {confirm} does not match --env {self.env}; nothing was destroyed")
        if confirm is None:
            for contract in present:
                self._run_layer(contract, commands.destroy(contract.project, self.env, preview_only=True))
            typed = self._prompt(
                f"This deletes every resource of {self._names(present)} in {self.env}. "
                f"Type the environment name ({self.env}) to confirm: "
            )
            if typed.strip() != self.env:
                raise OrchestrationError(f"you typed {typed.strip()!r}, not {self.env!r}; nothing was destroyed")
        done: list[str] = []
        for contract in present:
            self._run_layer(contract, commands.destroy(contract.project, self.env), done)
            self.store.forget(self.backend_key, self.env, contract.project)
            done.append(contract.project)
        self.console.print(f"[green]destroyed {self._names(present)} of {self.env} (the stacks remain, empty)[/]")

    def _refresh(self, layers: tuple[LayerContract, ...]) -> None:
        done: list[str] = []
        for contract in self._existing(layers):
            if not self.options.yes:
                self._run_layer(contract, commands.refresh(contract.project, self.env, preview_only=True), done)
                if not self._confirm(f"Write the refreshed state of {contract.project}/{self.env}?"):
                    raise OrchestrationError(f"refresh stopped before {contract.project}: not confirmed{self._progress(done)}")
            self._run_layer(contract, commands.refresh(contract.project, self.env), done)
            done.append(contract.project)

    def _migrate(self, layers: tuple[LayerContract, ...]) -> None:
        if self._stack(COMPUTE.project) is None:
            raise OrchestrationError(
                f"compute has no stack {self.env}: deploy it first (invoke deploy --env {self.env}); nothing was run"
            )
        self._run_migration([])

    def _run_migration(self, done: list[str]) -> None:
        """Invoke the compute stack's migration function synchronously; a failure stops the run."""
        arn = self._outputs_of(COMPUTE.project).get(ComputeOutputs.MIGRATE_FUNCTION_ARN)
        if not isinstance(arn, str) or not arn:
            raise OrchestrationError(
                f"compute/{self.env} exports no {ComputeOutputs.MIGRATE_FUNCTION_ARN}: deploy the compute layer first"
                f"{self._progress(done)}"
            )
        self.console.rule(f"migrate · {self.env}")
        what = "lists the pending schema migrations, applies nothing" if self.options.dry_run else "applies pending schema migrations"
        self.console.print(f"invoking {arn} synchronously ({what})", markup=False, highlight=False)
        try:
            result = run_migration(arn, dry_run=self.options.dry_run)
        except MigrationError as error:
            after = self._order[self._order.index(COMPUTE.project) + 1 :] if COMPUTE.project in self._order else ()
            raise OrchestrationError(f"{error}{self._progress(done)}; not touched after it: {', '.join(after) or 'none'}") from None
        self.console.print(describe(result), markup=False, highlight=False)

    def _show_outputs(self, layers: tuple[LayerContract, ...]) -> None:
        document = {
            contract.project: self._outputs_of(contract.project) if self._stack(contract.project) else None
            for contract in layers
        }
        if self.options.as_json:
            print(json.dumps(document, indent=2, sort_keys=True))
            return
        for project, outputs in document.items():
            table = Table(title=f"{project}/{self.env}", title_justify="left")
            table.add_column("output")
            table.add_column("value", overflow="fold")
            if outputs is None:
                table.add_row("—", f"not deployed (no stack {self.env})")
            for key, value in (outputs or {}).items():
                table.add_row(key, value if isinstance(value, str) else json.dumps(value))
            self.console.print(table)

    # ---- checks ------------------------------------------------------------------------------
    def _preflight(self) -> None:
        """Every problem that stops a run before it starts, reported together in one message."""
        problems: list[str] = []
        try:
            self.backend = resolve_backend(self.options.local, self.environ)
        except OrchestrationError as error:
            problems.append(str(error))
        try:
            self._check_cli()
            self._check_login()
        except OrchestrationError as error:
            problems.append(str(error))
        if len(problems) == 1:
            raise OrchestrationError(problems[0])
        if problems:
            raise OrchestrationError(f"{len(problems)} problems, nothing was run:\n" + "\n".join(f"  - {p}" for p in problems))

    def _check_cli(self) -> None:
        if shutil.which(commands.PULUMI, path=self.environ.get("PATH")) is None:
            raise OrchestrationError(missing_cli_message())
        result = self._capture(commands.version())
        if not result.ok:
            raise OrchestrationError(f"`pulumi version` failed: {result.stderr.strip()}")
        self.console.print(f"pulumi {result.stdout.strip()} · backend: {self.backend.label}")

    def _check_login(self) -> None:
        result = self._capture(commands.whoami())
        if not result.ok:
            raise OrchestrationError(not_logged_in_message(result.stderr or result.stdout))
        backend_url = next(
            (line.split(":", 1)[1].strip() for line in result.stdout.splitlines() if line.startswith("Backend URL:")),
            "",
        )
        self.backend_key = self.backend.env.get("PULUMI_BACKEND_URL") or backend_url or "default"

    def _announce_stacks(self, layers: tuple[LayerContract, ...]) -> None:
        missing = [contract for contract in layers if self._stack(contract.project) is None]
        if missing:
            self.console.print(f"stack {self.env} will be created for: {self._names(missing)}")

    def _require_upstreams(self, action: Action, layers: tuple[LayerContract, ...]) -> None:
        problems = upstream_problems(action, self.env, layers, self._stack, self._outputs_of)
        if problems:
            raise OrchestrationError(self._refusal(action.value, problems))

    def _refusal(self, verb: str, problems: list[str]) -> str:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        return f"nothing was run; cannot {verb} {self.env} yet:\n{lines}"

    # ---- staleness ---------------------------------------------------------------------------
    def _record(self, contract: LayerContract, done: list[str]) -> None:
        """Check the result (every contract export is there) and remember what it was deployed against."""
        self._outputs.pop(contract.project, None)
        outputs = self._outputs_of(contract.project)
        missing = [key for key in contract.exports if key not in outputs]
        if missing:
            raise OrchestrationError(
                f"{contract.project}/{self.env} deployed but does not export {', '.join(missing)} "
                f"(declared in shared/contracts.py); the layers after it were not touched{self._progress(done)}"
            )
        upstream = {project: self._outputs_of(project) for project in contract.requires}
        self.store.record(self.backend_key, self.env, contract, outputs, upstream)

    def _report_stale(self, offer: bool) -> None:
        recorded = self.store.recorded(self.backend_key, self.env)
        upstreams = {u for project in recorded if project in LAYERS_BY_PROJECT for u in LAYERS_BY_PROJECT[project].requires}
        current = {u: self._outputs_of(u) for u in sorted(upstreams) if self._stack(u)}
        stale = stale_layers(recorded, current)
        if not stale:
            return
        for item in stale:
            self.console.print(Text(f"stale: {item.describe(self.env)}", style="yellow"))
        projects = [c for c in LAYERS if c.project in {item.project for item in stale}]
        if offer and not self.options.yes and self._confirm(f"Update {self._names(projects)} now?"):
            self._order = tuple(contract.project for contract in projects)
            self._deploy_layers(projects)
            self._report_stale(offer=False)
            return
        for contract in projects:
            self.console.print(f"  update with: invoke deploy --env {self.env} --layer {contract.project}")

    # ---- pulumi calls ------------------------------------------------------------------------
    def _stack(self, project: str) -> StackInfo | None:
        if project not in self._stacks:
            result = self._capture(commands.stack_ls(project))
            if not result.ok:
                self._fail(project, commands.stack_ls(project), result, [])
            self._stacks[project] = parse_stack_ls(result.stdout, self.env)
        return self._stacks[project]

    def _outputs_of(self, project: str) -> dict[str, Any]:
        if project not in self._outputs:
            command = commands.stack_output(project, self.env)
            result = self._capture(command)
            if not result.ok:
                self._fail(project, command, result, [])
            self._outputs[project] = parse_outputs(result.stdout, f"`{command.display}`")
        return self._outputs[project]

    def _ensure_stack(self, contract: LayerContract) -> None:
        if self._stack(contract.project) is None:
            self._run_layer(contract, commands.stack_init(contract.project, self.env), rule=False)
            self._stacks[contract.project] = StackInfo(self.env, 0)

    def _existing(self, layers: Iterable[LayerContract]) -> list[LayerContract]:
        present = []
        for contract in layers:
            if self._stack(contract.project) is None:
                self.console.print(f"{contract.project} has no stack {self.env}: nothing to {self.options.action.value}")
            else:
                present.append(contract)
        return present

    def _capture(self, command: commands.PulumiCommand) -> Result:
        with self.c.cd(str(command.cwd)):
            return self.c.run(
                command.shell, warn=True, hide=True, pty=False, in_stream=False, env=dict(self.backend.env)
            )

    def _run_layer(
        self, contract: LayerContract, command: commands.PulumiCommand, done: list[str] | None = None, rule: bool = True
    ) -> None:
        if rule:
            self.console.rule(f"{contract.project} · {self.env}")
        self.console.print(f"$ {command.display}", markup=False, highlight=False)
        stream = {} if self.interactive else {"in_stream": False}
        with self.c.cd(str(command.cwd)):
            result = self.c.run(command.shell, warn=True, pty=self.interactive, env=dict(self.backend.env), **stream)
        if not result.ok:
            self._fail(contract.project, command, result, done or [])

    def _fail(self, project: str, command: commands.PulumiCommand, result: Result, done: list[str]) -> None:
        detail = (result.stderr or "").strip().splitlines()
        reason = f": {detail[-1]}" if detail else ""
        after = self._order[self._order.index(project) + 1 :] if project in self._order else ()
        raise OrchestrationError(
            f"layer {project} failed: `{command.display}` exited with {result.exited}{reason}"
            f"{self._progress(done)}; not touched after it: {', '.join(after) or 'none'}"
        )

    # ---- small helpers -----------------------------------------------------------------------
    def _build(self) -> None:
        (self.build or (lambda: build_function_package(self.console)))()

    def _policy_pack(self) -> Path | None:
        return self.policy_pack_dir if self.policy_pack_dir.is_dir() else None

    def _prompt(self, question: str) -> str:
        try:
            return (self.ask or self.console.input)(question)
        except EOFError:
            return ""

    def _confirm(self, question: str) -> bool:
        return self._prompt(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    @staticmethod
    def _names(layers: Iterable[LayerContract]) -> str:
        return ", ".join(contract.project for contract in layers)

    @staticmethod
    def _progress(done: list[str]) -> str:
        return f" (completed in this run: {', '.join(done)})" if done else ""
