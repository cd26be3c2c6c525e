"""`invoke migrate` and the deploy step: the compute stack's migration function, invoked once,
synchronously, through a fake Lambda client (moto's Lambda needs Docker); failures are loud."""

from __future__ import annotations

import base64
import json
import os

import pytest
from invoke import Context, Exit

import tasks
from conftest import PROJECTS, migrate_function_arn
from platform_tools.orchestration import migrate
from platform_tools.orchestration.errors import OrchestrationError
from platform_tools.orchestration.migrate import MigrationError, region_of, run_migration


def quiet(monkeypatch):
    monkeypatch.setattr(tasks, "console", tasks.Console(file=open(os.devnull, "w")))


def test_migrate_invokes_the_compute_stacks_migration_function_once_synchronously(fake, monkeypatch):
    quiet(monkeypatch)
    fake.reset({"prod": PROJECTS})
    tasks.migrate.body(Context(), env="prod")
    (call,) = fake.lambda_calls
    assert call["region"] == "us-east-1"
    assert call["FunctionName"] == migrate_function_arn("v1")
    assert (call["InvocationType"], call["LogType"], call["Payload"]) == ("RequestResponse", "Tail", b"{}")
    # It read the function through the pulumi wrapper and changed no stack.
    assert "projects/compute $ pulumi stack output --json --stack prod" in fake.calls()
    assert fake.mutating() == []


def test_a_dry_run_asks_the_function_to_list_only(fake, monkeypatch):
    quiet(monkeypatch)
    fake.reset({"prod": PROJECTS})
    tasks.migrate.body(Context(), env="prod", dry_run=True)
    (call,) = fake.lambda_calls
    assert json.loads(call["Payload"]) == {"dryRun": True}


def test_a_failing_migration_fails_the_task_with_the_functions_error_and_log_tail(fake, monkeypatch):
    quiet(monkeypatch)
    fake.reset({"staging": PROJECTS})
    fake.lambda_error("MigrationConflict", "migration 3 changed since it was applied", logs="applying 3\nchecksum mismatch\n")
    with pytest.raises(Exit) as caught:
        tasks.migrate.body(Context(), env="staging")
    message = str(caught.value.message)
    assert caught.value.code == 1
    assert "migrate failed: the migration function acme-payments-v1-migrate failed (Unhandled)" in message
    assert "MigrationConflict: migration 3 changed since it was applied" in message
    assert "| checksum mismatch" in message


def test_migrate_refuses_an_environment_without_a_compute_stack(fake, monkeypatch):
    quiet(monkeypatch)
    fake.reset({"dev": ("network", "data")})
    with pytest.raises(Exit, match="compute has no stack dev: deploy it first"):
        tasks.migrate.body(Context(), env="dev")
    assert fake.lambda_calls == []


def test_deploy_migrates_right_after_the_compute_layer(fake):
    fake.reset({"prod": PROJECTS})
    out = fake.run("deploy", "prod", yes=True)
    (call,) = fake.lambda_calls
    calls = fake.calls()
    # The invoke came after compute's up and export check, before anything of observability.
    before = calls[: call["after_calls"]]
    assert before[-2:] == ["projects/compute $ pulumi up --stack prod --yes", "projects/compute $ pulumi stack output --json --stack prod"]
    assert all(c.startswith("projects/observability") for c in calls[call["after_calls"]:])
    assert "acme-payments-v1-migrate succeeded" in out


def test_deploy_stops_before_observability_when_the_migration_fails(fake):
    fake.reset({"prod": PROJECTS})
    fake.lambda_error("ProgrammingError", 'relation "payments" already exists')
    with pytest.raises(OrchestrationError, match=r"ProgrammingError: relation \"payments\" already exists.*not touched after it: observability"):
        fake.run("deploy", "prod", yes=True)
    assert not any(c.startswith("projects/observability $ pulumi up") for c in fake.calls())


def test_deploying_another_layer_alone_does_not_migrate(fake):
    fake.reset({"prod": PROJECTS})
    fake.run("deploy", "prod", yes=True, layer="observability")
    assert fake.lambda_calls == []


class _Client:
    def __init__(self, response=None, error=None):
        self.response, self.error = response, error

    def invoke(self, **kwargs):
        if self.error:
            raise self.error
        return self.response


def test_client_errors_and_bad_arns_are_one_readable_line():
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:acme-payments-qa-migrate"
    assert region_of(arn) == "eu-west-1"
    with pytest.raises(MigrationError, match="is not a Lambda function ARN"):
        region_of("acme-payments-qa-migrate")
    with pytest.raises(MigrationError, match="could not invoke the migration function acme-payments-qa-migrate: RuntimeError: no credentials"):
        run_migration(arn, lambda region: _Client(error=RuntimeError("no credentials")))
    tail = base64.b64encode(b"START\nEND\n").decode()
    ok = run_migration(arn, lambda region: _Client({"StatusCode": 200, "Payload": json.dumps({"applied": [3, 4]}).encode(), "LogResult": tail}))
    assert (ok.payload, ok.log_tail) == ({"applied": [3, 4]}, ("START", "END"))


def test_the_boto3_client_waits_out_the_longest_migration_and_never_retries():
    client = migrate.lambda_client("us-east-1")
    assert client.meta.region_name == "us-east-1"
    assert client.meta.config.read_timeout >= migrate.LAMBDA_MAX_TIMEOUT_SECONDS
    assert client.meta.config.retries["total_max_attempts"] == 1
