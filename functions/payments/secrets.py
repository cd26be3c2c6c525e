"""The database master secret (RDS-managed Secrets Manager secret: JSON with username/password).

Fetched once and cached for the life of the execution environment. After a rotation the cached
password stops working: `payments.db.Database` then calls `refresh()` once and reconnects once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from payments.errors import ConfigurationError, DependencyUnavailable


@dataclass(frozen=True)
class DbCredentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"DbCredentials(username={self.username!r}, password='***')"


class SecretUnavailable(DependencyUnavailable):
    code = "secret_unavailable"


class MasterSecret:
    def __init__(self, secret_arn: str, client_factory: Callable[[], object]) -> None:
        self._secret_arn = secret_arn
        self._client_factory = client_factory
        self._cached: DbCredentials | None = None
        self._lock = threading.Lock()
        self.fetch_count = 0

    def get(self) -> DbCredentials:
        cached = self._cached
        if cached is not None:
            return cached
        with self._lock:
            if self._cached is None:
                self._cached = self._fetch()
            return self._cached

    def refresh(self) -> DbCredentials:
        """Drop the cached value and fetch the current one (after an authentication failure)."""
        with self._lock:
            self._cached = self._fetch()
            return self._cached

    def _fetch(self) -> DbCredentials:
        from botocore.exceptions import BotoCoreError, ClientError

        self.fetch_count += 1
        try:
            response = self._client_factory().get_secret_value(SecretId=self._secret_arn)
        except (BotoCoreError, ClientError) as exc:
            raise SecretUnavailable(f"database secret could not be read ({type(exc).__name__})") from None
        try:
            payload = json.loads(response["SecretString"])
            return DbCredentials(username=str(payload["username"]), password=str(payload["password"]))
        except (KeyError, TypeError, ValueError):
            # No `from exc`: the exception text could include the secret string.
            raise ConfigurationError("database secret is not JSON with 'username' and 'password'") from None
