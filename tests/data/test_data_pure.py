"""Pure rules of the data layer: key and bucket policies, capacity modes, Aurora placement, config."""

from __future__ import annotations

import fnmatch
import json

import pytest
from payments.contract import IDEMPOTENCY_TABLE, TRANSACTIONS_TABLE
from pulumi.runtime import config as runtime_config

from shared.components.data.aurora import instance_zone, rds_log_group_name
from shared.components.data.table import Capacity, scalable_dimensions, table_attributes
from shared.components.data.policies import kms_key_policy, log_group_arn_patterns, tls_only_bucket_policy
from shared.config import ConfigError, load_layer_config
from shared.config.data import DataConfig
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config

ACCOUNT = "123456789012"


def log_arn(name: str) -> str:
    return f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:{name}"


def allowed(name: str, prefix: str = "acme-payments-prod") -> bool:
    return any(fnmatch.fnmatchcase(log_arn(name), p) for p in log_group_arn_patterns("aws", "us-east-1", ACCOUNT, prefix))


@pytest.mark.parametrize(
    "name",
    [rds_log_group_name("acme-payments-prod-aurora"), "/aws/lambda/acme-payments-prod-process-payment", "acme-payments-prod-flow-logs"],
)
def test_log_groups_of_the_environment_may_use_the_key(name):
    assert allowed(name)


@pytest.mark.parametrize("name", ["/aws/lambda/acme-payments-dev-process-payment", "acme-payments-staging-flow-logs", "/aws/lambda/other"])
def test_log_groups_of_other_environments_may_not(name):
    assert not allowed(name)


def test_key_policy_never_uses_a_wildcard_principal():
    policy = kms_key_policy("aws", "us-east-1", ACCOUNT, "acme-payments-prod")
    for statement in policy["Statement"]:
        assert statement["Principal"] != "*" and "*" not in json.dumps(statement["Principal"]), statement["Sid"]
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}


def test_bucket_policy_denies_plain_http_on_bucket_and_objects():
    statement = tls_only_bucket_policy("arn:aws:s3:::b")["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]


@pytest.mark.parametrize(
    "capacity, billing, ignored",
    [
        (Capacity("on-demand"), "PAY_PER_REQUEST", []),
        (Capacity("provisioned", 5, 5), "PROVISIONED", []),
        (Capacity("autoscaled", 5, 5, 100, 100), "PROVISIONED", ["readCapacity", "writeCapacity"]),
    ],
)
def test_capacity_modes(capacity, billing, ignored):
    assert capacity.billing_mode == billing
    assert set(ignored) <= set(capacity.ignore_changes) and bool(ignored) == bool(capacity.ignore_changes)


def test_scalable_dimensions_cover_table_and_indexes():
    found = {(d.resource_id, d.dimension) for d in scalable_dimensions("t", TRANSACTIONS_TABLE)}
    assert len(found) == 2 + 2 * len(TRANSACTIONS_TABLE.indexes)
    assert ("table/t", "dynamodb:table:ReadCapacityUnits") in found
    assert (f"table/t/index/{TRANSACTIONS_TABLE.indexes[0].name}", "dynamodb:index:WriteCapacityUnits") in found


def test_attributes_are_declared_once_from_the_contract():
    assert table_attributes(IDEMPOTENCY_TABLE) == [{"name": "id", "type": "S"}]
    names = [a["name"] for a in table_attributes(TRANSACTIONS_TABLE)]
    assert len(names) == len(set(names)) == 3


def test_instances_are_spread_over_zones():
    zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert [instance_zone(zones, i) for i in range(4)] == ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a"]
    with pytest.raises(ValueError):
        instance_zone([], 0)


# --- config ----------------------------------------------------------------------------------------------


def problems(stack: str, **changes: str) -> dict[str, str]:
    values = dict(load_stack_config(project_dir("data"), stack).values)
    values.update({f"data:{k}": v for k, v in changes.items()})
    runtime_config.set_all_config(values, [])
    with pytest.raises(ConfigError) as caught:
        load_layer_config(DataConfig, "data", stack)
    return {p.key: p.render() for p in caught.value.problems}


@pytest.mark.parametrize("version", ["17", "postgres-17.9", "9.6", "17.9.1"])
def test_malformed_engine_version_is_refused(version):
    assert "major.minor" in problems("dev", auroraEngineVersion=version)["data:auroraEngineVersion"]


def test_performance_insights_retention_must_be_a_valid_period():
    assert "multiple of 31" in problems("prod", auroraPerformanceInsightsRetentionDays="30")["data:auroraPerformanceInsightsRetentionDays"]


def test_parameter_group_family_follows_the_engine_major():
    values = dict(load_stack_config(project_dir("data"), "prod").values)
    runtime_config.set_all_config(values, [])
    _, config = load_layer_config(DataConfig, "data", "prod")
    assert config.aurora_parameter_group_family == f"aurora-postgresql{config.aurora_engine_version.split('.')[0]}"
