"""The alarms of the payment path as data: pure functions from config and upstream values.

One `AlarmDefinition` per alarm, fanned out per upstream resource (Aurora instance, function,
table, NAT gateway, NAT instance group). What each kind watches, its comparison and its
missing-data treatment are fixed here; thresholds and timing come from the stack file.

Missing data, deliberately per kind:
- `notBreaching` for event counts and latencies that AWS only reports while there is traffic or
  something to count (Lambda Errors/Throttles/Duration, DynamoDB ThrottledRequests/SystemErrors,
  an idle DLQ, NAT gateway drop counters): no data means nothing happened.
- `breaching` where silence means the thing watched is gone: Aurora FreeableMemory (reported
  every minute while the instance is up, so silence is a dead instance) and the NAT instance
  group's GroupInServiceInstances (silence is a deleted group or group metrics switched off;
  either way nothing proves the NAT path is healthy).
- `breaching` for the reconcile function's OldestPendingAgeSeconds: it is published on every run,
  so a period without it means reconciliation is not running and nothing finishes stuck payments
  (the alarm period must therefore cover the reconcile interval; checked here).
- `notBreaching` for ConsistencyDifferences (published once a day), SchemaTooOld (published only
  when it happens) and the reconcile function's Errors.
- `missing` for Aurora CPU and connections: an instance that stops reporting is already paged by
  its FreeableMemory alarm; these keep their last state instead of paging three times.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from payments.contract import METRIC_SERVICE_DIMENSION, Metric

from shared.components.observability.watched import WatchedResources
from shared.config.observability import AlarmSettings, ObservabilityConfig
from shared.naming import NameKind, Namer

Comparison = Literal["GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"]
TreatMissingData = Literal["missing", "ignore", "breaching", "notBreaching"]

MIB = 1024 * 1024
# ThrottledRequests and SystemErrors exist only per (TableName, Operation): an alarm on TableName
# alone watches a metric that is never published. These are DynamoDB's item and query operations
# (the metrics' Operation values); exactly 10, the most metrics one metric-math alarm may read.
DYNAMODB_OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
)
MAX_METRICS_PER_MATH_ALARM = 10


@dataclass(frozen=True)
class MetricStat:
    namespace: str
    metric_name: str
    dimensions: Mapping[str, str]
    stat: str  # Sum, Average, Minimum, Maximum, or a percentile such as p99

    @property
    def is_percentile(self) -> bool:
        return self.stat.startswith("p")


@dataclass(frozen=True)
class AlarmDefinition:
    """One CloudWatch metric alarm: a single metric, or a metric-math `expression` over m1..mN."""

    key: str  # unique in the layer; the suffix of the alarm's logical name
    name: str  # physical alarm name
    description: str
    metrics: tuple[MetricStat, ...]
    comparison: Comparison
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    period_seconds: int
    treat_missing_data: TreatMissingData
    expression: str | None = None
    expression_label: str = field(default="")

    def __post_init__(self) -> None:
        if len(self.metrics) > 1 and not self.expression:
            raise ValueError(f"alarm {self.key}: several metrics need an expression")
        if len(self.metrics) > MAX_METRICS_PER_MATH_ALARM:
            raise ValueError(f"alarm {self.key}: a metric-math alarm reads at most {MAX_METRICS_PER_MATH_ALARM} metrics")


def short_name(namer: Namer, physical: str) -> str:
    """`acme-payments-prod-aurora-1` -> `aurora-1`: the alarm name carries the prefix once."""
    return physical.removeprefix(f"{namer.prefix}-")


class _Builder:
    def __init__(self, namer: Namer):
        self.namer = namer
        self.definitions: list[AlarmDefinition] = []

    def add(
        self,
        settings: AlarmSettings,
        purpose: str,
        description: str,
        metrics: Iterable[MetricStat],
        comparison: Comparison,
        missing: TreatMissingData,
        threshold: float | None = None,
        expression: str | None = None,
        expression_label: str = "",
    ) -> None:
        if not settings.enabled:
            return
        self.definitions.append(
            AlarmDefinition(
                key=purpose,
                name=self.namer.name(purpose, NameKind.ALARM),
                description=description,
                metrics=tuple(metrics),
                comparison=comparison,
                threshold=settings.threshold if threshold is None else threshold,
                evaluation_periods=settings.evaluation_periods,
                datapoints_to_alarm=settings.datapoints_to_alarm,
                period_seconds=settings.period_seconds,
                treat_missing_data=missing,
                expression=expression,
                expression_label=expression_label,
            )
        )


def _aurora(b: _Builder, config: ObservabilityConfig, watched: WatchedResources) -> None:
    cpu, memory, connections = config.rds_cpu_alarm, config.rds_freeable_memory_alarm, config.rds_connections_alarm
    for instance in watched.instance_identifiers:
        short = short_name(b.namer, instance)
        dims = {"DBInstanceIdentifier": instance}
        b.add(
            cpu,
            f"rds-cpu-{short}",
            f"Aurora instance {instance}: CPU above {cpu.threshold:g}%",
            [MetricStat("AWS/RDS", "CPUUtilization", dims, "Average")],
            "GreaterThanThreshold",
            "missing",
        )
        b.add(
            memory,
            f"rds-freeable-memory-{short}",
            f"Aurora instance {instance}: freeable memory below {memory.threshold:g} MiB, or not reporting",
            [MetricStat("AWS/RDS", "FreeableMemory", dims, "Minimum")],
            "LessThanThreshold",
            "breaching",
            threshold=memory.threshold * MIB,
        )
        b.add(
            connections,
            f"rds-connections-{short}",
            f"Aurora instance {instance}: more than {connections.threshold:g} connections",
            [MetricStat("AWS/RDS", "DatabaseConnections", dims, "Maximum")],
            "GreaterThanThreshold",
            "missing",
        )


def _lambda(b: _Builder, config: ObservabilityConfig, watched: WatchedResources) -> None:
    fraction = config.lambda_duration_alarm.threshold
    for logical, function_name in sorted(watched.function_names.items()):
        dims = {"FunctionName": function_name}
        timeout_ms = watched.function_timeouts[logical] * 1000
        b.add(
            config.lambda_errors_alarm,
            f"lambda-errors-{logical}",
            f"Function {function_name}: errors",
            [MetricStat("AWS/Lambda", "Errors", dims, "Sum")],
            "GreaterThanThreshold",
            "notBreaching",
        )
        b.add(
            config.lambda_throttles_alarm,
            f"lambda-throttles-{logical}",
            f"Function {function_name}: throttled (reserved concurrency exhausted)",
            [MetricStat("AWS/Lambda", "Throttles", dims, "Sum")],
            "GreaterThanThreshold",
            "notBreaching",
        )
        b.add(
            config.lambda_duration_alarm,
            f"lambda-duration-p99-{logical}",
            f"Function {function_name}: p99 duration above {fraction:.0%} of its {timeout_ms // 1000}s timeout",
            [MetricStat("AWS/Lambda", "Duration", dims, "p99")],
            "GreaterThanThreshold",
            "notBreaching",
            threshold=round(fraction * timeout_ms, 3),
        )


def _queue_and_tables(b: _Builder, config: ObservabilityConfig, watched: WatchedResources) -> None:
    queue = watched.dead_letter_queue_name
    b.add(
        config.dlq_depth_alarm,
        "dlq-depth",
        f"Dead-letter queue {queue}: scheduled reconciliation events that failed or were never delivered",
        [MetricStat("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue}, "Maximum")],
        "GreaterThanThreshold",
        "notBreaching",
    )
    kinds = (
        (config.dynamodb_throttles_alarm, "ThrottledRequests", "dynamodb-throttles", "throttled requests"),
        (config.dynamodb_system_errors_alarm, "SystemErrors", "dynamodb-system-errors", "system errors"),
    )
    for table in watched.table_names:
        for settings, metric, purpose, what in kinds:
            metrics = [MetricStat("AWS/DynamoDB", metric, {"TableName": table, "Operation": op}, "Sum") for op in DYNAMODB_OPERATIONS]
            ids = ",".join(f"m{i}" for i in range(1, len(metrics) + 1))
            b.add(
                settings,
                f"{purpose}-{short_name(b.namer, table)}",
                f"DynamoDB table {table}: {what} (all operations)",
                metrics,
                "GreaterThanThreshold",
                "notBreaching",
                expression=f"SUM([{ids}])",
                expression_label=f"{metric} (all operations)",
            )


def _reconciliation(b: _Builder, config: ObservabilityConfig, watched: WatchedResources) -> None:
    if not watched.reconcile_function_name:
        return
    custom = {METRIC_SERVICE_DIMENSION: watched.metrics_service}
    oldest = config.oldest_pending_age_alarm
    interval_seconds = watched.reconcile_interval_minutes * 60
    if oldest.enabled and oldest.period_seconds < interval_seconds:
        raise ValueError(
            f"oldestPendingAgeAlarm.periodSeconds {oldest.period_seconds} is shorter than the reconcile interval "
            f"({interval_seconds} s): the alarm would breach between runs; use at least {interval_seconds}"
        )
    b.add(
        oldest,
        "reconcile-oldest-pending-age",
        f"A payment has been pending more than {oldest.threshold:g} s, or reconciliation has not reported",
        [MetricStat(watched.metrics_namespace, Metric.OLDEST_PENDING_AGE_SECONDS.value, custom, "Maximum")],
        "GreaterThanThreshold",
        "breaching",
    )
    b.add(
        config.consistency_differences_alarm,
        "reconcile-consistency-differences",
        "The daily check found PostgreSQL, DynamoDB and S3 disagreeing (payment ids in the reconcile function's log)",
        [MetricStat(watched.metrics_namespace, Metric.CONSISTENCY_DIFFERENCES.value, custom, "Sum")],
        "GreaterThanThreshold",
        "notBreaching",
    )
    b.add(
        config.schema_too_old_alarm,
        "schema-too-old",
        "A function met a database schema older than it needs: the migrations did not run (invoke migrate)",
        [MetricStat(watched.metrics_namespace, Metric.SCHEMA_TOO_OLD.value, custom, "Sum")],
        "GreaterThanThreshold",
        "notBreaching",
    )
    b.add(
        config.reconcile_errors_alarm,
        "reconcile-errors",
        f"Function {watched.reconcile_function_name}: a scheduled run failed",
        [MetricStat("AWS/Lambda", "Errors", {"FunctionName": watched.reconcile_function_name}, "Sum")],
        "GreaterThanThreshold",
        "notBreaching",
    )


def _nat(b: _Builder, config: ObservabilityConfig, watched: WatchedResources) -> None:
    # Named by position (the network layer exports gateways in AZ order), not by id, so a replaced
    # gateway keeps its alarms' names.
    for position, gateway in enumerate(watched.nat_gateway_ids, start=1):
        dims = {"NatGatewayId": gateway}
        b.add(
            config.nat_port_allocation_errors_alarm,
            f"nat-port-allocation-errors-{position}",
            f"NAT gateway {gateway}: could not allocate a source port (connections to the payment API fail)",
            [MetricStat("AWS/NATGateway", "ErrorPortAllocation", dims, "Sum")],
            "GreaterThanThreshold",
            "notBreaching",
        )
        b.add(
            config.nat_packets_dropped_alarm,
            f"nat-packets-dropped-{position}",
            f"NAT gateway {gateway}: packets dropped",
            [MetricStat("AWS/NATGateway", "PacketsDropCount", dims, "Sum")],
            "GreaterThanThreshold",
            "notBreaching",
        )
    health = config.nat_instance_health_alarm
    for group in watched.nat_instance_group_names:
        b.add(
            health,
            f"nat-instance-health-{short_name(b.namer, group)}",
            f"NAT instance group {group}: fewer than {health.threshold:g} instances in service, or not reporting",
            [MetricStat("AWS/AutoScaling", "GroupInServiceInstances", {"AutoScalingGroupName": group}, "Minimum")],
            "LessThanThreshold",
            "breaching",
        )


def alarm_definitions(config: ObservabilityConfig, watched: WatchedResources, namer: Namer) -> list[AlarmDefinition]:
    """Every enabled alarm of the environment, one per watched resource and kind."""
    from shared.components.observability.api_alarms import api_alarms  # imports this module's builder

    builder = _Builder(namer)
    for section in (_aurora, _lambda, _queue_and_tables, _reconciliation, _nat, api_alarms):
        section(builder, config, watched)
    keys = [d.key for d in builder.definitions]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"alarm keys must be unique; upstream names collide: {duplicates}")
    return builder.definitions
