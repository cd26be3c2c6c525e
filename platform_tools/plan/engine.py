"""Run the real `__main__.py` of each layer under the Pulumi SDK's mock engine.

This is what the Pulumi language host does (`set_all_config`, configure, `runpy.run_path` of the
program inside a stack), with the engine replaced by `pulumi.runtime.set_mocks` and a monitor
that records every registration: its inputs, parent, provider, `protect` and `retainOnDelete`.
Stack references are answered with the upstream layers' rendered outputs, so the layers of one
environment are planned in dependency order exactly as they would deploy.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import runpy
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from shared.config.errors import ConfigError
from shared.contracts import LAYERS, SELF_MANAGED_ORGANIZATION, layer
from shared.paths import project_dir as default_project_dir
from platform_tools.plan import aws_mocks
from platform_tools.plan.stackconfig import SECRET_PLACEHOLDER, load_stack_config
from platform_tools.plan.taggable import is_taggable
from shared.stack_refs import take_reads
from shared.yamlfile import YamlSyntaxError

SECRET_SIG = "4dabf18193072939515e22adb298388d"
STACK_REFERENCE = "pulumi:pulumi:StackReference"


class PlanError(Exception):
    """A layer could not be planned: bad config, a program error or a broken contract."""

    def __init__(self, project: str, stack: str, message: str):
        self.project = project
        self.stack = stack
        self.detail = message
        super().__init__(f"[{project}/{stack}] {message}")

    def __reduce__(self):
        # Rebuilt from its own fields when it crosses from a worker process (`--env all`), where
        # the default (the formatted text as the only argument) would not fit __init__.
        return (type(self), (self.project, self.stack, self.detail))


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    id: str | None
    parent: str | None
    custom: bool
    protect: bool
    retain_on_delete: bool
    provider: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    tags: dict[str, str] | None
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "id": self.id,
            "parent": self.parent,
            "custom": self.custom,
            "protect": self.protect,
            "retainOnDelete": self.retain_on_delete,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "tags": self.tags,
        }


@dataclass
class LayerPlan:
    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    requires: dict[str, list[str]]
    notes: list[str] = field(default_factory=list)
    reads: list[tuple[str, str]] = field(default_factory=list)  # upstream outputs the program read
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # data-source invokes (token, args)

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_} in {self.project}/{self.stack}, found {len(found)}")
        return found[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [r.to_json() for r in self.resources],
            "outputs": self.outputs,
            "requires": self.requires,
            "invokes": invokes_json(self.calls),
        }


def invokes_json(calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every data-source call of the program, args as the engine sent them (camelCase), sorted by token
    then args: the SDK sends output-form invokes (`get_*_output`) as their inputs resolve, from a thread
    pool, so the order they reach the engine changes from run to run, and a plan must not."""
    entries = [{"token": token, "args": dict(sorted(args.items()))} for token, args in calls]
    return sorted(entries, key=lambda entry: (entry["token"], json.dumps(entry["args"], sort_keys=True, default=str)))


@dataclass
class EnvironmentPlan:
    environment: str
    layers: list[LayerPlan]

    def layer(self, project: str) -> LayerPlan:
        for planned in self.layers:
            if planned.project == project:
                return planned
        raise KeyError(f"layer {project!r} was not planned for {self.environment}")

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "layers": [l.to_json() for l in self.layers]}


def scrub(value: Any) -> Any:
    """Secret values become "[secret]"; everything else is kept as the engine saw it."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
            return SECRET_PLACEHOLDER
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (pulumi.Asset, pulumi.Archive)):
        return _describe_asset(value)
    return value


def _describe_asset(value: Any) -> dict[str, Any]:
    """Assets and archives (e.g. Lambda code) as JSON: their kind and where they come from."""
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": "assets", "assets": {k: _describe_asset(v) for k, v in sorted(value.assets.items())}}
    for attribute in ("path", "uri", "text"):
        if isinstance(getattr(value, attribute, None), str):
            return {type(value).__name__: getattr(value, attribute)}
    return {type(value).__name__: None}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, also keeping the resource options of each registration."""

    def __init__(self, mocks: pulumi_mocks.Mocks):
        super().__init__(mocks)
        self.options: dict[str, dict[str, Any]] = {}

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        self.options[urn] = {
            "type": request.type,
            "name": request.name,
            "parent": request.parent or None,
            "custom": bool(request.custom),
            "protect": bool(request.protect),
            "retainOnDelete": bool(request.retainOnDelete),
            "provider": request.provider or None,
            "deleteBeforeReplace": bool(request.deleteBeforeReplace),
            "ignoreChanges": list(request.ignoreChanges),
            "replaceOnChanges": list(request.replaceOnChanges),
            "dependsOn": list(request.dependencies),
        }
        return super().RegisterResource(request)


