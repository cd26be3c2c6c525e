"""IAM policy documents of the payment functions, as pure functions of ARNs (no Pulumi, no AWS).

Each function's execution role gets exactly what its code does, on exactly its own environment's
resources: `FUNCTION_ACCESS` says what each function does, `function_policy` turns that and the
environment's ARNs into the role's inline policy. The only `Resource: "*"` statements are the
actions AWS does not let a policy scope, listed with the reason in `UNSCOPABLE_ACTIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Any

from payments.contract import GET_PAYMENT, PROCESS_PAYMENT

from shared.components.policy_document import document, service_trust_policy

LAMBDA_SERVICE_PRINCIPAL = "lambda.amazonaws.com"


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
    USE_IDEMPOTENCY_STORE = "use-idempotency-store"  # the Powertools DynamoDB persistence layer
    WRITE_AUDIT_RECORDS = "write-audit-records"  # PutObject of the audit record (SSE-KMS, bucket key)
    READ_DB_SECRET = "read-db-secret"  # the Aurora master secret, to connect with pg8000
    SEND_TO_DLQ = "send-to-dlq"  # Lambda's on-failure destination of asynchronous invocations


# What each payment function does (see functions/payments: runtime.py, stores.py, handlers/).
# get-payment reads PostgreSQL only: no DynamoDB, no S3 writes, no KMS data keys, no DLQ.
FUNCTION_ACCESS: Mapping[str, frozenset[Access]] = MappingProxyType(
    {
        PROCESS_PAYMENT.name: frozenset(Access),
        GET_PAYMENT.name: frozenset({Access.READ_DB_SECRET}),
    }
)


def access_of(function: str) -> frozenset[Access]:
    try:
        return FUNCTION_ACCESS[function]
    except KeyError:
        raise ValueError(
            f"no access profile for function {function!r}: add it to shared/iam_policies.py FUNCTION_ACCESS"
        ) from None


@dataclass(frozen=True)
class PolicyTargets:
    """The ARNs of one environment that a function's policy may name."""

    transactions_table_arn: str
    idempotency_table_arn: str
    audit_bucket_arn: str
    master_secret_arn: str
    kms_key_arn: str
    dead_letter_queue_arn: str
    log_group_arn: str


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
        statements.append(
            statement("WriteTransactionLog", ("dynamodb:GetItem", "dynamodb:PutItem"), [targets.transactions_table_arn])
        )
    if Access.USE_IDEMPOTENCY_STORE in access:
        statements.append(
            statement(
                "UseIdempotencyStore",
                ("dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
                [targets.idempotency_table_arn],
            )
        )
    if Access.WRITE_AUDIT_RECORDS in access:
        statements.append(statement("WriteAuditRecords", ("s3:PutObject",), [f"{targets.audit_bucket_arn}/*"]))
    if Access.READ_DB_SECRET in access:
        statements.append(statement("ReadDatabaseSecret", ("secretsmanager:GetSecretValue",), [targets.master_secret_arn]))
    if Access.SEND_TO_DLQ in access:
        statements.append(statement("SendFailedEvents", ("sqs:SendMessage",), [targets.dead_letter_queue_arn]))
    statements += [statement(u.sid, u.actions, ["*"]) for u in UNSCOPABLE_ACTIONS]
    return document(*statements)


def _kms_actions(access: frozenset[Access]) -> tuple[str, ...]:
    # New data keys are needed only to write KMS-encrypted data: DynamoDB items, S3 objects, SQS messages.
    writes = {Access.WRITE_TRANSACTION_LOG, Access.USE_IDEMPOTENCY_STORE, Access.WRITE_AUDIT_RECORDS, Access.SEND_TO_DLQ}
    return ("kms:Decrypt", "kms:GenerateDataKey") if access & writes else ("kms:Decrypt",)


def unscopable_actions() -> frozenset[str]:
    return frozenset(a for u in UNSCOPABLE_ACTIONS for a in u.actions)
