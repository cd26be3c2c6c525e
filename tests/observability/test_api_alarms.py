"""The payment API's alarms: HTTP API metrics on the compute layer's API and stage, thresholds from the stack files."""

from __future__ import annotations

from payments.contract import ROUTES
from platform_tools.plan.stackconfig import load_stack_config
from shared.components.observability.alarm_definitions import alarm_definitions
from shared.components.observability.api_alarms import THROTTLED_METRIC
from shared.components.observability.watched import WatchedResources
from shared.config.loader import _decode
from shared.config.observability import ObservabilityConfig
from shared.contracts import ComputeOutputs
from shared.naming import Namer
from shared.paths import project_dir

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"


def config(stack: str) -> ObservabilityConfig:
    values = load_stack_config(project_dir("observability"), stack).values
    prefix = "observability:"
    return ObservabilityConfig.model_validate({k.removeprefix(prefix): _decode(v) for k, v in values.items() if k.startswith(prefix)})


def alarms(plan) -> dict[str, dict]:
    suffix = f"acme-payments-{plan.environment}-"
    return {a.inputs["name"].removeprefix(suffix): a.inputs for a in plan.layer("observability").of_type(ALARM)}


def test_5xx_rate_reads_the_apis_stage(env_plan):
    compute = env_plan.layer("compute").outputs
    alarm = alarms(env_plan)["api-5xx-rate"]
    metrics = {q["id"]: q["metric"] for q in alarm["metricQueries"] if "metric" in q}
    assert {m["metricName"] for m in metrics.values()} == {"5xx", "Count"}
    for metric in metrics.values():
        assert metric["namespace"] == "AWS/ApiGateway"
        assert metric["dimensions"] == {"ApiId": compute[ComputeOutputs.API_ID], "Stage": compute[ComputeOutputs.API_STAGE]}
    expression = next(q for q in alarm["metricQueries"] if q.get("returnData"))
    assert "100 * m1 / m2" in expression["expression"]
    assert alarm["threshold"] == config(env_plan.environment).api_server_errors_alarm.threshold


def test_p99_latency_is_measured_against_the_functions_timeout(env_plan):
    timeouts = env_plan.layer("compute").outputs[ComputeOutputs.FUNCTION_TIMEOUTS]
    alarm = alarms(env_plan)["api-latency-p99"]
    fraction = config(env_plan.environment).api_latency_alarm.threshold
    api_functions = {route.function.name for route in ROUTES}
    assert alarm["metricName"] == "Latency" and alarm["extendedStatistic"] == "p99"
    assert alarm["threshold"] == round(fraction * max(timeouts[f] for f in api_functions) * 1000, 3)


def test_throttle_alarm_reads_the_metric_filter_on_the_access_log(env_plan):
    observability = env_plan.layer("observability")
    metric_filter = observability.one(FILTER).inputs
    assert metric_filter["logGroupName"] == env_plan.layer("compute").outputs[ComputeOutputs.API_ACCESS_LOG_GROUP]
    assert metric_filter["pattern"] == '{ $.status = "429" }'
    alarm = alarms(env_plan)["api-throttled"]
    transformation = metric_filter["metricTransformation"]
    assert (alarm["namespace"], alarm["metricName"]) == (transformation["namespace"], transformation["name"]) == (
        f"acme-payments-{env_plan.environment}",
        THROTTLED_METRIC,
    )
    assert alarm["threshold"] == config(env_plan.environment).api_throttles_alarm.threshold


def test_dev_pages_later_than_prod(plans):
    dev, prod = alarms(plans["dev"]), alarms(plans["prod"])
    assert dev["api-5xx-rate"]["threshold"] > prod["api-5xx-rate"]["threshold"]
    assert dev["api-throttled"]["threshold"] > prod["api-throttled"]["threshold"]


def test_no_api_no_api_alarms():
    watched = WatchedResources(
        instance_identifiers=(), function_names={"f": "fn"}, function_timeouts={"f": 30}, dead_letter_queue_name="q", table_names=()
    )
    keys = [d.key for d in alarm_definitions(config("prod"), watched, Namer("acme", "payments", "prod"))]
    assert not [k for k in keys if k.startswith("api-")]
    with_api = WatchedResources(**{**watched.__dict__, "api_id": "a1b2c3d4e5", "api_stage": "$default", "metrics_namespace": "acme-payments-prod"})
    keys = [d.key for d in alarm_definitions(config("prod"), with_api, Namer("acme", "payments", "prod"))]
    assert sorted(k for k in keys if k.startswith("api-")) == ["api-5xx-rate", "api-latency-p99", "api-throttled"]
