"""Composition root: builds the service and its adapters from settings, once per execution environment.

Nothing here runs at import time. The handlers call `get_runtime()`; tests and the benchmark call
`configure(settings=..., ...)` to point it at local servers or wrap its parts, and `reset()` after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from payments.aws import AwsClients
from payments.db import Database
from payments.payment_api import PaymentApiClient
from payments.secrets import MasterSecret
from payments.service import PaymentService
from payments.settings import Settings
from payments.stores import AuditLog, TransactionLog


@dataclass
class Runtime:
    settings: Settings
    aws: AwsClients
    secret: MasterSecret
    database: Database
    service: PaymentService


def build(
    settings: Settings,
    wrap: Callable[[PaymentService], PaymentService] | None = None,
    aws: AwsClients | None = None,
) -> Runtime:
    aws = aws or AwsClients(settings)
    secret = MasterSecret(settings.db_secret_arn, lambda: aws.secretsmanager)
    database = Database(settings, secret)
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
    return Runtime(settings=settings, aws=aws, secret=secret, database=database, service=service)


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
) -> Runtime:
    """Replace the runtime (tests, benchmark); `aws` lets them reuse already created clients."""
    global _runtime
    reset()
    with _lock:
        _runtime = build(settings, wrap, aws)
        return _runtime


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
