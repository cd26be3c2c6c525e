"""Issue 15 on the rendered plans: each function logs in to Aurora as its own user, and only the
migration function's role can read the master secret."""

from __future__ import annotations

import json
import re

from payments.contract import DATABASE_USERS, FUNCTIONS, MIGRATE, RECONCILE
from shared.contracts import COMPUTE, DATA, DataOutputs

FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ALL_FUNCTIONS = (*FUNCTIONS, RECONCILE, MIGRATE)


def policy_of_function(compute) -> dict[str, dict]:
    """Logical function name -> its role's parsed inline policy (joined by the role's name)."""
    by_role = {p.inputs["role"]: json.loads(p.inputs["policy"]) for p in compute.of_type(ROLE_POLICY)}
    found = {}
    for spec in ALL_FUNCTIONS:
        (fn,) = [f for f in compute.of_type(FUNCTION) if f.inputs["handler"] == spec.handler]
        role_name = fn.inputs["role"].rsplit("/", 1)[-1]
        found[spec.name] = by_role[role_name]
    return found


def granted(document: dict, action: str) -> set[str]:
    return {r for s in document["Statement"] if action in s["Action"] for r in s["Resource"]}


def test_each_function_connects_as_its_own_user_of_its_own_cluster_only(env_plan):
    resource_id = env_plan.layer("data").outputs[DataOutputs.CLUSTER_RESOURCE_ID]
    assert re.fullmatch(r"cluster-[A-Z0-9]{26}", resource_id), resource_id
    policies = policy_of_function(env_plan.layer("compute"))
    for name, document in policies.items():
        connect = granted(document, "rds-db:connect")
        if name == MIGRATE.name:
            assert connect == set(), "the migration function logs in with the master secret, not as an IAM user"
            continue
        user = DATABASE_USERS[name].name
        assert connect == {f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{resource_id}/{user}"}, name
    users = [next(iter(granted(d, "rds-db:connect"))) for n, d in policies.items() if n != MIGRATE.name]
    assert len(set(users)) == len(users), "no two functions share a database user"


def test_the_cluster_resource_id_comes_from_the_data_layer_through_the_contract():
    assert DataOutputs.CLUSTER_RESOURCE_ID in DATA.exports
    assert DataOutputs.CLUSTER_RESOURCE_ID in COMPUTE.requires[DATA.project]


def test_only_the_migration_function_can_read_the_master_secret(env_plan):
    secret = env_plan.layer("data").outputs[DataOutputs.MASTER_SECRET_ARN]
    assert ":secret:rds!cluster-" in secret, "the mock answers with an RDS-managed secret's ARN"
    compute = env_plan.layer("compute")
    readers = {
        name
        for name, document in policy_of_function(compute).items()
        if any(a.startswith("secretsmanager:") for s in document["Statement"] for a in s["Action"])
    }
    assert readers == {MIGRATE.name}
    assert granted(policy_of_function(compute)[MIGRATE.name], "secretsmanager:GetSecretValue") == {secret}
    for p in compute.of_type(ROLE_POLICY):
        if secret in p.inputs["policy"]:
            assert p.inputs["role"].endswith(f"-{MIGRATE.name}-role"), p.urn
