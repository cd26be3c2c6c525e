"""The policy builders on their own: what each function is allowed, and that nothing is wider."""

from __future__ import annotations

import pytest

import dataclasses

from payments.contract import DATABASE_USERS, FUNCTIONS, GET_PAYMENT, MIGRATE, PROCESS_PAYMENT, RECONCILE
from shared.components.compute.policies import (
    FUNCTION_ACCESS,
    UNSCOPABLE_ACTIONS,
    Access,
    PolicyTargets,
    access_of,
    db_user_arn,
    function_policy,
    lambda_trust_policy,
    schedule_group_arn,
    scheduler_policy,
    scheduler_trust_policy,
    unscopable_actions,
)

RESOURCE_ID = "cluster-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TARGETS = PolicyTargets(
    transactions_table_arn="arn:aws:dynamodb:us-east-1:111122223333:table/t",
    idempotency_table_arn="arn:aws:dynamodb:us-east-1:111122223333:table/i",
    audit_bucket_arn="arn:aws:s3:::audit",
    master_secret_arn="arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!cluster-1-AbCdEf",
    kms_key_arn="arn:aws:kms:us-east-1:111122223333:key/k",
    dead_letter_queue_arn="arn:aws:sqs:us-east-1:111122223333:dlq",
    log_group_arn="arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f",
    region="us-east-1",
    account_id="111122223333",
    cluster_resource_id=RESOURCE_ID,
    db_user="payments_writer",
)


def user_arn(user: str) -> str:
    return f"arn:aws:rds-db:us-east-1:111122223333:dbuser:{RESOURCE_ID}/{user}"


def grants(document: dict) -> dict[str, set[str]]:
    """action -> resources it is allowed on."""
    found: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for action in statement["Action"]:
            found.setdefault(action, set()).update(statement["Resource"])
    return found


def test_every_function_has_an_access_profile():
    assert set(FUNCTION_ACCESS) == {spec.name for spec in (*FUNCTIONS, RECONCILE, MIGRATE)}
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
        "rds-db:connect": {user_arn("payments_writer")},
    } | {action: {"*"} for action in unscopable_actions()}
    assert found == expected


def test_get_payment_connects_as_its_user_and_writes_nothing():
    targets = dataclasses.replace(TARGETS, db_user="payments_reader")
    found = grants(function_policy(access_of(GET_PAYMENT.name), targets))
    scoped = {a: r for a, r in found.items() if a not in unscopable_actions()}
    assert scoped == {
        "logs:CreateLogStream": {f"{TARGETS.log_group_arn}:*"},
        "logs:PutLogEvents": {f"{TARGETS.log_group_arn}:*"},
        "kms:Decrypt": {TARGETS.kms_key_arn},
        "rds-db:connect": {user_arn("payments_reader")},
    }


def test_only_the_migration_function_reads_the_master_secret_and_it_touches_no_data_store():
    readers = [name for name, access in FUNCTION_ACCESS.items() if Access.READ_MASTER_SECRET in access]
    assert readers == [MIGRATE.name]
    found = grants(function_policy(access_of(MIGRATE.name), TARGETS))
    scoped = {a: r for a, r in found.items() if a not in unscopable_actions()}
    assert scoped == {
        "logs:CreateLogStream": {f"{TARGETS.log_group_arn}:*"},
        "logs:PutLogEvents": {f"{TARGETS.log_group_arn}:*"},
        "kms:Decrypt": {TARGETS.kms_key_arn},
        "secretsmanager:GetSecretValue": {TARGETS.master_secret_arn},
    }


def test_reconcile_records_outcomes_reads_for_the_check_and_sends_failures_to_its_queue():
    targets = dataclasses.replace(TARGETS, db_user="payments_reconciler")
    found = grants(function_policy(access_of(RECONCILE.name), targets))
    table = TARGETS.transactions_table_arn
    scoped = {a: r for a, r in found.items() if a not in unscopable_actions() and not a.startswith("logs:")}
    assert scoped == {
        "kms:Decrypt": {TARGETS.kms_key_arn},
        "kms:GenerateDataKey": {TARGETS.kms_key_arn},
        "dynamodb:GetItem": {table},
        "dynamodb:PutItem": {table},
        "dynamodb:Query": {f"{table}/index/*"},
        "s3:PutObject": {f"{TARGETS.audit_bucket_arn}/*"},
        "s3:GetObject": {f"{TARGETS.audit_bucket_arn}/*"},
        "s3:ListBucket": {TARGETS.audit_bucket_arn},
        "rds-db:connect": {user_arn("payments_reconciler")},
        "sqs:SendMessage": {TARGETS.dead_letter_queue_arn},
    }


def test_database_users_are_the_contracts_and_distinct():
    users = {name: DATABASE_USERS[name].name for name, access in FUNCTION_ACCESS.items() if Access.CONNECT_AS_DB_USER in access}
    assert set(users) == {PROCESS_PAYMENT.name, GET_PAYMENT.name, RECONCILE.name}
    assert len(set(users.values())) == len(users)
    assert all(DATABASE_USERS[name].login for name in users)


def test_db_user_arn_names_the_cluster_by_resource_id():
    assert db_user_arn("us-east-1", "111122223333", RESOURCE_ID, "payments_reader") == user_arn("payments_reader")
    with pytest.raises(ValueError, match="not an Aurora cluster resource id"):
        db_user_arn("us-east-1", "111122223333", "acme-payments-dev-aurora", "payments_reader")


def test_a_missing_target_is_refused_naming_it():
    bare = PolicyTargets(kms_key_arn=TARGETS.kms_key_arn, log_group_arn=TARGETS.log_group_arn)
    with pytest.raises(ValueError, match="'connect-as-db-user' needs region, account_id, cluster_resource_id, db_user"):
        function_policy(frozenset({Access.CONNECT_AS_DB_USER}), bare)


def test_scheduler_role_is_this_groups_and_invokes_exactly_one_function():
    group = schedule_group_arn("us-east-1", "111122223333", "acme-payments-dev-schedules")
    assert group == "arn:aws:scheduler:us-east-1:111122223333:schedule-group/acme-payments-dev-schedules"
    (trust,) = scheduler_trust_policy("111122223333", group)["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "111122223333"}, "ArnLike": {"aws:SourceArn": group}}
    fn = "arn:aws:lambda:us-east-1:111122223333:function:acme-payments-dev-reconcile"
    assert grants(scheduler_policy(fn, TARGETS.dead_letter_queue_arn, TARGETS.kms_key_arn)) == {
        "lambda:InvokeFunction": {fn},
        "sqs:SendMessage": {TARGETS.dead_letter_queue_arn},
        "kms:Decrypt": {TARGETS.kms_key_arn},
        "kms:GenerateDataKey": {TARGETS.kms_key_arn},
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
