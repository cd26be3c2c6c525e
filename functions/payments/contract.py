"""The contract between the payment functions and the infrastructure that runs them.

Pure standard library on purpose: the compute layer imports it to set environment variables and
the data layer imports it to create the tables, so a renamed variable or key attribute breaks a
test instead of a deploy. Nothing here reads the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EnvVar(StrEnum):
    """Environment variables the compute layer sets on every payment function."""

    ENVIRONMENT = "PAYMENTS_ENVIRONMENT"
    TRANSACTIONS_TABLE = "PAYMENTS_TRANSACTIONS_TABLE"
    IDEMPOTENCY_TABLE = "PAYMENTS_IDEMPOTENCY_TABLE"
    AUDIT_BUCKET = "PAYMENTS_AUDIT_BUCKET"
    DB_HOST = "PAYMENTS_DB_HOST"
    DB_PORT = "PAYMENTS_DB_PORT"
    DB_NAME = "PAYMENTS_DB_NAME"
    DB_SECRET_ARN = "PAYMENTS_DB_SECRET_ARN"
    PAYMENT_API_ENDPOINT = "PAYMENTS_API_ENDPOINT"
    PAYMENT_API_TIMEOUT_SECONDS = "PAYMENTS_API_TIMEOUT_SECONDS"
    MAX_AMOUNT_MINOR = "PAYMENTS_MAX_AMOUNT_MINOR"
    # Read by AWS Powertools itself.
    POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
    POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
    POWERTOOLS_METRICS_NAMESPACE = "POWERTOOLS_METRICS_NAMESPACE"


@dataclass(frozen=True)
class KeyAttribute:
    name: str
    type: str  # DynamoDB scalar type: "S", "N" or "B"


@dataclass(frozen=True)
class SecondaryIndex:
    name: str
    hash_key: KeyAttribute
    range_key: KeyAttribute | None = None


@dataclass(frozen=True)
class TableSchema:
    """Key schema of a DynamoDB table, shared by the data layer and the function tests."""

    hash_key: KeyAttribute
    range_key: KeyAttribute | None = None
    indexes: tuple[SecondaryIndex, ...] = ()
    ttl_attribute: str | None = None

    @property
    def attributes(self) -> tuple[KeyAttribute, ...]:
        """Every attribute that appears in a key (DynamoDB wants each declared exactly once)."""
        seen: dict[str, KeyAttribute] = {}
        keys = [self.hash_key, self.range_key]
        for index in self.indexes:
            keys += [index.hash_key, index.range_key]
        for key in keys:
            if key is not None:
                seen.setdefault(key.name, key)
        return tuple(seen.values())


# The transaction log: one item per payment, looked up by id; a merchant's payments listed by time.
MERCHANT_INDEX = "by-merchant-created-at"
TRANSACTIONS_TABLE = TableSchema(
    hash_key=KeyAttribute("payment_id", "S"),
    indexes=(
        SecondaryIndex(
            name=MERCHANT_INDEX,
            hash_key=KeyAttribute("merchant_id", "S"),
            range_key=KeyAttribute("created_at", "S"),  # ISO 8601 UTC, sorts by time
        ),
    ),
)

# The Powertools idempotency table (its documented default attribute names).
IDEMPOTENCY_TABLE = TableSchema(hash_key=KeyAttribute("id", "S"), ttl_attribute="expiration")


@dataclass(frozen=True)
class FunctionSpec:
    """A payment function: its logical name (used in resource names) and its handler path."""

    name: str
    handler: str
    description: str


PROCESS_PAYMENT = FunctionSpec(
    name="process-payment",
    handler="payments.handlers.process_payment.lambda_handler",
    description="Records a payment once: PostgreSQL, payment API, DynamoDB transaction log, S3 audit.",
)
GET_PAYMENT = FunctionSpec(
    name="get-payment",
    handler="payments.handlers.get_payment.lambda_handler",
    description="Reads one payment back by id.",
)
FUNCTIONS: tuple[FunctionSpec, ...] = (PROCESS_PAYMENT, GET_PAYMENT)