class _PlanMocks(pulumi_mocks.Mocks):
    def __init__(self, project: str, stack: str, upstream_outputs: dict[str, dict[str, Any]]):
        self.project = project
        self.stack = stack
        self.upstream = upstream_outputs  # keyed by "<org>/<project>/<stack>"
        self.inputs: dict[tuple[str, str], dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi_mocks.MockResourceArgs):
        if args.typ == STACK_REFERENCE:
            name = str(args.inputs.get("name") or args.resource_id)
            if name not in self.upstream:
                raise PlanError(self.project, self.stack, f"stack reference {name!r} does not name a planned upstream stack")
            return name, {"name": name, "outputs": self.upstream[name], "secretOutputNames": []}
        seed = "/".join((self.stack, self.project, args.typ, args.name))
        rid, state = aws_mocks.resource_state(args.typ, args.name, args.inputs, seed)
        self.inputs[(args.typ, args.name)] = args.inputs
        return rid, state

    def call(self, args: pulumi_mocks.MockCallArgs):
        # Recorded before it is answered: a call the provider refuses is in the plan too.
        self.calls.append((args.token, scrub(dict(args.args))))
        return aws_mocks.call_result(args.token, args.args)


class _NoteCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage())


def _block_on(awaitable: Any) -> Any:
    """Run an awaitable of the Pulumi runtime to completion, from synchronous code.

    The one use of SDK internals in the plan (`pulumi.runtime.sync_await._sync_await`): the SDK
    has no public blocking runner. Its own `pulumi.runtime.test` decorator (mocks.py) does exactly
    this, on the event loop the runtime's futures belong to; `asyncio.run` would start a new loop
    that those futures do not belong to.
    """
    return _sync_await(awaitable)


def _run_program(program: Callable[[], Any]) -> None:
    """Run a program the way the language host does: the program, then every pending registration."""
    _block_on(run_pulumi_func(program))


def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    resolved = _block_on(output.future())
    return SECRET_PLACEHOLDER if _block_on(output.is_secret()) else scrub(resolved)


def _forget_project_modules(directory: Path) -> None:
    """Project-local helper modules must be re-imported (and re-declare resources) on each run."""
    root = str(directory.resolve())
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(root):
            del sys.modules[name]


def _effective_tags(type_: str, inputs: dict[str, Any], provider_tags: dict[str, str] | None) -> dict[str, str] | None:
    if not is_taggable(type_):
        return None
    own = inputs.get("tags")
    if isinstance(own, list):
        # Auto scaling groups take a list of {key, value, propagateAtLaunch}; the provider's
        # default tags do not apply to them, so only their own list counts.
        return {str(t.get("key")): str(t.get("value")) for t in own if isinstance(t, dict)}
    own = own if isinstance(own, dict) else {}
    return {**(provider_tags or {}), **own}


def _provider_default_tags(inputs: dict[str, Any]) -> dict[str, str]:
    raw = inputs.get("defaultTags")
    if isinstance(raw, str):
        raw = json.loads(raw)
    return dict((raw or {}).get("tags") or {})


def run_layer(
    project: str,
    stack: str,
    upstream_outputs: dict[str, dict[str, Any]] | None = None,
    project_dir: Path | None = None,
    organization: str = SELF_MANAGED_ORGANIZATION,
) -> LayerPlan:
    """Plan one layer; `upstream_outputs` maps upstream project name to its outputs."""
    upstream_outputs = upstream_outputs or {}
    contract = layer(project)
    directory = project_dir or default_project_dir(project)

    for upstream, keys in contract.requires.items():
        if upstream not in upstream_outputs:
            raise PlanError(project, stack, f"needs the {upstream} layer's outputs, which were not planned")
        missing = [k for k in keys if k not in upstream_outputs[upstream]]
        if missing:
            raise PlanError(project, stack, f"requires {', '.join(missing)} from {upstream}/{stack}, which does not export them")

    try:
        config = load_stack_config(directory, stack)
    except (FileNotFoundError, YamlSyntaxError) as error:
        raise PlanError(project, stack, str(error)) from None
    references = {f"{organization}/{up}/{stack}": outputs for up, outputs in upstream_outputs.items()}
    mocks = _PlanMocks(project, stack, references)
    monitor = _RecordingMonitor(mocks)
    notes = _NoteCollector()
    logger = logging.getLogger(f"payments.plan.{project}.{stack}")
    logger.propagate = False
    logger.handlers[:] = [notes]

    pulumi.runtime.reset_options(project=project, stack=stack, organization=organization)  # a fresh root stack
    pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=False, logger=logger, monitor=monitor, organization=organization)
    pulumi.runtime.set_all_config(dict(config.values), list(config.secret_keys))

    program = directory / "__main__.py"
    take_reads()
    previous_cwd = os.getcwd()
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    try:
        _run_program(lambda: runpy.run_path(str(program), run_name="__main__"))
        root = pulumi.runtime.get_root_resource()
        outputs = {k: _resolve(v) for k, v in (root.outputs if root else {}).items()}
    except (ConfigError, YamlSyntaxError) as error:
        raise PlanError(project, stack, str(error)) from None
    except PlanError:
        raise
    except Exception as error:  # noqa: BLE001 - any program failure becomes one readable line
        raise PlanError(project, stack, f"the program raised {type(error).__name__}: {error}") from error
    finally:
        os.chdir(previous_cwd)
        sys.path.remove(str(directory))
        _forget_project_modules(directory)

    return LayerPlan(
        project=project,
        stack=stack,
        resources=_collect(monitor),
        outputs=outputs,
        requires={up: list(keys) for up, keys in contract.requires.items()},
        notes=notes.notes,
        reads=take_reads(),
        calls=mocks.calls,
    )


