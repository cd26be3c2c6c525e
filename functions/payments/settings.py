"""Typed settings, read once from the environment variables named in `payments.contract.EnvVar`.

Only `Settings.from_env` reads the environment. Everything that is not set by the compute layer
(timeouts of the AWS and database calls, the time budget, TLS) is a field with a production default;
tests and the benchmark build a `Settings` directly (e.g. `db_tls=False` for the local server), so
there is deliberately no environment switch that turns TLS off in a deployed function.

Time budget (all seconds; the handler also caps the payment API timeout by the invocation's remaining
time, see `payments.service.PaymentService`):
  idempotency put (aws connect+read) + DB connect + DB insert + payment API + DB update
  + DynamoDB put + S3 put + DB mark published + idempotency update  ==  `worst_case_seconds()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from payments.contract import EnvVar
from payments.errors import ConfigurationError

DEFAULT_API_TIMEOUT_SECONDS = 5.0
DEFAULT_DB_PORT = 5432
IDEMPOTENCY_EXPIRY_SECONDS = 2 * 24 * 3600  # the issue asks for at least a day


@dataclass(frozen=True)
class Settings:
    environment: str
    transactions_table: str
    idempotency_table: str
    audit_bucket: str
    db_host: str
    db_name: str
    db_secret_arn: str
    payment_api_endpoint: str
    max_amount_minor: int
    db_port: int = DEFAULT_DB_PORT
    payment_api_timeout_seconds: float = DEFAULT_API_TIMEOUT_SECONDS
    # Not set by the compute layer: production defaults.
    db_tls: bool = True
    db_ca_file: str | None = None  # None: the bundled RDS CA file if shipped, else the system store
    db_connect_timeout_seconds: float = 2.0
    db_statement_timeout_ms: int = 1500
    run_migrations: bool = True
    aws_connect_timeout_seconds: float = 0.5
    aws_read_timeout_seconds: float = 1.5
    # One attempt per AWS call: the caller's retry with the same idempotency key is the only retry.
    aws_max_attempts: int = 1
    # Kept free after the payment API call to record the outcome (DB update, DynamoDB, S3, idempotency).
    post_charge_reserve_seconds: float = 3.0
    # The payment API is not called with less time than this left for it.
    min_api_timeout_seconds: float = 0.2
    idempotency_expiry_seconds: int = IDEMPOTENCY_EXPIRY_SECONDS

    def __post_init__(self) -> None:
        if self.max_amount_minor <= 0:
            raise ConfigurationError(f"{EnvVar.MAX_AMOUNT_MINOR} must be a positive integer")
        if not 0 < self.payment_api_timeout_seconds <= 60:
            raise ConfigurationError(f"{EnvVar.PAYMENT_API_TIMEOUT_SECONDS} must be in (0, 60]")
        if not self.payment_api_endpoint.startswith(("https://", "http://")):
            raise ConfigurationError(f"{EnvVar.PAYMENT_API_ENDPOINT} must be an http(s) URL")
        if self.idempotency_expiry_seconds < 86400:
            raise ConfigurationError("idempotency records must live at least a day")
        if self.aws_max_attempts < 1:
            raise ConfigurationError("aws_max_attempts must be at least 1")

    def worst_case_seconds(self) -> float:
        """Upper bound of one invocation's remote calls when every call runs into its timeout."""
        aws_call = (self.aws_connect_timeout_seconds + self.aws_read_timeout_seconds) * self.aws_max_attempts
        db_statement = self.db_statement_timeout_ms / 1000
        return (
            aws_call  # idempotency: save in progress
            + self.db_connect_timeout_seconds * 2  # connect, plus one reconnect after a secret rotation
            + aws_call  # secret fetch (once per cold start or rotation)
            + db_statement  # insert pending
            + self.payment_api_timeout_seconds
            + db_statement  # record outcome
            + aws_call  # DynamoDB transaction log
            + aws_call  # S3 audit record
            + db_statement  # mark published
            + aws_call  # idempotency: save success
        )

    @classmethod
    def worst_case_for(cls, payment_api_timeout_seconds: float) -> float:
        """`worst_case_seconds()` with the production defaults and this payment API timeout.

        The compute layer refuses a Lambda timeout below it, so the budget has one source.
        """
        placeholder = "-"
        return cls(
            environment=placeholder,
            transactions_table=placeholder,
            idempotency_table=placeholder,
            audit_bucket=placeholder,
            db_host=placeholder,
            db_name=placeholder,
            db_secret_arn=placeholder,
            payment_api_endpoint="https://payment-api.invalid",
            max_amount_minor=1,
            payment_api_timeout_seconds=payment_api_timeout_seconds,
        ).worst_case_seconds()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def required(var: EnvVar) -> str:
            value = env.get(var, "").strip()
            if not value:
                raise ConfigurationError(f"environment variable {var} is not set")
            return value

        def number(var: EnvVar, kind: type, default: object) -> object:
            raw = env.get(var, "").strip()
            if not raw:
                if default is None:
                    raise ConfigurationError(f"environment variable {var} is not set")
                return default
            try:
                return kind(raw)
            except ValueError:
                raise ConfigurationError(f"environment variable {var} is not a valid {kind.__name__}") from None

        return cls(
            environment=required(EnvVar.ENVIRONMENT),
            transactions_table=required(EnvVar.TRANSACTIONS_TABLE),
            idempotency_table=required(EnvVar.IDEMPOTENCY_TABLE),
            audit_bucket=required(EnvVar.AUDIT_BUCKET),
            db_host=required(EnvVar.DB_HOST),
            db_port=number(EnvVar.DB_PORT, int, DEFAULT_DB_PORT),
            db_name=required(EnvVar.DB_NAME),
            db_secret_arn=required(EnvVar.DB_SECRET_ARN),
            payment_api_endpoint=required(EnvVar.PAYMENT_API_ENDPOINT),
            payment_api_timeout_seconds=number(EnvVar.PAYMENT_API_TIMEOUT_SECONDS, float, DEFAULT_API_TIMEOUT_SECONDS),
            max_amount_minor=number(EnvVar.MAX_AMOUNT_MINOR, int, None),
        )
