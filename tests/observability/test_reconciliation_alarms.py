"""Issue 16's alarms: oldest pending age, consistency differences, the reconcile function's errors and
its dead-letter queue, watching exactly what the compute layer exports."""

from __future__ import annotations

import pytest

from payments.contract import METRIC_SERVICE_DIMENSION, Metric
from shared.components.observability.alarm_definitions import alarm_definitions
from shared.contracts import ComputeOutputs

from tests.observability.test_alarm_definitions import NAMER, P, by_key, config_for, watched

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def reconciling(**overrides):
    values = dict(reconcile_function_name=f"{P}-reconcile", reconcile_interval_minutes=5, metrics_namespace=P, metrics_service="payments")
    return watched(**(values | overrides))


def test_the_reconciliation_alarms_watch_the_functions_metrics():
    defs = by_key(alarm_definitions(config_for("prod"), reconciling(), NAMER))
    oldest = defs["reconcile-oldest-pending-age"]
    (metric,) = oldest.metrics
    assert (metric.namespace, metric.metric_name, dict(metric.dimensions), metric.stat) == (
        P, "OldestPendingAgeSeconds", {"service": "payments"}, "Maximum"
    )
    # Silence means reconciliation stopped: nothing finishes stuck payments any more.
    assert (oldest.comparison, oldest.treat_missing_data, oldest.threshold) == ("GreaterThanThreshold", "breaching", 1800)
    differences = defs["reconcile-consistency-differences"]
    (metric,) = differences.metrics
    assert (metric.metric_name, metric.stat, differences.threshold, differences.comparison) == (
        "ConsistencyDifferences", "Sum", 0, "GreaterThanThreshold"
    )
    schema = defs["schema-too-old"]
    (metric,) = schema.metrics
    assert (metric.namespace, metric.metric_name, dict(metric.dimensions), schema.threshold) == (P, "SchemaTooOld", {"service": "payments"}, 0)
    errors = defs["reconcile-errors"]
    (metric,) = errors.metrics
    assert (metric.namespace, metric.metric_name, dict(metric.dimensions)) == ("AWS/Lambda", "Errors", {"FunctionName": f"{P}-reconcile"})


def test_an_oldest_pending_period_shorter_than_the_interval_is_refused():
    with pytest.raises(ValueError, match="shorter than the reconcile interval \\(1800 s\\)"):
        alarm_definitions(config_for("prod"), reconciling(reconcile_interval_minutes=30), NAMER)
    off = config_for("prod", oldestPendingAgeAlarm={"enabled": False})
    assert "reconcile-oldest-pending-age" not in by_key(alarm_definitions(off, reconciling(reconcile_interval_minutes=30), NAMER))


def test_every_environment_alarms_on_reconciliation_as_its_exports_say(env_plan):
    compute = env_plan.layer("compute").outputs
    alarms = env_plan.layer("observability").of_type(ALARM)
    by_metric = {}
    for alarm in alarms:
        by_metric.setdefault(alarm.inputs.get("metricName"), []).append(alarm)
    series = {METRIC_SERVICE_DIMENSION: compute[ComputeOutputs.METRICS_SERVICE]}
    for metric in (Metric.OLDEST_PENDING_AGE_SECONDS, Metric.CONSISTENCY_DIFFERENCES, Metric.SCHEMA_TOO_OLD):
        (alarm,) = by_metric[metric.value]
        assert alarm.inputs["namespace"] == compute[ComputeOutputs.METRICS_NAMESPACE], alarm.urn
        assert alarm.inputs["dimensions"] == series, alarm.urn
        assert alarm.inputs["alarmActions"], alarm.urn
    (oldest,) = by_metric[Metric.OLDEST_PENDING_AGE_SECONDS.value]
    assert oldest.inputs["period"] >= compute[ComputeOutputs.RECONCILE_INTERVAL_MINUTES] * 60, oldest.urn
    reconcile_errors = [a for a in by_metric["Errors"] if a.inputs["dimensions"] == {"FunctionName": compute[ComputeOutputs.RECONCILE_FUNCTION_NAME]}]
    assert len(reconcile_errors) == 1
    (dlq,) = by_metric["ApproximateNumberOfMessagesVisible"]
    assert dlq.inputs["dimensions"] == {"QueueName": compute[ComputeOutputs.DLQ_NAME]}, dlq.urn
    assert compute[ComputeOutputs.DLQ_NAME].endswith("-reconcile-dlq")


def test_the_dashboard_shows_what_reconciliation_finds():
    import json

    from shared.components.observability.dashboard_body import dashboard_body

    widgets = json.loads(dashboard_body(reconciling(), "us-east-1", "payments"))["widgets"]
    lines = [line for w in widgets if w["type"] == "metric" for line in w["properties"]["metrics"]]
    assert [P, "OldestPendingAgeSeconds", "service", "payments", {"label": "OldestPendingAgeSeconds"}] in lines
    assert [P, "ConsistencyDifferences", "service", "payments", {"label": "ConsistencyDifferences"}] in lines
    assert ["AWS/Lambda", "Errors", "FunctionName", f"{P}-reconcile", {"label": "errors"}] in lines
    # Without a reconcile function (an older compute stack) the section is left out.
    plain = json.loads(dashboard_body(watched(), "us-east-1", "payments"))["widgets"]
    assert not any("Reconciliation" in (w["properties"].get("markdown") or "") for w in plain if w["type"] == "text")
