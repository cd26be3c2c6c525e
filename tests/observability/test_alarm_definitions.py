"""The alarm definitions and the observability config, as pure functions (no Pulumi)."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime import config as runtime_config

from shared.components.observability.alarm_definitions import DYNAMODB_OPERATIONS, MIB, alarm_definitions
from shared.components.observability.watched import WatchedResources
from shared.config import ConfigError, load_layer_config
from shared.config.observability import ObservabilityConfig
from shared.naming import Namer
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config

NAMER = Namer("acme", "payments", "qa")
P = NAMER.prefix


def stack_values(stack: str) -> dict[str, str]:
    return dict(load_stack_config(project_dir("observability"), stack).values)


def config_for(stack: str, **changes) -> ObservabilityConfig:
    values = stack_values(stack)
    for key, value in changes.items():
        values[f"observability:{key}"] = value if isinstance(value, str) else json.dumps(value)
    runtime_config.set_all_config(values, [])
    return load_layer_config(ObservabilityConfig, "observability", stack)[1]


def problems(stack: str, **changes) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        config_for(stack, **changes)
    return {p.key: p.render() for p in caught.value.problems}


def watched(**overrides) -> WatchedResources:
    values = dict(
        instance_identifiers=(f"{P}-aurora-1", f"{P}-aurora-2"),
        function_names={"process-payment": f"{P}-process-payment", "get-payment": f"{P}-get-payment"},
        function_timeouts={"process-payment": 20, "get-payment": 10},
        dead_letter_queue_name=f"{P}-payments-dlq",
        table_names=(f"{P}-transactions",),
        nat_gateway_ids=("nat-0aaaaaaaaaaaaaaaa", "nat-0bbbbbbbbbbbbbbbb"),
        nat_instance_group_names=(),
    )
    return WatchedResources(**(values | overrides))


def by_key(definitions):
    return {d.key: d for d in definitions}


def test_rds_cpu_alarm_is_one_per_instance_with_the_stack_threshold():
    defs = by_key(alarm_definitions(config_for("prod"), watched(), NAMER))
    for short in ("aurora-1", "aurora-2"):
        cpu = defs[f"rds-cpu-{short}"]
        (metric,) = cpu.metrics
        assert (metric.namespace, metric.metric_name, dict(metric.dimensions)) == ("AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": f"{P}-{short}"})
        assert (cpu.threshold, cpu.comparison, cpu.evaluation_periods, cpu.datapoints_to_alarm) == (80, "GreaterThanThreshold", 5, 3)
        assert cpu.name == f"{P}-rds-cpu-{short}"


def test_a_disabled_alarm_kind_produces_no_alarms():
    keys = by_key(alarm_definitions(config_for("dev"), watched(), NAMER))
    assert not [k for k in keys if k.startswith("rds-cpu-")]
    off = config_for("prod", lambdaErrorsAlarm={"enabled": False})
    assert not [k for k in by_key(alarm_definitions(off, watched(), NAMER)) if k.startswith("lambda-errors-")]


def test_freeable_memory_threshold_is_mib_converted_to_bytes_and_silence_breaches():
    config = config_for("staging")
    memory = by_key(alarm_definitions(config, watched(), NAMER))["rds-freeable-memory-aurora-1"]
    assert memory.threshold == config.rds_freeable_memory_alarm.threshold * MIB == 1024 * MIB
    assert (memory.comparison, memory.treat_missing_data) == ("LessThanThreshold", "breaching")


def test_p99_duration_threshold_is_a_fraction_of_each_functions_timeout():
    defs = by_key(alarm_definitions(config_for("prod"), watched(), NAMER))
    assert defs["lambda-duration-p99-process-payment"].threshold == 0.8 * 20_000
    assert defs["lambda-duration-p99-get-payment"].threshold == 0.8 * 10_000
    (metric,) = defs["lambda-duration-p99-get-payment"].metrics
    assert metric.stat == "p99" and metric.is_percentile and dict(metric.dimensions) == {"FunctionName": f"{P}-get-payment"}


def test_dynamodb_alarms_sum_every_operation_because_the_metrics_need_the_operation_dimension():
    defs = by_key(alarm_definitions(config_for("prod"), watched(), NAMER))
    for key, metric_name in (("dynamodb-throttles-transactions", "ThrottledRequests"), ("dynamodb-system-errors-transactions", "SystemErrors")):
        alarm = defs[key]
        assert len(alarm.metrics) == len(DYNAMODB_OPERATIONS) <= 10
        assert {m.metric_name for m in alarm.metrics} == {metric_name}
        assert [dict(m.dimensions) for m in alarm.metrics] == [{"TableName": f"{P}-transactions", "Operation": op} for op in DYNAMODB_OPERATIONS]
        assert alarm.expression == "SUM([" + ",".join(f"m{i}" for i in range(1, 11)) + "])"
        assert alarm.treat_missing_data == "notBreaching"


def test_nat_alarms_fan_out_per_gateway_or_per_instance_group():
    gateways = by_key(alarm_definitions(config_for("prod"), watched(), NAMER))
    # Named by AZ position, so a replaced gateway keeps its alarms' names.
    for position, gateway in enumerate(("nat-0aaaaaaaaaaaaaaaa", "nat-0bbbbbbbbbbbbbbbb"), start=1):
        assert dict(gateways[f"nat-port-allocation-errors-{position}"].metrics[0].dimensions) == {"NatGatewayId": gateway}
        assert gateways[f"nat-packets-dropped-{position}"].metrics[0].metric_name == "PacketsDropCount"
    assert not [k for k in gateways if k.startswith("nat-instance-health")]

    groups = by_key(alarm_definitions(config_for("dev"), watched(nat_gateway_ids=(), nat_instance_group_names=(f"{P}-nat-a",)), NAMER))
    health = groups["nat-instance-health-nat-a"]
    (metric,) = health.metrics
    assert (metric.namespace, metric.metric_name, dict(metric.dimensions)) == ("AWS/AutoScaling", "GroupInServiceInstances", {"AutoScalingGroupName": f"{P}-nat-a"})
    assert (health.comparison, health.threshold, health.treat_missing_data) == ("LessThanThreshold", 1, "breaching")
    assert not [k for k in groups if k.startswith("nat-port") or k.startswith("nat-packets")]


def test_dlq_alarm_watches_the_queue_by_name():
    dlq = by_key(alarm_definitions(config_for("prod"), watched(), NAMER))["dlq-depth"]
    (metric,) = dlq.metrics
    assert (metric.metric_name, dict(metric.dimensions), dlq.threshold) == ("ApproximateNumberOfMessagesVisible", {"QueueName": f"{P}-payments-dlq"}, 0)


def test_alarm_names_are_unique_and_colliding_upstream_names_are_refused():
    defs = alarm_definitions(config_for("prod"), watched(), NAMER)
    assert len({d.name for d in defs}) == len(defs)
    with pytest.raises(ValueError, match="collide"):
        alarm_definitions(config_for("prod"), watched(instance_identifiers=("aurora-1", f"{P}-aurora-1")), NAMER)


def test_a_function_without_a_timeout_is_refused():
    with pytest.raises(ValueError, match="no timeout"):
        watched(function_timeouts={"process-payment": 20})


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("rdsCpuAlarm", {"threshold": 80, "periodSeconds": 90}, "multiple of 60"),
        ("rdsCpuAlarm", {"threshold": 80, "evaluationPeriods": 100, "datapointsToAlarm": 1, "periodSeconds": 3600}, "must not exceed 86400"),
        ("rdsCpuAlarm", {"threshold": 80, "evaluationPeriods": 2, "datapointsToAlarm": 3}, "datapointsToAlarm must not exceed"),
        ("lambdaDurationAlarm", {"threshold": 1.5}, "less than or equal to 1"),
        ("natInstanceHealthAlarm", {"threshold": 0}, "greater than or equal to 1"),
        ("alertEmails", ["oncall@example.com", "not-an-address"], "not e-mail addresses"),
    ],
)
def test_bad_alarm_settings_are_refused_naming_the_key(key, value, message):
    found = problems("prod", **{key: value})
    assert any(k.startswith(f"observability:{key}") and message in line for k, line in found.items()), found


def test_every_alarm_kind_must_be_stated_in_the_stack_file():
    values = stack_values("staging")
    del values["observability:dlqDepthAlarm"]
    runtime_config.set_all_config(values, [])
    with pytest.raises(ConfigError) as caught:
        load_layer_config(ObservabilityConfig, "observability", "staging")
    assert "observability:dlqDepthAlarm" in str(caught.value)


def test_an_unknown_upstream_value_is_refused_instead_of_guessing_how_many_alarms():
    import pulumi

    from shared.components.observability.watched import UnknownUpstreamValue, resolved

    from pulumi.runtime.sync_await import _ensure_event_loop

    loop = _ensure_event_loop()  # the loop the SDK uses; left open for the plan tests
    value, known = loop.create_future(), loop.create_future()
    value.set_result(None)
    known.set_result(False)
    with pytest.raises(UnknownUpstreamValue, match="deploy the upstream layers"):
        resolved(pulumi.Output(set(), value, known), "instanceIdentifiers")
