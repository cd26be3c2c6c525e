"""IAM policy documents of the compute layer, as pure functions of ARNs (no Pulumi, no AWS).

Each function's execution role gets exactly what its code does, on exactly its own environment's
resources: `FUNCTION_ACCESS` says what each function does, `function_policy` turns that and the
environment's ARNs into the role's inline policy. The only `Resource: "*"` statements are the
actions AWS does not let a policy scope, listed with the reason in `UNSCOPABLE_ACTIONS`.

Database access (issue 15): a function that talks to PostgreSQL gets `rds-db:connect` as its own
database user (`payments.contract.DATABASE_USERS`) and nothing else; only the migration function
may read the cluster's master secret. The scheduler's role (issue 16) may invoke exactly the
reconcile function and send undeliverable events to its dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from types import MappingProxyType
from typing import Any

from payments.contract import GET_PAYMENT, MIGRATE, PROCESS_PAYMENT, RECONCILE

from shared.components.policy_document import document, service_trust_policy

LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com"
SCHEDULER_SERVICE_PRINCIPAL = "scheduler.amazonaws.com"


@dataclass(frozen=True)
class UnscopableActions:
    sid: str
    actions: tuple[str, ...]
    reason: str


# The only grants on `Resource: "*"`. Written out instead of attaching the AWS managed
# AWSLambdaVPCAccessExecutionRole: that policy also grants logs:CreateLogGroup/CreateLogStream/
# PutLogEvents on "*", i.e. on every other environment's log groups.
UNSCOPABLE_ACTIONS: tuple[UnscopableActions, ...] = (
    UnscopableActions(
        sid="VpcNetworkInterfaces",
        actions=(
            "ec2:AssignPrivateIpAddresses",
            "ec2:CreateNetworkInterface",
            "ec2:DeleteNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:UnassignPrivateIpAddresses",
        ),
        reason=(
            "Lambda manages the Hyperplane ENIs of a VPC function with the execution role and checks these "
            "permissions on '*' when the function is created; ec2:Describe* has no resource-level permissions."
        ),
    ),
    UnscopableActions(
        sid="XRayTracing",
        actions=("xray:PutTelemetryRecords", "xray:PutTraceSegments"),
        reason="X-Ray trace segments and telemetry have no resource ARN; AWS only accepts Resource '*'.",
    ),
)


class Access(Enum):
    """One thing a function's code does with its environment's resources."""

    WRITE_TRANSACTION_LOG = "write-transaction-log"  # conditional PutItem, GetItem on a failed condition
    READ_TRANSACTION_LOG = "read-transaction-log"  # the daily check queries the merchant index for a day
    USE_IDEMPOTENCY_STORE = "use-idempotency-store"  # the Powertools DynamoDB persistence layer
    WRITE_AUDIT_RECORDS = "write-audit-records"  # PutObject of the audit record (SSE-KMS, bucket key)
    READ_AUDIT_RECORDS = "read-audit-records"  # the daily consistency check lists and reads a day of records
    CONNECT_AS_DB_USER = "connect-as-db-user"  # rds-db:connect as its own user (IAM database authentication)
    READ_MASTER_SECRET = "read-master-secret"  # the Aurora master secret: the migration function only
    SEND_FAILED_EVENTS = "send-failed-events"  # Lambda's on-failure destination of its asynchronous invocations


# What each function does (see functions/payments: handlers/, stores.py, reconcile.py, consistency.py,
# migrations). get-payment reads PostgreSQL only: no DynamoDB, no S3, no KMS data keys.
FUNCTION_ACCESS: Mapping[str, frozenset[Access]] = MappingProxyType(
    {
        PROCESS_PAYMENT.name: frozenset(
            {Access.WRITE_TRANSACTION_LOG, Access.USE_IDEMPOTENCY_STORE, Access.WRITE_AUDIT_RECORDS, Access.CONNECT_AS_DB_USER}
        ),
        GET_PAYMENT.name: frozenset({Access.CONNECT_AS_DB_USER}),
        # Records outcomes through the same store code as process-payment, and reads for the daily check.
        RECONCILE.name: frozenset(
            {
                Access.WRITE_TRANSACTION_LOG,
                Access.READ_TRANSACTION_LOG,
                Access.WRITE_AUDIT_RECORDS,
                Access.READ_AUDIT_RECORDS,
                Access.CONNECT_AS_DB_USER,
                Access.SEND_FAILED_EVENTS,
            }
        ),
        MIGRATE.name: frozenset({Access.READ_MASTER_SECRET}),
    }
)


def access_of(function: str) -> frozenset[Access]:
    try:
        return FUNCTION_ACCESS[function]
    except KeyError:
        raise ValueError(
            f"no access profile for function {function!r}: add it to shared/components/compute/policies.py FUNCTION_ACCESS"
        ) from None


@dataclass(frozen=True)
class PolicyTargets:
    """The ARNs and ids of one environment that a function's policy may name.

    Only what the function's access needs must be set: `function_policy` refuses a missing one.
    """

    kms_key_arn: str
    log_group_arn: str
    transactions_table_arn: str | None = None
    idempotency_table_arn: str | None = None
    audit_bucket_arn: str | None = None
    master_secret_arn: str | None = None
    dead_letter_queue_arn: str | None = None
    # rds-db:connect: arn:aws:rds-db:<region>:<account>:dbuser:<cluster resource id>/<user>
    region: str | None = None
    account_id: str | None = None
    cluster_resource_id: str | None = None
    db_user: str | None = None

    def require(self, access: Access, *names: str) -> tuple[str, ...]:
        missing = [n for n in names if not getattr(self, n)]
        if missing:
            raise ValueError(f"access {access.value!r} needs {', '.join(missing)} in the policy targets")
        return tuple(getattr(self, n) for n in names)


POLICY_TARGET_KEYS = tuple(f.name for f in fields(PolicyTargets))


def db_user_arn(region: str, account_id: str, cluster_resource_id: str, user: str) -> str:
    """The IAM resource of one database user of one Aurora cluster (IAM database authentication).

    The cluster is named by its resource id (`cluster-...`), not by its identifier: AWS checks
    `rds-db:connect` against `arn:aws:rds-db:<region>:<account>:dbuser:<DbClusterResourceId>/<user>`.
    """
    if not cluster_resource_id.startswith("cluster-"):
        raise ValueError(f"{cluster_resource_id!r} is not an Aurora cluster resource id (cluster-...)")
    return f"arn:aws:rds-db:{region}:{account_id}:dbuser:{cluster_resource_id}/{user}"


def statement(
    sid: str, actions: tuple[str, ...] | list[str], resources: list[str], condition: dict | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}
    if condition:
        body["Condition"] = condition
    return body


def lambda_trust_policy(account_id: str) -> dict[str, Any]:
    """Only the Lambda service, and only on behalf of this account (confused-deputy guard).

    No `aws:SourceArn` condition: Lambda does not always pass the function ARN when it assumes the
    role to set up a VPC function's network interfaces, and creating the function then fails.
    """
    return service_trust_policy(LAMBDA_SERVICE_PRINCIPAL, "LambdaOfThisAccount", account_id=account_id)


def function_policy(access: frozenset[Access], targets: PolicyTargets) -> dict[str, Any]:
    """The inline policy of one function's role: its own log group, then each access it needs."""
    statements = [
        # The log group exists (the program creates it), so no logs:CreateLogGroup.
        statement("WriteOwnLogs", ("logs:CreateLogStream", "logs:PutLogEvents"), [f"{targets.log_group_arn}:*"]),
        # Lambda decrypts the function's environment variables with the execution role; reading
        # the secret and every SSE-KMS resource below need Decrypt too.
        statement("UseEnvironmentKey", _kms_actions(access), [targets.kms_key_arn]),
    ]
    if Access.WRITE_TRANSACTION_LOG in access:
        (table,) = targets.require(Access.WRITE_TRANSACTION_LOG, "transactions_table_arn")
        statements.append(statement("WriteTransactionLog", ("dynamodb:GetItem", "dynamodb:PutItem"), [table]))
    if Access.READ_TRANSACTION_LOG in access:
        (table,) = targets.require(Access.READ_TRANSACTION_LOG, "transactions_table_arn")
        statements.append(statement("QueryTransactionLogIndexes", ("dynamodb:Query",), [f"{table}/index/*"]))
    if Access.USE_IDEMPOTENCY_STORE in access:
        (table,) = targets.require(Access.USE_IDEMPOTENCY_STORE, "idempotency_table_arn")
        statements.append(
            statement(
                "UseIdempotencyStore",
                ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                [table],
            )
        )
    if Access.WRITE_AUDIT_RECORDS in access:
        (bucket,) = targets.require(Access.WRITE_AUDIT_RECORDS, "audit_bucket_arn")
        statements.append(statement("WriteAuditRecords", ("s3:PutObject",), [f"{bucket}/*"]))
    if Access.READ_AUDIT_RECORDS in access:
        (bucket,) = targets.require(Access.READ_AUDIT_RECORDS, "audit_bucket_arn")
        # ListBucket makes a missing record a 404 (NoSuchKey) instead of a 403: the check reports it.
        statements.append(statement("ListAuditRecords", ("s3:ListBucket",), [bucket]))
        statements.append(statement("ReadAuditRecords", ("s3:GetObject",), [f"{bucket}/*"]))
    if Access.CONNECT_AS_DB_USER in access:
        user_arn = db_user_arn(
            *targets.require(Access.CONNECT_AS_DB_USER, "region", "account_id", "cluster_resource_id", "db_user")
        )
        statements.append(statement("ConnectAsOwnDatabaseUser", ("rds-db:connect",), [user_arn]))
    if Access.READ_MASTER_SECRET in access:
        (secret,) = targets.require(Access.READ_MASTER_SECRET, "master_secret_arn")
        statements.append(statement("ReadDatabaseMasterSecret", ("secretsmanager:GetSecretValue",), [secret]))
    if Access.SEND_FAILED_EVENTS in access:
        (queue,) = targets.require(Access.SEND_FAILED_EVENTS, "dead_letter_queue_arn")
        statements.append(statement("SendFailedEvents", ("sqs:SendMessage",), [queue]))
    statements += [statement(u.sid, u.actions, ["*"]) for u in UNSCOPABLE_ACTIONS]
    return document(*statements)


