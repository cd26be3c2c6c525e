"""Every refusal of the config validator, each through the same entry point the programs use."""

from __future__ import annotations

import json

import pytest

from config_edits import MODELS, load, problems, real_config
from shared.config import ConfigError
from shared.paths import project_dir


@pytest.mark.parametrize("project", sorted(MODELS))
@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_real_stack_files_are_valid(project, stack):
    if not (project_dir(project) / f"Pulumi.{stack}.yaml").exists():
        pytest.fail(f"projects/{project}/Pulumi.{stack}.yaml is missing")
    environment, config = load(project, stack, real_config(project, stack))
    assert environment.profile == stack and environment.suffix == stack
    assert config.team


def test_unknown_environment_is_refused():
    found = problems("network", "dev", payments__environment="uat")
    assert "unknown environment; allowed: dev, staging, prod" in found["payments:environment"]
    assert "'uat'" in found["payments:environment"]


def test_stack_outside_the_profiles_must_declare_its_environment():
    values = real_config("network", "dev")
    values["network:vpcCidr"] = "10.3.0.0/16"
    with pytest.raises(ConfigError) as caught:
        load("network", "qa", values)
    assert caught.value.source == "projects/network/Pulumi.qa.yaml"
    assert "stack 'qa' is not one of dev, staging, prod" in str(caught.value)


def test_ephemeral_copy_declaring_its_profile_is_accepted():
    values = real_config("network", "dev") | {"payments:environment": "dev", "network:vpcCidr": "10.42.0.0/16"}
    environment, _ = load("network", "dev-pr42", values)
    assert (environment.profile, environment.suffix) == ("dev", "dev-pr42")


def test_environment_suffix_can_be_overridden_and_is_checked():
    values = real_config("network", "dev") | {"payments:environmentSuffix": "dev2"}
    environment, _ = load("network", "dev", values)
    assert environment.suffix == "dev2"
    assert "payments:environmentSuffix" in problems("network", "dev", payments__environmentSuffix="Dev_2")


@pytest.mark.parametrize(
    "cidr, message",
    [
        ("10.2.0.0/33", "/33 is not an IPv4 prefix length (at most /32; a VPC takes /16 to /20)"),
        ("10.2.0.1/16", "host bits are set: the network of this address is 10.2.0.0/16"),
        ("banana", "not CIDR notation"),
        ("10.2.0.256/16", "'10.2.0.256' is not an IPv4 address"),
        ("8.8.0.0/16", "must be inside a private range"),
        ("10.1.0.0/16", "overlaps 10.1.0.0/16 of stack 'staging'"),
        ("10.0.0.0/18", "overlaps 10.0.0.0/16 of stack 'prod'"),
        ("10.9.0.0/24", "prefix length must be /16 to /20"),
    ],
)
def test_bad_vpc_cidrs_are_refused(cidr, message):
    line = problems("network", "dev", network__vpcCidr=cidr)["network:vpcCidr"]
    assert message in line and repr(cidr) in line


@pytest.mark.parametrize("zones", [["us-east-1a", "us-east-1b"], ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]])
def test_az_count_other_than_three_is_refused(zones):
    assert "exactly 3 availability zones" in problems("network", "prod", network__availabilityZones=zones)["network:availabilityZones"]


def test_az_outside_the_region_is_refused():
    found = problems("network", "prod", network__availabilityZones=["us-east-1a", "us-east-1b", "eu-west-1a"])
    assert "not availability zones of us-east-1" in found["network:availabilityZones"]


def test_unknown_nat_mode_is_refused():
    assert "'gateway' or 'instance'" in problems("network", "dev", network__natMode="nat-box")["network:natMode"]


def test_nat_gateway_mode_needs_a_count():
    assert "natMode 'gateway' needs" in problems("network", "prod", network__natGatewayCount=None)["network:natGatewayCount"]


@pytest.mark.parametrize("instance_class", ["r5.large", "db", "cache.r5.large", "db.R5.large"])
def test_non_db_instance_class_is_refused(instance_class):
    assert "db.* class" in problems("data", "prod", data__auroraInstanceClass=instance_class)["data:auroraInstanceClass"]


def test_instance_count_below_one_is_refused():
    assert "greater than or equal to 1" in problems("data", "prod", data__auroraInstanceCount="0")["data:auroraInstanceCount"]


