"""What the payment functions are told about their environment: names and endpoints, never secrets.

Pure values: the environment-variable names come from `payments.contract.EnvVar` (the function
reads the same names in `payments.settings.Settings.from_env`), the values from the stack config
and the data layer. Functions that talk to PostgreSQL are told their own database user (they log in
with an IAM token); only the migration function is told the master secret's ARN (`migration_environment`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from payments.contract import EnvVar
from shared.function_code import FunctionCode


@dataclass(frozen=True)
class DataEndpoints:
    """Where the data layer's resources of this environment are (upstream outputs)."""

    kms_key_arn: pulumi.Input[str]
    cluster_endpoint: pulumi.Input[str]
    db_port: pulumi.Input[int]
    db_name: pulumi.Input[str]
    master_secret_arn: pulumi.Input[str]  # the migration function's only
    cluster_resource_id: pulumi.Input[str]  # names the cluster in rds-db:connect ARNs
    transactions_table_name: pulumi.Input[str]
    transactions_table_arn: pulumi.Input[str]
    idempotency_table_name: pulumi.Input[str]
    idempotency_table_arn: pulumi.Input[str]
    audit_bucket_name: pulumi.Input[str]
    audit_bucket_arn: pulumi.Input[str]


@dataclass(frozen=True)
class FunctionSettings:
    """The environment-wide settings of the functions (from the stack config and environments.yaml)."""

    environment: str  # the profile: dev, staging or prod
    payment_api_endpoint: str
    payment_api_timeout_seconds: float
    max_amount_minor: int
    log_level: str
    powertools_service: str
    metrics_namespace: str


@dataclass(frozen=True)
class FunctionDeployment:
    """What every function of one environment is deployed with: the account, the package, the settings
    and endpoints it is told, the private subnets and security groups it runs in, its logs' retention."""

    region: str
    account_id: pulumi.Input[str]
    code: FunctionCode
    settings: FunctionSettings
    data: DataEndpoints
    subnet_ids: pulumi.Input[list[str]]
    security_group_ids: pulumi.Input[list[str]]
    log_retention_days: int


def function_environment(settings: FunctionSettings, data: DataEndpoints) -> dict[str, pulumi.Input[str]]:
    """Environment variables every function gets: names and endpoints, no credentials (Lambda wants strings)."""
    return {
        EnvVar.ENVIRONMENT.value: settings.environment,
        EnvVar.TRANSACTIONS_TABLE.value: data.transactions_table_name,
        EnvVar.IDEMPOTENCY_TABLE.value: data.idempotency_table_name,
        EnvVar.AUDIT_BUCKET.value: data.audit_bucket_name,
        EnvVar.DB_HOST.value: data.cluster_endpoint,
        EnvVar.DB_PORT.value: pulumi.Output.from_input(data.db_port).apply(lambda port: str(int(port))),
        EnvVar.DB_NAME.value: data.db_name,
        EnvVar.PAYMENT_API_ENDPOINT.value: settings.payment_api_endpoint,
        EnvVar.PAYMENT_API_TIMEOUT_SECONDS.value: _number(settings.payment_api_timeout_seconds),
        EnvVar.MAX_AMOUNT_MINOR.value: str(settings.max_amount_minor),
        EnvVar.POWERTOOLS_SERVICE_NAME.value: settings.powertools_service,
        EnvVar.POWERTOOLS_LOG_LEVEL.value: settings.log_level,
        EnvVar.POWERTOOLS_METRICS_NAMESPACE.value: settings.metrics_namespace,
    }


def database_user_environment(user: str) -> dict[str, pulumi.Input[str]]:
    """The database user a function logs in as with an IAM auth token (`payments.contract.DATABASE_USERS`)."""
    return {EnvVar.DB_USER.value: user}


def migration_environment(data: DataEndpoints) -> dict[str, pulumi.Input[str]]:
    """The master secret's ARN: set on the migration function only, whose role alone may read it."""
    return {EnvVar.DB_SECRET_ARN.value: data.master_secret_arn}


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class ReconcileSettings:
    """What the reconcile function is told (from the compute stack files, validated there)."""

    pending_threshold_seconds: int
    batch_size: int
    max_attempts: int


def reconcile_environment(settings: ReconcileSettings) -> dict[str, pulumi.Input[str]]:
    return {
        EnvVar.PENDING_THRESHOLD_SECONDS.value: str(settings.pending_threshold_seconds),
        EnvVar.RECONCILE_BATCH_SIZE.value: str(settings.batch_size),
        EnvVar.RECONCILE_MAX_ATTEMPTS.value: str(settings.max_attempts),
    }
