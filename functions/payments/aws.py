"""Lazily created AWS clients sharing one botocore config (timeouts, and a single attempt).

boto3 is imported on first use, not at import time of the handler. Every client uses
`total_max_attempts = settings.aws_max_attempts` (1 by default): no AWS call is retried inside the
function, because the caller retrying with the same idempotency key is the single retry point and
every write below is idempotent.
"""

from __future__ import annotations

import threading
from typing import Any

from payments.settings import MigrationSettings, Settings


class AwsClients:
    def __init__(self, settings: Settings | MigrationSettings, session: Any = None) -> None:
        self._settings = settings
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        existing = self._clients.get(service)
        if existing is not None:
            return existing
        with self._lock:
            if service not in self._clients:
                import boto3
                from botocore.config import Config

                if self._session is None:
                    self._session = boto3.session.Session()
                config = Config(
                    connect_timeout=self._settings.aws_connect_timeout_seconds,
                    read_timeout=self._settings.aws_read_timeout_seconds,
                    retries={"mode": "standard", "total_max_attempts": self._settings.aws_max_attempts},
                    tcp_keepalive=True,
                )
                self._clients[service] = self._session.client(service, config=config)
            return self._clients[service]

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def s3(self) -> Any:
        return self.client("s3")

    @property
    def secretsmanager(self) -> Any:
        return self.client("secretsmanager")
