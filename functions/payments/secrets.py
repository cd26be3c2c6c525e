"""Database credentials: what `payments.db.connect` logs in with. Each source has `get()` (cached) and
`refresh()` (a new one, after the server refused the cached one).

- `IamAuthToken`, the payment functions: the function's own database user and an IAM auth token
  (`rds.generate_db_auth_token`, signed locally with the function role's credentials; valid 15 minutes,
  checked only when connecting). Made on first use, remade after `refresh_after_seconds` (10 minutes
  by default) so a new connection never presents an expired one.
- `MasterSecret`, the migration function only: the RDS-managed master secret (JSON username/password)
  from Secrets Manager, fetched once; `refresh()` re-fetches it after a rotation.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from payments.errors import ConfigurationError, DependencyUnavailable

TOKEN_LIFETIME_SECONDS = 900  # fixed by RDS


@dataclass(frozen=True)
class DbCredentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password or token
        return f"DbCredentials(username={self.username!r}, password='***')"


class CredentialSource(Protocol):
    def get(self) -> DbCredentials: ...
    def refresh(self) -> DbCredentials: ...


class SecretUnavailable(DependencyUnavailable):
    code = "secret_unavailable"


class AuthTokenUnavailable(DependencyUnavailable):
    code = "database_auth_unavailable"


class TokenClient(Protocol):
    """What `IamAuthToken` needs of `boto3.client("rds")` (tests pass a fake)."""

    def generate_db_auth_token(self, DBHostname: str, Port: int, DBUsername: str, Region: str | None = None) -> str: ...  # noqa: N803


class IamAuthToken:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        client_factory: Callable[[], TokenClient],
        refresh_after_seconds: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < refresh_after_seconds < TOKEN_LIFETIME_SECONDS:
            raise ConfigurationError("an IAM auth token must be renewed before its 15 minutes are over")
        self._host, self._port, self._user = host, port, user
        self._client_factory = client_factory
        self._refresh_after = refresh_after_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: DbCredentials | None = None
        self._issued_at = 0.0
        self.issue_count = 0

    def get(self) -> DbCredentials:
        with self._lock:
            if self._cached is None or self._clock() - self._issued_at >= self._refresh_after:
                self._issue()
            return self._cached  # type: ignore[return-value]

    def refresh(self) -> DbCredentials:
        with self._lock:
            self._issue()
            return self._cached  # type: ignore[return-value]

    def _issue(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        issued_at = self._clock()
        try:
            token = self._client_factory().generate_db_auth_token(
                DBHostname=self._host, Port=self._port, DBUsername=self._user
            )
        except (BotoCoreError, ClientError) as exc:  # e.g. no credentials in the environment
            raise AuthTokenUnavailable(f"no IAM auth token for database user {self._user} ({type(exc).__name__})") from None
        self.issue_count += 1
        self._cached = DbCredentials(username=self._user, password=token)
        self._issued_at = issued_at


class MasterSecret:
    def __init__(self, secret_arn: str, client_factory: Callable[[], Any]) -> None:
        self._secret_arn = secret_arn
        self._client_factory = client_factory
        self._cached: DbCredentials | None = None
        self._lock = threading.Lock()
        self.fetch_count = 0

    def get(self) -> DbCredentials:
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
