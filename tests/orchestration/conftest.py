"""Fixtures for the orchestration tests: the fake pulumi on PATH and a way to run one action."""

from __future__ import annotations

import base64
import io
import json
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from invoke import Context, MockContext, Result
from rich.console import Console

import fake_pulumi
from shared.contracts import LAYERS, LAYERS_BY_PROJECT, ComputeOutputs
from platform_tools.orchestration import fingerprints, migrate
from platform_tools.orchestration.fingerprints import FingerprintStore
from platform_tools.orchestration.layers import Action
from platform_tools.orchestration.runner import Orchestrator, RunOptions
from shared.paths import REPO_ROOT

PROJECTS = tuple(contract.project for contract in LAYERS)


def migrate_function_arn(version: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:acme-payments-{version}-migrate"


def exports(project: str, version: str = "v1") -> dict[str, str]:
    """Outputs with every key the layer's contract exports; `version` changes every value."""
    values = {key: f"{project}-{key}-{version}" for key in LAYERS_BY_PROJECT[project].exports}
    if ComputeOutputs.MIGRATE_FUNCTION_ARN in values:  # `invoke migrate` reads the region from it
        values[ComputeOutputs.MIGRATE_FUNCTION_ARN] = migrate_function_arn(version)
    return values


@dataclass
class Fake:
    tmp: Path
    builds: list[str] = field(default_factory=list)
    # Invocations of the fake Lambda client (`invoke migrate`, and deploy after compute).
    lambda_calls: list[dict] = field(default_factory=list)
    lambda_response: dict | None = None

    def lambda_error(self, kind: str, message: str, logs: str = "") -> None:
        """The next invocations fail the way Lambda reports an unhandled error of the handler."""
        self.lambda_response = {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": json.dumps({"errorType": kind, "errorMessage": message, "stackTrace": []}).encode(),
            "LogResult": base64.b64encode(logs.encode()).decode(),
        }

    def lambda_client(self, region: str):
        fake = self

        class Client:
            def invoke(self, **kwargs):
                fake.lambda_calls.append({"region": region, "after_calls": len(fake.calls()), **kwargs})
                response = fake.lambda_response or {"StatusCode": 200, "Payload": b'{"applied": [], "version": 4}'}
                return {**response, "Payload": io.BytesIO(response["Payload"])}

        return Client()

    @property
    def state_file(self) -> Path:
        return self.tmp / "pulumi-state.json"

    @property
    def log_file(self) -> Path:
        return self.tmp / "pulumi-calls.jsonl"

    @property
    def store_file(self) -> Path:
        return self.tmp / "fingerprints.json"

    @property
    def package(self) -> Path:
        """The Lambda package the compute program reads; tests write it (or not) on purpose."""
        return self.tmp / "payments-lambda.zip"

    def reset(self, deployed: dict[str, Iterable[str]] | None = None, version: str = "v1") -> None:
        """`deployed` = {env: projects whose stack exists with full outputs}; `up` yields `version` outputs."""
        stacks: dict[str, dict] = {}
        for env, projects in (deployed or {}).items():
            for project in projects:
                stacks.setdefault(project, {})[env] = {"outputs": exports(project), "resources": 7}
        self.state_file.write_text(
            json.dumps({"stacks": stacks, "afterUp": {p: exports(p, version) for p in PROJECTS}})
        )
        self.log_file.write_text("")

    def after_up(self, project: str, version: str) -> None:
        state = json.loads(self.state_file.read_text())
        state["afterUp"][project] = exports(project, version)
        self.state_file.write_text(json.dumps(state))

    def stacks(self) -> dict:
        return json.loads(self.state_file.read_text())["stacks"]

    def calls(self) -> list[str]:
        """Each call as `<cwd relative to the repo> $ pulumi <argv>`."""
        lines = [json.loads(line) for line in self.log_file.read_text().splitlines()]
        return [f"{os.path.relpath(c['cwd'], REPO_ROOT)} $ pulumi {shlex.join(c['argv'])}" for c in lines]

    def backends(self) -> set[str | None]:
        return {json.loads(line)["backend"] for line in self.log_file.read_text().splitlines()}

    def mutating(self) -> list[str]:
        return [call for call in self.calls() if call.split(" $ pulumi ")[1].split()[0] in fake_pulumi.MUTATING]

    def environ(self) -> dict[str, str]:
        return {"FAKE_PULUMI_STATE": str(self.state_file), "FAKE_PULUMI_LOG": str(self.log_file)}

    def orchestrator(self, c, action: str, env: str, answers: Iterable[str] = (), **options) -> tuple[Orchestrator, io.StringIO]:
        replies = iter(answers)

        def ask(question: str) -> str:
            out.write(question + "\n")
            return next(replies)  # StopIteration = an unexpected question: the test fails

        out = io.StringIO()
        orchestrator = Orchestrator(
            c,
            RunOptions(action=Action(action), env=env, **options),
            Console(file=out, width=200),
            ask=ask,
            environ=dict(os.environ),
            store=FingerprintStore(self.store_file),
            build=lambda: self.builds.append(env),
            policy_pack_dir=self.tmp / "no-policy-pack",
            package=self.package,
            interactive=False,
        )
        return orchestrator, out

    def run(self, action: str, env: str, answers: Iterable[str] = (), **options) -> str:
        """Run one action with a real invoke Context: the fake `pulumi` executable answers."""
        orchestrator, out = self.orchestrator(Context(), action, env, answers, **options)
        orchestrator.run()
        return out.getvalue()

    def mock_context(self) -> MockContext:
        """A MockContext whose `run` answers through the same fake, seeing the `c.cd` folder."""
        c = MockContext(run=Result())

        def respond(command: str, **kwargs) -> Result:
            environ = {**os.environ, **(kwargs.get("env") or {})}
            code, out, err = fake_pulumi.respond(shlex.split(command)[1:], c.cwd, environ)
            return Result(stdout=out, stderr=err, exited=code, command=command)

        c.run.side_effect = respond
        return c


@pytest.fixture
def fake(tmp_path, monkeypatch) -> Fake:
    fake_pulumi.install(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_PULUMI_STATE", str(tmp_path / "pulumi-state.json"))
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(tmp_path / "pulumi-calls.jsonl"))
    for name in ("FAKE_PULUMI_FAIL_LAYER", "FAKE_PULUMI_LOGGED_OUT", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(name, raising=False)
    # Tasks run in-process must never touch the repo's real fingerprint file.
    monkeypatch.setattr(fingerprints, "FINGERPRINTS_FILE", tmp_path / "fingerprints.json")
    state = Fake(tmp_path)
    state.reset()
    # No AWS here: the migration step's Lambda client is the fake's.
    monkeypatch.setattr(migrate, "lambda_client", state.lambda_client)
    return state
