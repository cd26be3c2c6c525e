"""The rendered IAM documents of every environment: scoped to that environment and to nothing else."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from shared.contracts import ComputeOutputs, DataOutputs
from shared.components.compute.policies import unscopable_actions
from platform_tools.plan.cli import STANDARD_ENVIRONMENTS

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def policies(env_plan) -> list[tuple[str, dict[str, Any]]]:
    """(urn, parsed document) of every inline policy of the compute layer."""
    found = [(p.urn, json.loads(p.inputs["policy"])) for p in env_plan.layer("compute").of_type(ROLE_POLICY)]
    assert found, "the compute layer renders role policies"
    return found


def policy_resources(document: dict[str, Any]) -> set[str]:
    return {r for statement in document["Statement"] for r in statement["Resource"] if r != "*"}


def base(resource: str) -> str:
    """The resource an ARN pattern is about: the table, bucket, log group ... without `/*`, `:*`, `/index/*`."""
    return resource.removesuffix("/*").removesuffix(":*").removesuffix("/index")


def arns_in(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value} if value.startswith("arn:") else set()
    if isinstance(value, dict):
        return set().union(*(arns_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(arns_in(v) for v in value)) if value else set()
    return set()


def environment_arns(env_plan) -> set[str]:
    """Every ARN an environment's plan mentions: all layers' outputs and resources."""
    found: set[str] = set()
    for layer in env_plan.layers:
        found |= arns_in(layer.outputs)
        for resource in layer.resources:
            found |= arns_in(resource.outputs) | arns_in({k: v for k, v in resource.inputs.items() if k != "policy"})
    return found


def own_arns(env_plan) -> set[str]:
    """What a policy of this environment may name: the data layer's outputs and the compute layer's own ARNs."""
    compute = env_plan.layer("compute")
    return arns_in(env_plan.layer("data").outputs) | {r.outputs["arn"] for r in compute.resources if "arn" in r.outputs}


def test_no_wildcard_actions_and_star_resources_only_where_named(env_plan):
    for urn, document in policies(env_plan):
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow", urn
            actions = statement["Action"]
            for action in actions:
                assert "*" not in action, f"{urn}: {action}"
            if "*" in statement["Resource"]:
                assert set(actions) <= unscopable_actions(), f"{urn}: {statement['Sid']} uses Resource '*'"


def test_every_arn_belongs_to_the_environment(env_plan):
    own = own_arns(env_plan)
    data = env_plan.layer("data").outputs
    # rds-db:connect names a database user of this environment's cluster (by its resource id).
    db_users = f"arn:aws:rds-db:us-east-1:123456789012:dbuser:{data[DataOutputs.CLUSTER_RESOURCE_ID]}/"
    named = set()
    for urn, document in policies(env_plan):
        for resource in policy_resources(document):
            if resource.startswith("arn:aws:rds-db:"):
                assert resource.startswith(db_users), f"{urn}: {resource} is not a user of {env_plan.environment}'s cluster"
                continue
            assert base(resource) in own, f"{urn}: {resource} is not a resource of {env_plan.environment}"
            named.add(base(resource))
    # Not vacuous: the environment's own data resources are what the policies name.
    for key in (DataOutputs.TRANSACTIONS_TABLE_ARN, DataOutputs.IDEMPOTENCY_TABLE_ARN, DataOutputs.AUDIT_BUCKET_ARN,
                DataOutputs.MASTER_SECRET_ARN, DataOutputs.KMS_KEY_ARN):  # fmt: skip
        assert data[key] in named, key


def test_trust_policies_are_this_accounts_lambda_or_this_environments_scheduler_group(env_plan):
    compute = env_plan.layer("compute")
    group = compute.outputs[ComputeOutputs.SCHEDULE_GROUP_NAME]
    principals = []
    for role in compute.of_type(ROLE):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Action"] == "sts:AssumeRole", role.urn
        principals.append(statement["Principal"]["Service"])
        condition = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
        if statement["Principal"] == {"Service": "scheduler.amazonaws.com"}:
            condition["ArnLike"] = {"aws:SourceArn": f"arn:aws:scheduler:us-east-1:123456789012:schedule-group/{group}"}
        else:
            assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}, role.urn
        assert statement["Condition"] == condition, role.urn
    assert principals.count("scheduler.amazonaws.com") == 1


@pytest.mark.parametrize("env_a, env_b", list(itertools.permutations(STANDARD_ENVIRONMENTS, 2)))
def test_no_policy_of_one_environment_names_a_resource_of_another(plans, env_a, env_b):
    theirs = environment_arns(plans[env_b])
    assert len(theirs) > 10, f"{env_b} renders its resources"
    prefix_b = f"acme-payments-{env_b}-"
    for urn, document in policies(plans[env_a]):
        for resource in policy_resources(document):
            assert base(resource) not in theirs, f"{urn}: {resource} belongs to {env_b}"
            assert prefix_b not in resource, f"{urn}: {resource} is named like a {env_b} resource"
