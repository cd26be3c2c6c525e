"""Each guardrail passes on the real plans of every environment and fails on a plan altered to break it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest

from platform_tools.guardrails.check import check_environment, declared_nat_mode
from platform_tools.guardrails.rules import RULES, RULES_BY_ID
from platform_tools.plan.engine import EnvironmentPlan, PlannedResource

CLUSTER = "aws:rds/cluster:Cluster"
TABLE = "aws:dynamodb/table:Table"
BUCKET = "aws:s3/bucket:Bucket"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FUNCTION = "aws:lambda/function:Function"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
QUEUE = "aws:sqs/queue:Queue"
TOPIC = "aws:sns/topic:Topic"
API_ROUTE = "aws:apigatewayv2/route:Route"
PERMISSION = "aws:lambda/permission:Permission"


def violations(plan: EnvironmentPlan, rule: str) -> list:
    return [v for result in check_environment(plan, [RULES_BY_ID[rule]]) for v in result.violations]


@pytest.mark.parametrize("rule", [r.id for r in RULES])
def test_every_rule_passes_on_the_real_plans(plans, rule):
    for env, plan in plans.items():
        found = violations(plan, rule)
        assert not found, f"{env}: " + "\n".join(f"{v.urn}: {v.message}" for v in found)


def test_every_rule_names_its_requirement():
    for rule in RULES:
        assert len(rule.requirement) > 20 and rule.scope in ("resource", "stack"), rule


# --- breaking the plans -----------------------------------------------------------------------------


def first(plan: EnvironmentPlan, type_: str, where: Callable[[PlannedResource], bool] = lambda r: True) -> PlannedResource:
    for layer in plan.layers:
        for resource in layer.resources:
            if resource.type == type_ and where(resource):
                return resource
    raise AssertionError(f"the {plan.environment} plan has no {type_} to break: the rule would be untested")


def drop(plan: EnvironmentPlan, resource: PlannedResource) -> str:
    for layer in plan.layers:
        if resource in layer.resources:
            layer.resources.remove(resource)
    return resource.urn


def set_input(type_: str, key: str, value, where=lambda r: True) -> Callable[[EnvironmentPlan], str]:
    def mutate(plan):
        r = first(plan, type_, where)
        if value is None:
            r.inputs.pop(key, None)
        else:
            r.inputs[key] = value
        return r.urn

    return mutate


def audit_bucket(plan) -> PlannedResource:
    return first(plan, BUCKET, lambda r: r.inputs.get("bucket") == f"acme-payments-{plan.environment}-audit")


def bucket_urn(plan):
    return audit_bucket(plan).urn


def of_audit_bucket(plan) -> Callable[[PlannedResource], bool]:
    """A bucket part (policy, versioning, ...) of the audit bucket, not of its access-log bucket."""
    bucket_id = audit_bucket(plan).id
    return lambda r: r.inputs.get("bucket") == bucket_id


def add_statement(statement):
    def mutate(plan):
        r = first(plan, ROLE_POLICY)
        document = json.loads(r.inputs["policy"]) if isinstance(r.inputs["policy"], str) else r.inputs["policy"]
        document["Statement"] = [*document["Statement"], statement] if isinstance(document["Statement"], list) else [document["Statement"], statement]
        r.inputs["policy"] = json.dumps(document)
        return r.urn

    return mutate


def grant_master_secret(function: str, action: str, resource: str | None = None):
    """Let a payment function's role read the master secret (or a pattern that covers it)."""

    def mutate(plan):
        secret = plan.layer("data").outputs["masterSecretArn"]
        r = first(plan, ROLE_POLICY, lambda p: p.inputs["role"].endswith(f"-{function}-role"))
        document = json.loads(r.inputs["policy"])
        document["Statement"].append({"Sid": "Sneaky", "Effect": "Allow", "Action": [action], "Resource": [resource or secret]})
        r.inputs["policy"] = json.dumps(document)
        return r.urn

    return mutate


def remove_tag(plan):
    r = first(plan, TABLE)
    r.tags = {k: v for k, v in r.tags.items() if k != "CostCenter"}
    return r.urn


def set_protect(plan):
    r = first(plan, TABLE)
    r.protect = True
    return r.urn


def set_retain(plan):
    r = first(plan, BUCKET)
    r.retain_on_delete = True
    return r.urn


def force_ssl_off(plan):
    r = first(plan, PARAMETER_GROUP)
    r.inputs["parameters"] = [p if p["name"] != "rds.force_ssl" else {**p, "value": "0"} for p in r.inputs["parameters"]]
    return r.urn


def pab_flag_off(plan):
    r = first(plan, PAB, of_audit_bucket(plan))
    r.inputs["restrictPublicBuckets"] = False
    return r.urn


