"""`migrate`: the deploy step that applies the schema migrations (`payments.migrations`).

Invoked synchronously by `invoke migrate --env ENV` (which `invoke deploy` runs after the compute
layer), never by a payment function. It is the only function that reads the master secret: it logs
in as the master user, applies the pending migrations under the runner's advisory lock and returns

    {"environment": "dev", "applied": ["0003_schema_roles_grants.sql"], "version": 3, "dryRun": false}

Event: `{}` applies; `{"dryRun": true}` applies nothing and lists what is pending.
On any failure it raises `MigrationFailed`, so Lambda answers with `FunctionError` and a payload
`{"errorType": "MigrationFailed", "errorMessage": "<which migration, why, the resulting version>"}`
that the task prints; the migrations applied before the failing one stay applied.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger

from payments import migrations
from payments.aws import AwsClients
from payments.contract import EnvVar
from payments.db import connect
from payments.errors import ConfigurationError, PaymentError
from payments.secrets import MasterSecret
from payments.settings import MigrationSettings

logger = Logger(service=os.getenv(EnvVar.POWERTOOLS_SERVICE_NAME) or "payments")


class MigrationFailed(Exception):
    """The migration step failed; the message is what the deploy shows."""


def run(
    settings: MigrationSettings, secret: Any, dry_run: bool = False, directory: Path = migrations.MIGRATIONS_DIR
) -> dict[str, Any]:
    """Connect as the master user and apply (or, dry, list) the pending migrations of `directory`."""
    shipped = migrations.load(directory)
    conn = connect(settings, secret, application_name="payments-migrate")
    try:
        if dry_run:
            version = migrations.current_version(conn)
            pending = [m.file_name for m in shipped if m.version > version]
            return {"environment": settings.environment, "pending": pending, "version": version, "dryRun": True}
        try:
            result = migrations.apply(conn, shipped)
        except migrations.MigrationError as exc:
            raise MigrationFailed(f"{exc}; the schema is at version {migrations.current_version(conn)}") from None
        return {"environment": settings.environment, **result.as_dict(), "dryRun": False}
    finally:
        conn.close()


@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    dry_run = isinstance(event, dict) and event.get("dryRun") is True
    try:
        settings = MigrationSettings.from_env()
        aws = AwsClients(settings)
        secret = MasterSecret(settings.db_secret_arn, lambda: aws.secretsmanager)
        outcome = run(settings, secret, dry_run=dry_run)
    except MigrationFailed as exc:
        logger.error("migration failed", extra={"reason": str(exc)})
        raise
    except (migrations.MigrationError, PaymentError, ConfigurationError) as exc:
        logger.error("migration failed", extra={"reason": str(exc)})
        raise MigrationFailed(f"{type(exc).__name__}: {exc}") from None
    logger.info("migrations done", extra=outcome)
    return outcome
