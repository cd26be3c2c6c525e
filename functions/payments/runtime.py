"""Composition root: builds the service and its adapters from settings, once per execution environment.

Nothing here runs at import time. The handlers call `get_runtime()`; tests and the benchmark call
`configure(settings=..., ...)` to point it at local servers or wrap its parts, and `reset()` after.
The database credentials are an IAM auth token for `settings.db_user`, made by `token_client`
(`boto3.client("rds")` unless a test passes a fake).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from payments.aws import AwsClients
from payments.contract import EnvVar, Metric
from payments.db import Database
from payments.payment_api import PaymentApiClient
from payments.secrets import IamAuthToken, TokenClient
from payments.service import PaymentService
from payments.settings import Settings
from payments.stores import AuditLog, TransactionLog


@dataclass
class Runtime:
    settings: Settings
    aws: AwsClients
    credentials: IamAuthToken
    database: Database
    service: PaymentService


def schema_too_old(found: int, needed: int) -> None:
    """Publish `Metric.SCHEMA_TOO_OLD` (flushed by the handler's `log_metrics`; Powertools' metric set
    is shared by every `Metrics` instance) and log the versions."""
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    namespace = os.getenv(EnvVar.POWERTOOLS_METRICS_NAMESPACE) or "Payments"
    Metrics(namespace=namespace).add_metric(name=Metric.SCHEMA_TOO_OLD, unit=MetricUnit.Count, value=1)
    Logger(service=os.getenv(EnvVar.POWERTOOLS_SERVICE_NAME) or "payments").error(
        "database schema older than this code: run the migration step",
        extra={"schema_version": found, "required_schema_version": needed},
    )


def build(
    settings: Settings,
    wrap: Callable[[PaymentService], PaymentService] | None = None,
    aws: AwsClients | None = None,
    token_client: TokenClient | None = None,
) -> Runtime:
    aws = aws or AwsClients(settings)
    credentials = IamAuthToken(
        settings.db_host,
        settings.db_port,
        settings.db_user,
        (lambda: token_client) if token_client is not None else (lambda: aws.client("rds")),
        refresh_after_seconds=settings.db_token_refresh_seconds,
    )
    database = Database(settings, credentials, on_schema_too_old=schema_too_old)
    service = PaymentService(
        repository=database,
        api=PaymentApiClient(settings.payment_api_endpoint, settings.payment_api_timeout_seconds),
        transaction_log=TransactionLog(settings.transactions_table, lambda: aws.dynamodb),
        audit=AuditLog(settings.audit_bucket, lambda: aws.s3),
        post_charge_reserve_seconds=settings.post_charge_reserve_seconds,
        min_api_timeout_seconds=settings.min_api_timeout_seconds,
    )
    if wrap is not None:
        service = wrap(service)
    return Runtime(settings=settings, aws=aws, credentials=credentials, database=database, service=service)


_lock = threading.Lock()
_runtime: Runtime | None = None
_listeners: list[Callable[[], Any]] = []


def get_runtime() -> Runtime:
    global _runtime
    runtime = _runtime
    if runtime is None:
        with _lock:
            if _runtime is None:
                _runtime = build(Settings.from_env())
            runtime = _runtime
    return runtime


def configure(
    settings: Settings,
    wrap: Callable[[PaymentService], PaymentService] | None = None,
    aws: AwsClients | None = None,
    token_client: TokenClient | None = None,
) -> Runtime:
    """Replace the runtime (tests, benchmark); `aws` lets them reuse already created clients."""
    global _runtime
    reset()
    with _lock:
        _runtime = build(settings, wrap, aws, token_client)
        return _runtime


@contextlib.contextmanager
def using(other: Runtime) -> Iterator[Runtime]:
    """Tests: `get_runtime()` returns `other` inside the block (another function's execution
    environment, e.g. get-payment's, connected as its own database user), then the previous one."""
    global _runtime
    with _lock:
        previous, _runtime = _runtime, other
    try:
        yield other
    finally:
        with _lock:
            _runtime = previous


def on_reset(listener: Callable[[], Any]) -> None:
    """Register a callback run by `reset()` (the handlers drop their cached idempotency layer)."""
    _listeners.append(listener)


def reset() -> None:
    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.database.close()
        _runtime = None
    for listener in _listeners:
        listener()