def drop_bucket_part(type_):
    def mutate(plan):
        drop(plan, first(plan, type_, of_audit_bucket(plan)))
        return bucket_urn(plan)

    return mutate


def tls_deny_removed(plan):
    r = first(plan, BUCKET_POLICY, of_audit_bucket(plan))
    document = json.loads(r.inputs["policy"]) if isinstance(r.inputs["policy"], str) else r.inputs["policy"]
    document["Statement"] = [s for s in document["Statement"] if s.get("Effect") != "Deny"]
    r.inputs["policy"] = json.dumps(document)
    return bucket_urn(plan)


def versioning_suspended(plan):
    r = first(plan, VERSIONING, of_audit_bucket(plan))
    r.inputs["versioningConfiguration"] = {**r.inputs["versioningConfiguration"], "status": "Suspended"}
    return bucket_urn(plan)


def sse_aes256(plan):
    r = first(plan, SSE, of_audit_bucket(plan))
    r.inputs["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    return r.urn


def open_ingress(plan):
    r = first(plan, SG_INGRESS)
    r.inputs.pop("referencedSecurityGroupId", None)
    r.inputs["cidrIpv4"] = "0.0.0.0/0"
    return r.urn


def declare_nat_mode(mode, anchor_type):
    def mutate(plan):
        plan.layer("network").outputs["natMode"] = mode
        return first(plan, anchor_type).urn

    return mutate


def scope_permission_to(rewrite):
    """Rewrite the API Gateway permission's source ARN (e.g. to the whole API)."""

    def mutate(plan):
        r = first(plan, PERMISSION, lambda p: p.inputs.get("principal") == "apigateway.amazonaws.com")
        r.inputs["sourceArn"] = rewrite(r.inputs["sourceArn"])
        return r.urn

    return mutate


BREAKS = [
    ("required-tags", "prod", remove_tag),
    ("environment-suffix-in-names", "staging", set_input(BUCKET, "bucket", "acme-payments-audit-bucket")),
    ("environment-suffix-in-names", "prod", set_input(FUNCTION, "name", "acme-payments-get-payment")),
    ("encryption-at-rest-cmk", "prod", set_input(CLUSTER, "kmsKeyId", None)),
    ("encryption-at-rest-cmk", "prod", set_input(CLUSTER, "storageEncrypted", False)),
    ("encryption-at-rest-cmk", "dev", set_input(TABLE, "serverSideEncryption", {"enabled": False})),
    ("encryption-at-rest-cmk", "dev", set_input(LOG_GROUP, "kmsKeyId", None)),
    ("encryption-at-rest-cmk", "staging", set_input(QUEUE, "kmsMasterKeyId", "alias/aws/sqs")),
    ("encryption-at-rest-cmk", "staging", set_input(TOPIC, "kmsMasterKeyId", None)),
    ("encryption-at-rest-cmk", "prod", sse_aes256),
    ("s3-bucket-controls", "dev", drop_bucket_part(PAB)),
    ("s3-bucket-controls", "dev", pab_flag_off),
    ("s3-bucket-controls", "staging", drop_bucket_part(SSE)),
    ("s3-bucket-controls", "staging", tls_deny_removed),
    ("s3-bucket-controls", "prod", versioning_suspended),
    ("no-public-ingress", "prod", open_ingress),
    ("iam-no-wildcard-action", "dev", add_statement({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::acme-payments-dev-audit/*"})),
    ("iam-no-wildcard-action", "prod", add_statement({"Effect": "Allow", "Action": ["*"], "Resource": "arn:aws:s3:::x"})),
    ("iam-no-wildcard-resource", "prod", add_statement({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"})),
    ("master-secret-migration-only", "prod", grant_master_secret("get-payment", "secretsmanager:GetSecretValue")),
    ("master-secret-migration-only", "dev", grant_master_secret("reconcile", "secretsmanager:Get*", "arn:aws:secretsmanager:us-east-1:123456789012:secret:*")),
    ("lambda-vpc-tracing", "prod", set_input(FUNCTION, "vpcConfig", None)),
    ("lambda-vpc-tracing", "dev", set_input(FUNCTION, "tracingConfig", {"mode": "PassThrough"})),
    ("log-group-retention", "staging", set_input(LOG_GROUP, "retentionInDays", 0)),
    ("log-group-retention", "prod", set_input(LOG_GROUP, "retentionInDays", None)),
    ("aurora-backups", "prod", set_input(CLUSTER, "backupRetentionPeriod", None)),
    ("aurora-backups", "dev", set_input(CLUSTER, "backupRetentionPeriod", 0)),
    ("aurora-tls-forced", "prod", force_ssl_off),
    ("aurora-tls-forced", "staging", set_input(CLUSTER, "dbClusterParameterGroupName", None)),
    ("destroyable", "prod", set_protect),
    ("destroyable", "staging", set_retain),
    ("destroyable", "prod", set_input(CLUSTER, "deletionProtection", True)),
    ("destroyable", "prod", set_input(TABLE, "deletionProtectionEnabled", True)),
    ("api-routes-authenticated", "prod", set_input(API_ROUTE, "authorizationType", "NONE")),
    ("api-routes-authenticated", "dev", set_input(API_ROUTE, "authorizationType", None)),
    ("api-routes-authenticated", "staging", set_input(API_ROUTE, "authorizerId", None)),
    ("api-routes-authenticated", "staging", set_input(API_ROUTE, "authorizationScopes", [])),
    ("lambda-permission-scoped", "prod", set_input(PERMISSION, "sourceArn", None)),
    ("lambda-permission-scoped", "dev", scope_permission_to(lambda arn: arn.split("/", 1)[0] + "/*")),
    ("lambda-permission-scoped", "staging", scope_permission_to(lambda arn: arn.split("/", 1)[0] + "/*/*/*")),
    ("lambda-permission-scoped", "prod", scope_permission_to(lambda arn: arn.rsplit(":", 1)[0] + ":*/*/POST/payments")),
    ("nat-instances-where-declared", "dev", declare_nat_mode("gateway", "aws:autoscaling/group:Group")),
    ("nat-instances-where-declared", "prod", declare_nat_mode("instance", "aws:ec2/natGateway:NatGateway")),
]


@pytest.mark.parametrize(("rule", "env", "mutate"), BREAKS, ids=[f"{r}-{e}-{i}" for i, (r, e, _) in enumerate(BREAKS)])
def test_rule_fails_on_a_broken_plan(plans, rule, env, mutate):
    broken = copy.deepcopy(plans[env])
    urn = mutate(broken)
    found = violations(broken, rule)
    assert any(v.urn == urn for v in found), f"{rule} did not flag {urn}; it reported {[(v.urn, v.message) for v in found]}"


def test_every_rule_has_a_breaking_case():
    assert {r.id for r in RULES} == {rule for rule, _, _ in BREAKS}


def test_nat_mode_is_read_from_the_rendered_network_outputs(plans):
    assert {env: declared_nat_mode(plan) for env, plan in plans.items()} == {"dev": "instance", "staging": "gateway", "prod": "gateway"}


def test_the_json_plan_gives_the_same_verdicts(plans):
    """`invoke plan --json` output adapts to the same views (minus dependency edges, which JSON omits)."""
    from platform_tools.guardrails.context import context_for
    from platform_tools.guardrails.rules import evaluate
    from platform_tools.guardrails.view import from_planned

    broken = copy.deepcopy(plans["prod"])
    urn = set_input(CLUSTER, "backupRetentionPeriod", 0)(broken)
    for layer in broken.to_json()["layers"]:
        views = [from_planned(r) for r in layer["resources"]]
        found = evaluate(views, context_for(views, "gateway"), [RULES_BY_ID["aurora-backups"], RULES_BY_ID["required-tags"]])
        assert [v.urn for v in found] == ([urn] if layer["project"] == "data" else [])


def test_master_secret_rule_reads_patterns_like_iam_does():
    from platform_tools.guardrails.rules import _could_name_master_secret

    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-4f1e-AbCdEf"
    assert _could_name_master_secret(secret)
    assert _could_name_master_secret("*")
    assert _could_name_master_secret("arn:aws:secretsmanager:*:*:secret:rds!*")
    assert not _could_name_master_secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:app-config-AbCdEf")
    assert not _could_name_master_secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:app-*")


def test_the_migration_functions_own_read_of_the_master_secret_passes(plans):
    """Not vacuous: the real plans do grant the read, to the migration function's role only."""
    compute = plans["prod"].layer("compute")
    secret = plans["prod"].layer("data").outputs["masterSecretArn"]
    holders = [p.inputs["role"] for p in compute.of_type(ROLE_POLICY) if secret in p.inputs["policy"]]
    assert holders == ["acme-payments-prod-migrate-role"]
    assert not violations(plans["prod"], "master-secret-migration-only")


@pytest.mark.parametrize(
    ("source_arn", "scoped"),
    [
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345/*/POST/payments", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345/*/GET/payments/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345/$default/*/payments", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345/*", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345/*/*/*", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345/*/*", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abcde12345", False),
        ("arn:aws:execute-api:us-east-1:123456789012:*/*/POST/payments", False),
        ("arn:aws:lambda:us-east-1:123456789012:function:x", False),
    ],
)
def test_execute_api_source_arn_scope(source_arn, scoped):
    from platform_tools.guardrails.rules import execute_api_scope_problem

    assert (execute_api_scope_problem(source_arn) is None) == scoped, execute_api_scope_problem(source_arn)
