"""PostgreSQL data access (pg8000, pure Python) for the `payments` table.

- One connection per thread (a Lambda environment runs one invocation at a time, so one connection),
  opened lazily with TLS (verified; the RDS CA bundle `payments/certs/rds-global-bundle.pem` is used
  when the build ships it) and credentials from the master secret.
- An authentication failure (the secret was rotated) re-fetches the secret once and reconnects once.
- The schema is created by `migrate()`: versioned, idempotent (`IF NOT EXISTS`), under an advisory
  lock so concurrent cold starts do not race; it runs once per connection when `run_migrations`.
- No statement is retried here: a broken connection is dropped and `DatabaseUnavailable` raised; the
  next invocation (the caller's retry) reconnects.
"""

from __future__ import annotations

import os
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pg8000.native
from pg8000.exceptions import DatabaseError, InterfaceError

from payments.errors import DatabaseUnavailable, IdempotencyConflict
from payments.models import PaymentRequest
from payments.secrets import MasterSecret
from payments.settings import Settings

STATUSES = ("pending", "succeeded", "declined", "failed")
FINAL_STATUSES = frozenset(STATUSES[1:])
_MIGRATION_LOCK_ID = 7_311_002_417  # arbitrary, constant: pg_advisory_xact_lock key of the migration

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE IF NOT EXISTS payments (
            payment_id          uuid PRIMARY KEY,
            idempotency_key     text NOT NULL,
            merchant_id         text NOT NULL,
            amount_minor        bigint NOT NULL CHECK (amount_minor > 0),
            currency            char(3) NOT NULL,
            source_token        text NOT NULL,
            status              text NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'succeeded', 'declined', 'failed')),
            provider_reference  text,
            created_at          timestamptz NOT NULL DEFAULT now(),
            updated_at          timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key)
        );
        CREATE INDEX IF NOT EXISTS payments_merchant_created_at ON payments (merchant_id, created_at);
        """,
    ),
    (
        2,
        # Idempotency per merchant (issue 18): a key is unique per merchant, no longer globally.
        # Existing rows are valid as they are (a globally unique key is unique per merchant) and keep
        # their payment ids, which DynamoDB, S3 and clients already hold. `charge_key` is the
        # Idempotency-Key the payment API is called with: new rows store their payment id; rows
        # written before (and by functions still running the old code during the deploy) keep NULL,
        # read as the client's key, which is what the API saw for them, so a pending payment that
        # is retried after the migration is never charged under a second key. Nothing is rewritten.
        """
        ALTER TABLE payments ADD COLUMN IF NOT EXISTS charge_key text;
        CREATE UNIQUE INDEX IF NOT EXISTS payments_merchant_idempotency_key
            ON payments (merchant_id, idempotency_key);
        ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_idempotency_key_key;
        """,
    ),
    (
        4,
        # Reconciliation (payments.reconcile): a payment is finished once its outcome is in all three
        # stores (`published_at`); the attempt count and the lease of the run working it persist.
        # Rows final before this migration were answered by the flow only after all three writes:
        # they count as published (the daily consistency check is what verifies the stores agree).
        """
        ALTER TABLE payments
            ADD COLUMN IF NOT EXISTS failure_reason text,
            ADD COLUMN IF NOT EXISTS published_at timestamptz,
            ADD COLUMN IF NOT EXISTS reconcile_attempts integer NOT NULL DEFAULT 0
                CHECK (reconcile_attempts >= 0),
            ADD COLUMN IF NOT EXISTS reconcile_lease_until timestamptz;
        UPDATE payments SET published_at = updated_at WHERE status <> 'pending' AND published_at IS NULL;
        CREATE INDEX IF NOT EXISTS payments_unpublished_created_at ON payments (created_at)
            WHERE published_at IS NULL;
        -- The function roles (migration 3) write the new columns they need, nothing more.
        DO $grants$
        BEGIN
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'payments_writer') THEN
                GRANT UPDATE (failure_reason, published_at) ON TABLE payments TO payments_writer;
            END IF;
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'payments_reconciler') THEN
                GRANT UPDATE (failure_reason, published_at, reconcile_attempts, reconcile_lease_until)
                    ON TABLE payments TO payments_reconciler;
            END IF;
        END
        $grants$;
        """,
    ),
)

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


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    if not settings.db_tls:
        return None
    cafile = settings.db_ca_file or (_BUNDLED_CA if os.path.exists(_BUNDLED_CA) else None)
    context = ssl.create_default_context(cafile=cafile)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context  # verify_mode CERT_REQUIRED and check_hostname are the defaults


class Database:
    def __init__(self, settings: Settings, secret: MasterSecret) -> None:
        self._settings = settings
        self._secret = secret
        self._local = threading.local()
        self._ssl_context = tls_context(settings)
        self._migrated = False

    # -- connection management -------------------------------------------------------------------

    def _connect(self) -> pg8000.native.Connection:
        credentials = self._secret.get()
        for attempt in (1, 2):
            try:
                return pg8000.native.Connection(
                    user=credentials.username,
                    password=credentials.password,
                    host=self._settings.db_host,
                    port=self._settings.db_port,
                    database=self._settings.db_name,
                    ssl_context=self._ssl_context,
                    timeout=self._settings.db_connect_timeout_seconds,
                    application_name="payments",
                    startup_params={"statement_timeout": str(self._settings.db_statement_timeout_ms)},
                )
            except DatabaseError as exc:
                if _sqlstate(exc) in _AUTH_FAILED and attempt == 1:
                    credentials = self._secret.refresh()  # rotated: re-fetch once, reconnect once
                    continue
                raise DatabaseUnavailable(f"database refused the connection (SQLSTATE {_sqlstate(exc)})") from None
            except (InterfaceError, OSError, ssl.SSLError) as exc:
                raise DatabaseUnavailable(f"database unreachable ({type(exc).__name__})") from None
        raise AssertionError("unreachable")

    def connection(self) -> pg8000.native.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            if self._settings.run_migrations and not self._migrated:
                self._run(lambda c: migrate(c))
                self._migrated = True
        return conn

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


def migrate(conn: pg8000.native.Connection) -> list[int]:
    """Apply the migrations not yet applied, in one transaction under an advisory lock; return them."""
    applied: list[int] = []
    conn.run("START TRANSACTION")
    try:
        conn.run("SELECT pg_advisory_xact_lock(:lock_id)", lock_id=_MIGRATION_LOCK_ID)
        conn.run(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.run("SELECT version FROM schema_migrations")}
        for version, sql in MIGRATIONS:
            if version in done:
                continue
            conn.run(sql)
            conn.run("INSERT INTO schema_migrations (version) VALUES (:version)", version=version)
            applied.append(version)
        conn.run("COMMIT")
    except BaseException:
        try:
            conn.run("ROLLBACK")
        except Exception:  # noqa: BLE001 - the connection may be gone
            pass
        raise
    return applied
