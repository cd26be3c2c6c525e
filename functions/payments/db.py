"""PostgreSQL data access (pg8000, pure Python) for the `payments` table.

- One connection per thread (a Lambda environment runs one invocation at a time, so one connection),
  opened lazily with TLS (verified; the RDS CA bundle `payments/certs/rds-global-bundle.pem` is used
  when the build ships it) as the function's own database user with an IAM auth token
  (`payments.secrets.IamAuthToken`; the migration function passes the master secret instead).
- An authentication failure (an expired or rejected token, a rotated secret) gets one new credential
  and one reconnect.
- No migration here: the schema is migrated by the deploy (`payments.migrations`, run by the
  migration function). On its first use the connection reads the applied schema version; below the
  version this code ships with, every call fails with `SchemaTooOld` (and `on_schema_too_old` is
  called, which publishes the metric) until the migration has run.
- No statement is retried here: a broken connection is dropped and `DatabaseUnavailable` raised; the
  next invocation (the caller's retry) reconnects.
- SQL names tables unqualified: the login roles' `search_path` is the `payments` schema.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from payments import migrations
from payments.errors import DatabaseUnavailable, IdempotencyConflict, SchemaTooOld
from payments.models import PaymentRequest
from payments.secrets import CredentialSource
from payments.settings import MigrationSettings, Settings

STATUSES = ("pending", "succeeded", "declined", "failed")
FINAL_STATUSES = frozenset(STATUSES[1:])

_COLUMNS = (
    "payment_id::text, idempotency_key, merchant_id, amount_minor, currency, status, "
    "provider_reference, created_at, updated_at, COALESCE(charge_key, idempotency_key)"
)
_RETRYABLE_SQLSTATE_PREFIXES = ("08", "53", "57", "40001", "40P01", "55P03")
_AUTH_FAILED = ("28P01", "28000")
_BUNDLED_CA = os.path.join(os.path.dirname(__file__), "certs", "rds-global-bundle.pem")


@dataclass(frozen=True)
class PaymentRow:
    payment_id: str
    idempotency_key: str
    merchant_id: str
    amount_minor: int
    currency: str
    status: str
    provider_reference: str | None
    created_at: datetime
    updated_at: datetime
    charge_key: str  # the payment API's Idempotency-Key for this payment (see migration 2)

    @classmethod
    def from_db(cls, values: list[Any]) -> PaymentRow:
        return cls(*values)

    def matches(self, request: PaymentRequest) -> bool:
        return (
            self.merchant_id == request.merchant_id
            and self.amount_minor == request.amount
            and self.currency == request.currency
        )


def iso_utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sqlstate(exc: DatabaseError) -> str:
    detail = exc.args[0] if exc.args else None
    return detail.get("C", "") if isinstance(detail, dict) else ""


def tls_context(settings: Settings | MigrationSettings) -> ssl.SSLContext | None:
    if not settings.db_tls:
        return None
    cafile = settings.db_ca_file or (_BUNDLED_CA if os.path.exists(_BUNDLED_CA) else None)
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context  # verify_mode CERT_REQUIRED and check_hostname are the defaults


def connect(
    settings: Settings | MigrationSettings,
    credentials: CredentialSource,
    ssl_context: ssl.SSLContext | None = None,
    application_name: str = "payments",
) -> pg8000.native.Connection:
    """A connection with `credentials`; after an authentication failure, one new credential, one retry."""
    current = credentials.get()
    context = ssl_context if ssl_context is not None else tls_context(settings)
    for attempt in (1, 2):
        try:
            return pg8000.native.Connection(
                user=current.username,
                password=current.password,
                host=settings.db_host,
                port=settings.db_port,
                database=settings.db_name,
                # False: clear text, no TLS attempt (pg8000 reads None as "try TLS unverified, then clear text")
                ssl_context=context if context is not None else False,
                timeout=settings.db_connect_timeout_seconds,
                application_name=application_name,
                startup_params={"statement_timeout": str(settings.db_statement_timeout_ms)},
            )
        except DatabaseError as exc:
            if _sqlstate(exc) in _AUTH_FAILED and attempt == 1:
                current = credentials.refresh()  # expired/rejected token, rotated secret: once
                continue
            raise DatabaseUnavailable(f"database refused the connection (SQLSTATE {_sqlstate(exc)})") from None
        except (InterfaceError, OSError, ssl.SSLError) as exc:
            raise DatabaseUnavailable(f"database unreachable ({type(exc).__name__})") from None
    raise AssertionError("unreachable")


class Database:
    def __init__(
        self,
        settings: Settings,
        credentials: CredentialSource,
        on_schema_too_old: Callable[[int, int], None] | None = None,
        required_version: int | None = None,
    ) -> None:
        self._settings = settings
        self._credentials = credentials
        self._local = threading.local()
        self._ssl_context = tls_context(settings)
        self._on_schema_too_old = on_schema_too_old
        self._required_version = migrations.latest_version() if required_version is None else required_version
        self._schema_ok = False

    # -- connection management -------------------------------------------------------------------

    def connection(self) -> pg8000.native.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self._settings, self._credentials, self._ssl_context)
            self._local.conn = conn
        return conn

    def _check_schema(self, conn: pg8000.native.Connection) -> None:
        """Once per execution environment while it passes; re-checked on every call while it fails."""
        try:
            version = migrations.current_version(conn)
        except DatabaseError as exc:  # e.g. no SELECT on the version table: the roles' migration is missing
            raise DatabaseUnavailable(f"the schema version could not be read (SQLSTATE {_sqlstate(exc)})") from None
        if version < self._required_version:
            if self._on_schema_too_old is not None:
                self._on_schema_too_old(version, self._required_version)
            raise SchemaTooOld(
                f"the database schema is at version {version}, this code needs {self._required_version}: "
                "the deploy's migration step (invoke migrate) has not run"
            )
        self._schema_ok = True

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass

    def _run(self, operation):
        conn = self.connection()
        try:
            if not self._schema_ok:
                self._check_schema(conn)
            return operation(conn)
        except (InterfaceError, OSError, socket.timeout) as exc:
            self.close()
            raise DatabaseUnavailable(f"database connection lost ({type(exc).__name__})") from None
        except DatabaseError as exc:
            code = _sqlstate(exc)
            if code.startswith(_RETRYABLE_SQLSTATE_PREFIXES):
                self.close()
                raise DatabaseUnavailable(f"database unavailable (SQLSTATE {code})") from None
            raise

    # -- queries ---------------------------------------------------------------------------------

    def insert_pending(self, request: PaymentRequest) -> tuple[PaymentRow, bool]:
        """Insert the payment as pending; return (row, created). The merchant's existing row for the
        key (even one created before migration 2, under its old id) is returned as is, or
        `IdempotencyConflict` raised if it was for another amount/currency. Other merchants' rows
        are never looked at: the same key from two merchants is two payments."""

        def op(conn: pg8000.native.Connection) -> tuple[PaymentRow, bool]:
            rows = conn.run(
                "INSERT INTO payments (payment_id, idempotency_key, merchant_id, amount_minor, currency,"
                " source_token, status, charge_key) VALUES (CAST(:payment_id AS uuid), :key, :merchant,"
                " :amount, :currency, :source, 'pending', :charge_key) ON CONFLICT DO NOTHING RETURNING "
                + _COLUMNS,
                payment_id=request.payment_id,
                key=request.idempotency_key,
                merchant=request.merchant_id,
                amount=request.amount,
                currency=request.currency,
                source=request.payment_source,
                charge_key=request.payment_id,  # unique per merchant and key (see migration 2)
            )
            if rows:
                return PaymentRow.from_db(rows[0]), True
            rows = conn.run(
                f"SELECT {_COLUMNS} FROM payments WHERE merchant_id = :merchant AND idempotency_key = :key",
                merchant=request.merchant_id,
                key=request.idempotency_key,
            )
            if not rows:  # conflict on the primary key alone: a uuid5 collision, never expected
                raise IdempotencyConflict("payment id already taken")
            return PaymentRow.from_db(rows[0]), False

        row, created = self._run(op)
        if not created and not row.matches(request):
            raise IdempotencyConflict("idempotency key already used for a different payment")
        return row, created

    def record_outcome(
        self, payment_id: str, status: str, provider_reference: str | None, failure_reason: str | None = None
    ) -> PaymentRow:
        """Move a pending payment to its final status. A payment that is already final keeps its
        status (first outcome wins) and is returned as stored. `failure_reason` is kept with a
        `failed` outcome (reconciliation's reason for giving up)."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"not a final status: {status}")

        def op(conn: pg8000.native.Connection) -> PaymentRow:
            rows = conn.run(
                "UPDATE payments SET status = :status, provider_reference = :ref, failure_reason = :reason,"
                " updated_at = now()"
                " WHERE payment_id = CAST(:payment_id AS uuid) AND status = 'pending' RETURNING " + _COLUMNS,
                status=status,
                ref=provider_reference,
                reason=failure_reason if status == "failed" else None,
                payment_id=payment_id,
            )
            if not rows:
                rows = conn.run(
                    f"SELECT {_COLUMNS} FROM payments WHERE payment_id = CAST(:payment_id AS uuid)",
                    payment_id=payment_id,
                )
            return PaymentRow.from_db(rows[0])

        return self._run(op)

    def mark_published(self, payment_id: str) -> None:
        """Note that the outcome is in the transaction log and the audit trail too (the payment is
        finished; reconciliation republishes a final payment that lacks this mark)."""
        self._run(
            lambda conn: conn.run(
                "UPDATE payments SET published_at = now()"
                " WHERE payment_id = CAST(:payment_id AS uuid) AND published_at IS NULL AND status <> 'pending'",
                payment_id=payment_id,
            )
        )

    def run(self, operation):
        """Run `operation(connection)` with this class's connection handling (for the SQL of other
        modules, e.g. `payments.reconcile`): a lost connection is dropped, `DatabaseUnavailable` raised."""
        return self._run(operation)

    def get(self, payment_id: str, merchant_id: str) -> PaymentRow | None:
        """The merchant's payment; None when unknown or another merchant's (not told apart)."""
        rows = self._run(
            lambda conn: conn.run(
                f"SELECT {_COLUMNS} FROM payments"
                " WHERE payment_id = CAST(:payment_id AS uuid) AND merchant_id = :merchant",
                payment_id=payment_id,
                merchant=merchant_id,
            )
        )
        return PaymentRow.from_db(rows[0]) if rows else None
