"""Issue 16 on the rendered plans: per environment, the schedules, the reconcile function, the
scheduler's role and the dead-letter queue, all from the compute stack files."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime import config as runtime_config

from payments.contract import RECONCILE
from shared.config import ConfigError, load_layer_config
from shared.config.compute import ComputeConfig
from shared.contracts import ComputeOutputs
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config

from tests.compute.test_compute_plan import function, stack_config

GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"
SCHEDULE = "aws:scheduler/schedule:Schedule"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
QUEUE = "aws:sqs/queue:Queue"
EXPECTED_INTERVAL = {"dev": 15, "staging": 10, "prod": 5}


def test_one_schedule_group_per_environment_with_both_jobs(env_plan):
    compute = env_plan.layer("compute")
    config = stack_config(env_plan.environment)
    group = compute.one(GROUP)
    assert group.inputs["name"] == f"acme-payments-{env_plan.environment}-schedules" == compute.outputs[ComputeOutputs.SCHEDULE_GROUP_NAME]
    assert config.reconcile_interval_minutes == EXPECTED_INTERVAL[env_plan.environment]
    hour, minute = (int(x) for x in config.consistency_check_time.split(":"))
    expected = {
        "reconcile": f"rate({config.reconcile_interval_minutes} minutes)",
        "consistency-check": f"cron({minute} {hour} * * ? *)",
    }
    schedules = {json.loads(s.inputs["target"]["input"])["job"]: s for s in compute.of_type(SCHEDULE)}
    assert set(schedules) == set(expected)
    reconcile_fn = function(compute, RECONCILE)
    scheduler_role = next(r for r in compute.of_type(ROLE) if "scheduler.amazonaws.com" in r.inputs["assumeRolePolicy"])
    queue = compute.one(QUEUE)
    for job, schedule in schedules.items():
        inputs = schedule.inputs
        assert inputs["scheduleExpression"] == expected[job], schedule.urn
        assert (inputs["groupName"], inputs["scheduleExpressionTimezone"], inputs["flexibleTimeWindow"]) == (
            group.inputs["name"], "UTC", {"mode": "OFF"}
        ), schedule.urn
        assert inputs["name"].startswith(f"acme-payments-{env_plan.environment}-"), schedule.urn
        target = inputs["target"]
        assert target["arn"] == reconcile_fn.outputs["arn"] == compute.outputs[ComputeOutputs.RECONCILE_FUNCTION_ARN]
        assert target["roleArn"] == scheduler_role.outputs["arn"], schedule.urn
        assert target["deadLetterConfig"] == {"arn": queue.outputs["arn"]}, schedule.urn
        assert 60 <= target["retryPolicy"]["maximumEventAgeInSeconds"] <= 86400, schedule.urn
        assert schedule.outputs["arn"] == f"arn:aws:scheduler:us-east-1:123456789012:schedule/{group.inputs['name']}/{inputs['name']}"


def test_the_scheduler_role_invokes_exactly_the_reconcile_function(env_plan):
    compute = env_plan.layer("compute")
    role = next(r for r in compute.of_type(ROLE) if "scheduler.amazonaws.com" in r.inputs["assumeRolePolicy"])
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == compute.one(GROUP).outputs["arn"]
    (policy,) = [p for p in compute.of_type(ROLE_POLICY) if p.inputs["role"] == role.inputs["name"]]
    invoke = [s for s in json.loads(policy.inputs["policy"])["Statement"] if "lambda:InvokeFunction" in s["Action"]]
    assert [s["Resource"] for s in invoke] == [[compute.outputs[ComputeOutputs.RECONCILE_FUNCTION_ARN]]]


def test_the_reconcile_function_runs_in_the_vpc_with_its_own_role(env_plan):
    compute = env_plan.layer("compute")
    fn = function(compute, RECONCILE)
    assert fn.inputs["vpcConfig"]["subnetIds"], fn.urn
    assert fn.inputs["role"].endswith(f"acme-payments-{env_plan.environment}-reconcile-role"), fn.urn


def compute_problems(stack: str, **changes) -> dict[str, str]:
    values = dict(load_stack_config(project_dir("compute"), stack).values)
    values.update({f"compute:{k}": str(v) for k, v in changes.items()})
    runtime_config.set_all_config(values, [])
    with pytest.raises(ConfigError) as caught:
        load_layer_config(ComputeConfig, "compute", stack)
    assert str(caught.value).startswith(f"invalid configuration in projects/compute/Pulumi.{stack}.yaml")
    return {p.key: p.render() for p in caught.value.problems}


@pytest.mark.parametrize(
    ("changes", "key", "says"),
    [
        ({"lambdaTimeoutSeconds": 120, "pendingThresholdSeconds": 100}, "compute:pendingThresholdSeconds", "must exceed lambdaTimeoutSeconds"),
        ({"reconcileBatchSize": 200}, "compute:reconcileBatchSize", "must stay below reconcileTimeoutSeconds"),
        ({"consistencyCheckTime": "25:00"}, "compute:consistencyCheckTime", "HH:MM"),
        ({"reconcileIntervalMinutes": 0}, "compute:reconcileIntervalMinutes", "greater than or equal to 1"),
    ],
)
def test_reconciliation_settings_are_validated_naming_the_key(changes, key, says):
    found = compute_problems("prod", **changes)
    assert key in found and says in found[key], found