def _kms_actions(access: frozenset[Access]) -> tuple[str, ...]:
    # New data keys are needed only to write KMS-encrypted data: DynamoDB items, S3 objects, SQS messages.
    writes = {Access.WRITE_TRANSACTION_LOG, Access.USE_IDEMPOTENCY_STORE, Access.WRITE_AUDIT_RECORDS, Access.SEND_FAILED_EVENTS}
    return ("kms:Decrypt", "kms:GenerateDataKey") if access & writes else ("kms:Decrypt",)


def unscopable_actions() -> frozenset[str]:
    return frozenset(a for u in UNSCOPABLE_ACTIONS for a in u.actions)


# --- EventBridge Scheduler (issue 16) ---------------------------------------------------------------


def schedule_group_arn(region: str, account_id: str, group_name: str) -> str:
    return f"arn:aws:scheduler:{region}:{account_id}:schedule-group/{group_name}"


def scheduler_trust_policy(account_id: str, group_arn: str) -> dict[str, Any]:
    """Only EventBridge Scheduler, for schedules of this account's group (confused-deputy guard).

    AWS documents `aws:SourceArn` as the schedule GROUP's ARN for this role, never a schedule's.
    """
    return service_trust_policy(SCHEDULER_SERVICE_PRINCIPAL, "SchedulerOfThisGroup", account_id=account_id, source_arn_like=group_arn)


def scheduler_policy(function_arn: str, dead_letter_queue_arn: str, kms_key_arn: str) -> dict[str, Any]:
    """Invoke exactly one function; hand an event it could not deliver to the (KMS-encrypted) DLQ."""
    return document(
        statement("InvokeReconcileFunction", ("lambda:InvokeFunction",), [function_arn]),
        statement("SendUndeliveredEvents", ("sqs:SendMessage",), [dead_letter_queue_arn]),
        # SQS server-side encryption with a customer managed key: the sender needs a data key.
        statement("EncryptUndeliveredEvents", ("kms:Decrypt", "kms:GenerateDataKey"), [kms_key_arn]),
    )
