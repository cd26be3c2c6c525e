"""The policy builders on their own: what each function is allowed, and that nothing is wider."""

from __future__ import annotations

import pytest

from payments.contract import FUNCTIONS, GET_PAYMENT, PROCESS_PAYMENT
from shared.components.compute.policies import (
    FUNCTION_ACCESS,
    UNSCOPABLE_ACTIONS,
    Access,
    PolicyTargets,
    access_of,
    function_policy,
    lambda_trust_policy,
    unscopable_actions,
)

TARGETS = PolicyTargets(
    transactions_table_arn="arn:aws:dynamodb:us-east-1:111122223333:table/t",
    idempotency_table_arn="arn:aws:dynamodb:us-east-1:111122223333:table/i",
    audit_bucket_arn="arn:aws:s3:::audit",
    master_secret_arn="arn:aws:secretsmanager:us-east-1:111122223333:secret:s-AbCdEf",
    kms_key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
    dead_letter_queue_arn="arn:aws:sqs:us-east-1:111122223333:dlq",
    log_group_arn="arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f",
)


def grants(document: dict) -> dict[str, set[str]]:
    """action -> resources it is allowed on."""
    found: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            found.setdefault(action, set()).update(statement["Resource"])
    return found


def test_every_payment_function_has_an_access_profile():
    assert set(FUNCTION_ACCESS) == {spec.name for spec in FUNCTIONS}
    with pytest.raises(ValueError, match="no access profile for function 'refund'"):
        access_of("refund")


def test_trust_policy_admits_only_lambda_of_this_account():
    (statement,) = lambda_trust_policy("111122223333")["Statement"]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}}


def test_process_payment_gets_exactly_what_it_does():
    found = grants(function_policy(access_of(PROCESS_PAYMENT.name), TARGETS))
    expected = {
        "logs:CreateLogStream": {f"{TARGETS.log_group_arn}:*"},
        "logs:PutLogEvents": {f"{TARGETS.log_group_arn}:*"},
        "kms:Decrypt": {TARGETS.kms_key_arn},
        "kms:GenerateDataKey": {TARGETS.kms_key_arn},
        "dynamodb:PutItem": {TARGETS.transactions_table_arn, TARGETS.idempotency_table_arn},
        "dynamodb:GetItem": {TARGETS.transactions_table_arn, TARGETS.idempotency_table_arn},
        "dynamodb:UpdateItem": {TARGETS.idempotency_table_arn},
        "dynamodb:DeleteItem": {TARGETS.idempotency_table_arn},
        "s3:PutObject": {f"{TARGETS.audit_bucket_arn}/*"},
        "secretsmanager:GetSecretValue": {TARGETS.master_secret_arn},
        "sqs:SendMessage": {TARGETS.dead_letter_queue_arn},
    } | {action: {"*"} for action in unscopable_actions()}
    assert found == expected


def test_get_payment_reads_the_secret_and_writes_nothing():
    found = grants(function_policy(access_of(GET_PAYMENT.name), TARGETS))
    scoped = {a: r for a, r in found.items() if a not in unscopable_actions()}
    assert scoped == {
        "logs:CreateLogStream": {f"{TARGETS.log_group_arn}:*"},
        "logs:PutLogEvents": {f"{TARGETS.log_group_arn}:*"},
        "kms:Decrypt": {TARGETS.kms_key_arn},
        "secretsmanager:GetSecretValue": {TARGETS.master_secret_arn},
    }


def access_id(access: frozenset) -> str:
    """A test id that is the same in every process (a frozenset's str order follows the hash seed)."""
    return "+".join(sorted(a.name for a in access)) or "none"


@pytest.mark.parametrize("access", [frozenset(), frozenset(Access), *[frozenset({a}) for a in Access]], ids=access_id)
def test_no_wildcard_action_and_star_resources_only_for_the_named_exceptions(access):
    for statement in function_policy(access, TARGETS)["Statement"]:
        for action in statement["Action"]:
            service, name = action.split(":")
            assert "*" not in action and service and name, action
        if "*" in statement["Resource"]:
            assert statement["Resource"] == ["*"]
            assert set(statement["Action"]) <= unscopable_actions(), statement["Sid"]
        else:
            assert all(r.startswith("arn:aws:") for r in statement["Resource"]), statement


def test_each_unscopable_exception_says_why():
    for exception in UNSCOPABLE_ACTIONS:
        assert len(exception.reason) > 40 and exception.actions, exception.sid
    assert "logs:PutLogEvents" not in unscopable_actions()  # logs are scoped to the function's own group
