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
    # The master secret: set on the migration function only (issue 15); payment functions log in
    # as their own database user with an IAM auth token.
    DB_SECRET_ARN = "PAYMENTS_DB_SECRET_ARN"
    DB_USER = "PAYMENTS_DB_USER"
    PAYMENT_API_ENDPOINT = "PAYMENTS_API_ENDPOINT"
    PAYMENT_API_TIMEOUT_SECONDS = "PAYMENTS_API_TIMEOUT_SECONDS"
    MAX_AMOUNT_MINOR = "PAYMENTS_MAX_AMOUNT_MINOR"
    # Reconciliation (issue 16), from the compute stack files.
    PENDING_THRESHOLD_SECONDS = "PAYMENTS_PENDING_THRESHOLD_SECONDS"
    RECONCILE_BATCH_SIZE = "PAYMENTS_RECONCILE_BATCH_SIZE"
    RECONCILE_MAX_ATTEMPTS = "PAYMENTS_RECONCILE_MAX_ATTEMPTS"
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


@dataclass(frozen=True)
class DatabaseRole:
    """A PostgreSQL role the migrations create. `login` roles are the users functions connect as
    (granted `rds_iam`, so they authenticate with an IAM token); the owner role owns the schema."""

    name: str
    login: bool
    purpose: str


SCHEMA = "payments"
OWNER_ROLE = DatabaseRole("payments_owner", login=False, purpose="owns the payments schema and its tables; no one logs in as it")
WRITER_ROLE = DatabaseRole("payments_writer", login=True, purpose="process-payment: insert/update on the tables it writes")
READER_ROLE = DatabaseRole("payments_reader", login=True, purpose="get-payment: select only")
RECONCILER_ROLE = DatabaseRole("payments_reconciler", login=True, purpose="reconcile: select, update of pending payments")


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
RECONCILE = FunctionSpec(
    name="reconcile",
    handler="payments.handlers.reconcile.lambda_handler",
    description="Scheduled: finishes or fails stuck pending payments; daily, checks the three stores agree.",
)
MIGRATE = FunctionSpec(
    name="migrate",
    handler="payments.handlers.migrate.lambda_handler",
    description="Deploy step: applies the versioned schema migrations as the master user.",
)
# Called synchronously by the API.
API_FUNCTIONS: tuple[FunctionSpec, ...] = (PROCESS_PAYMENT, GET_PAYMENT)
FUNCTIONS: tuple[FunctionSpec, ...] = (PROCESS_PAYMENT, GET_PAYMENT)

# The database user each function connects as (the migration function uses the master secret).
DATABASE_USERS: dict[str, DatabaseRole] = {
    PROCESS_PAYMENT.name: WRITER_ROLE,
    GET_PAYMENT.name: READER_ROLE,
    RECONCILE.name: RECONCILER_ROLE,
}


# ---- The payment API (issue 18): an HTTP API (payload format 2.0) with a JWT authorizer on a
# Cognito user pool; one app client per merchant, client-credentials grant. The merchant id is the
# verified token's `client_id` claim; what a merchant may do is an OAuth scope checked per route.
RESOURCE_SERVER_IDENTIFIER = "payments"
WRITE_SCOPE = f"{RESOURCE_SERVER_IDENTIFIER}/payments.write"
READ_SCOPE = f"{RESOURCE_SERVER_IDENTIFIER}/payments.read"
MERCHANT_CLAIM = "client_id"
# event["requestContext"]["authorizer"]["jwt"]["claims"][MERCHANT_CLAIM]
AUTHORIZER_CLAIMS_PATH = ("requestContext", "authorizer", "jwt", "claims")


@dataclass(frozen=True)
class Route:
    route_key: str  # API Gateway route key, "METHOD /path"
    function: FunctionSpec
    scope: str


ROUTES: tuple[Route, ...] = (
    Route("POST /payments", PROCESS_PAYMENT, WRITE_SCOPE),
    Route("GET /payments/{paymentId}", GET_PAYMENT, READ_SCOPE),
)


# ---- Reconciliation (issue 16): the scheduled events and the metrics the alarms watch.
class ReconcileJob(StrEnum):
    """The `job` field of the scheduler's event (the `Input` of each schedule's target)."""

    RECONCILE = "reconcile"
    CONSISTENCY_CHECK = "consistency-check"


class Metric(StrEnum):
    """CloudWatch metric names the functions publish (namespace: POWERTOOLS_METRICS_NAMESPACE).

    Each is published with exactly one dimension, `METRIC_SERVICE_DIMENSION` = POWERTOOLS_SERVICE_NAME
    (what Powertools' Metrics adds by default); the observability layer's alarms watch that series.
    """

    PAYMENTS_RECONCILED = "PaymentsReconciled"
    PAYMENTS_FAILED_BY_RECONCILIATION = "PaymentsFailedByReconciliation"
    PAYMENTS_STILL_PENDING = "PaymentsStillPending"
    OLDEST_PENDING_AGE_SECONDS = "OldestPendingAgeSeconds"
    CONSISTENCY_DIFFERENCES = "ConsistencyDifferences"
    SCHEMA_TOO_OLD = "SchemaTooOld"


METRIC_SERVICE_DIMENSION = "service"