def _collect(monitor: _RecordingMonitor) -> list[PlannedResource]:
    registered = monitor.get_registered_resources()
    provider_tags: dict[str, dict[str, str]] = {}
    resources: list[PlannedResource] = []
    for urn, options in monitor.options.items():
        if options["type"] == "pulumi:pulumi:Stack":
            continue
        registration = registered.get(urn)
        state = dict(registration.state) if registration else {}
        inputs = scrub(dict(monitor.mocks.inputs.get((options["type"], options["name"]), {})))
        state = scrub(state)
        if options["type"].startswith("pulumi:providers:"):
            provider_tags[f"{urn}::{registration.id if registration else ''}"] = _provider_default_tags(inputs)
        outputs = {k: v for k, v in state.items() if k not in inputs or inputs[k] != v}
        resources.append(
            PlannedResource(
                urn=urn,
                type=options["type"],
                name=options["name"],
                id=(registration.id or None) if registration and options["custom"] else None,
                parent=options["parent"],
                custom=options["custom"],
                protect=options["protect"],
                retain_on_delete=options["retainOnDelete"],
                provider=options["provider"],
                inputs=inputs,
                outputs=outputs,
                tags=None,
                options=options,
            )
        )
    resources = in_tree_order(resources)
    for resource in resources:
        if resource.custom and not resource.type.startswith("pulumi:"):
            resource.tags = _effective_tags(resource.type, resource.inputs, provider_tags.get(resource.provider or ""))
            if resource.tags is not None and "tagsAll" in resource.outputs:
                resource.outputs["tagsAll"] = resource.tags  # what AWS reports: provider and resource tags merged
    return resources


def in_tree_order(resources: list[PlannedResource]) -> list[PlannedResource]:
    """Parents before their children, siblings by (name, type): the same order every run.

    The SDK registers resources from a thread pool as their inputs resolve, so the order in which
    the monitor sees them changes from run to run; a plan is something people diff.
    """
    children: dict[str | None, list[PlannedResource]] = {}
    known = {r.urn for r in resources}
    for resource in resources:
        parent = resource.parent if resource.parent in known else None
        children.setdefault(parent, []).append(resource)
    ordered: list[PlannedResource] = []
    stack = sorted(children.get(None, []), key=_sibling_key, reverse=True)
    while stack:
        resource = stack.pop()
        ordered.append(resource)
        stack.extend(sorted(children.get(resource.urn, []), key=_sibling_key, reverse=True))
    return ordered


def _sibling_key(resource: PlannedResource) -> tuple[str, str]:
    return resource.name, resource.type


def existing_layers(projects: Iterable[str] | None = None) -> list[str]:
    """Layers whose program exists, in deploy order."""
    names = list(projects) if projects is not None else [c.project for c in LAYERS]
    return [n for n in names if (default_project_dir(n) / "__main__.py").exists()]


@contextmanager
def paused_cyclic_gc() -> Iterator[None]:
    """A plan allocates many short-lived objects and frees nearly all of them by reference
    counting; the cyclic collector's passes over them cost about a third of the run."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_environment(
    stack: str, projects: Iterable[str] | None = None, progress: Callable[[str, str], None] | None = None
) -> EnvironmentPlan:
    """Plan every existing layer of one environment (stack name), in dependency order.
    `progress(project, stack)` is told before each layer renders."""
    planned: list[LayerPlan] = []
    outputs: dict[str, dict[str, Any]] = {}
    with paused_cyclic_gc():
        for project in existing_layers(projects):
            if progress is not None:
                progress(project, stack)
            result = run_layer(project, stack, {up: outputs[up] for up in layer(project).requires if up in outputs})
            planned.append(result)
            outputs[project] = result.outputs
    return EnvironmentPlan(stack, planned)