@pytest.mark.parametrize("days, message", [("0", "greater than or equal to 1"), ("36", "less than or equal to 35")])
def test_backup_retention_outside_1_to_35_is_refused(days, message):
    assert message in problems("data", "staging", data__auroraBackupRetentionDays=days)["data:auroraBackupRetentionDays"]


@pytest.mark.parametrize("memory, message", [("127", "greater than or equal to 128"), ("10241", "less than or equal to 10240")])
def test_lambda_memory_outside_limits_is_refused(memory, message):
    assert message in problems("compute", "prod", compute__lambdaMemoryMb=memory)["compute:lambdaMemoryMb"]


def test_lambda_timeout_below_the_functions_worst_case_is_refused():
    from payments.settings import Settings

    worst_case = Settings.worst_case_for(5)  # the prod stack's payment API timeout
    assert 15 < worst_case < 30
    line = problems("compute", "prod", compute__lambdaTimeoutSeconds="15")["compute:lambdaTimeoutSeconds"]
    assert f"must be at least {worst_case:g} s, the functions' worst case" in line and "'15'" in line


def test_unknown_billing_mode_is_refused():
    line = problems("data", "dev", data__transactionLogBillingMode="cheap")["data:transactionLogBillingMode"]
    assert "'on-demand', 'provisioned' or 'autoscaled'" in line


def test_capacity_min_above_max_is_refused():
    found = problems("data", "prod", data__transactionLogReadCapacity="150")
    assert "min > max" in found["data:transactionLogMaxReadCapacity"]


@pytest.mark.parametrize("threshold, message", [("101", "less than or equal to 100"), ("-1", "greater than or equal to 0")])
def test_alarm_threshold_outside_0_to_100_is_refused(threshold, message):
    values = real_config("observability", "prod")
    alarm = json.loads(values["observability:rdsCpuAlarm"]) | {"threshold": float(threshold)}
    found = problems("observability", "prod", observability__rdsCpuAlarm=alarm)
    assert message in found["observability:rdsCpuAlarm.threshold"]


@pytest.mark.parametrize("project, key", [("network", "vpcCidr"), ("data", "auroraInstanceClass"), ("compute", "lambdaMemoryMb")])
def test_missing_required_key_is_refused(project, key):
    line = problems(project, "staging", **{f"{project}__{key}": None})[f"{project}:{key}"]
    assert "(missing): required key is missing" in line


def test_unknown_key_is_refused():
    assert "unknown key" in problems("network", "dev", network__vpcCdir="10.2.0.0/16")["network:vpcCdir"]


def test_all_problems_are_reported_at_once_with_the_stack_file():
    with pytest.raises(ConfigError) as caught:
        values = real_config("data", "prod") | {
            "payments:environment": "qa",
            "data:auroraInstanceClass": "r5.xlarge",
            "data:auroraBackupRetentionDays": "40",
            "data:transactionLogBillingMode": "free",
        }
        load("data", "prod", values)
    message = str(caught.value)
    assert message.startswith("invalid configuration in projects/data/Pulumi.prod.yaml (4 problems):\n  - ")
    for key in ("payments:environment", "data:auroraInstanceClass", "data:auroraBackupRetentionDays", "data:transactionLogBillingMode"):
        assert key in message


# -- environments.yaml: validated like every stack file ------------------------------------------


def _environments(**changes):
    from shared.config.environment import parse_environments

    data = {"company": "acme", "service": "payments", "region": "us-east-1", "profiles": {"dev": {"costCenter": "CC-1"}}}
    data.update(changes)
    return parse_environments({k: v for k, v in data.items() if v is not None})


def test_environments_file_missing_region_is_one_error_naming_file_and_key():
    from shared.config.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        _environments(region=None)
    assert str(caught.value).startswith("invalid configuration in environments.yaml: region = (missing): required: the AWS region")
    assert "\n" not in str(caught.value)


def test_environments_file_empty_or_wrong_values_are_reported_together():
    from shared.config.environment import parse_environments
    from shared.config.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^invalid configuration in environments.yaml: \(file\) = \(missing\): is empty"):
        parse_environments(None)
    with pytest.raises(ConfigError) as caught:
        _environments(company="Acme", region="useast", profiles={"dev": {}})
    assert [p.key for p in caught.value.problems] == ["company", "region", "profiles.dev.costCenter"]


def test_the_repositorys_environments_file_is_valid():
    from shared.config.environment import read_environments_file

    assert read_environments_file().profiles == ("dev", "staging", "prod")
