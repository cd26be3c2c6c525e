"""The CloudWatch dashboard of the payment path as JSON: a pure function of the watched resources.

Sections follow a payment: Lambda (invocations, errors, p99 duration, throttles) and its
dead-letter queue, DynamoDB (the transaction log), Aurora (per instance), then the NAT path
(per NAT gateway, or per NAT instance group). Every metric names a resource from the upstream
exports, so the body only ever names resources of its own environment.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from payments.contract import METRIC_SERVICE_DIMENSION, Metric

from shared.components.observability.watched import WatchedResources

GRID_WIDTH = 24  # CloudWatch dashboards are 24 columns wide
WIDGET_HEIGHT = 6
Widget = dict[str, Any]


def _metric_widget(title: str, region: str, stat: str, lines: Sequence[list[Any]], period: int = 60, width: int = 6) -> Widget:
    return {
        "type": "metric",
        "width": width,
        "height": WIDGET_HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "stat": stat,
            "period": period,
            "metrics": [list(line) for line in lines],
        },
    }


def _text(markdown: str) -> Widget:
    return {"type": "text", "width": GRID_WIDTH, "height": 1, "properties": {"markdown": markdown}}


def _line(namespace: str, metric: str, dimensions: dict[str, str], label: str) -> list[Any]:
    line: list[Any] = [namespace, metric]
    for key, value in dimensions.items():
        line += [key, value]
    return [*line, {"label": label}]


def _lambda(w: WatchedResources, region: str) -> list[Widget]:
    functions = sorted(w.function_names.items())

    def lines(metric: str) -> list[list[Any]]:
        return [_line("AWS/Lambda", metric, {"FunctionName": name}, logical) for logical, name in functions]

    return [
        _text("## Lambda: payment functions"),
        _metric_widget("Invocations", region, "Sum", lines("Invocations")),
        _metric_widget("Errors", region, "Sum", lines("Errors")),
        _metric_widget("Duration p99 (ms)", region, "p99", lines("Duration")),
        _metric_widget("Throttles", region, "Sum", lines("Throttles")),
    ]


def _dynamodb_and_queue(w: WatchedResources, region: str) -> list[Widget]:
    def per_table(metric: str, extra: dict[str, str] | None = None, suffix: str = "") -> list[list[Any]]:
        return [_line("AWS/DynamoDB", metric, {"TableName": t, **(extra or {})}, f"{t}{suffix}") for t in w.table_names]

    queue = {"QueueName": w.dead_letter_queue_name}
    return [
        _text("## DynamoDB transaction log and the dead-letter queue"),
        _metric_widget("Consumed capacity", region, "Sum", per_table("ConsumedReadCapacityUnits", suffix=" read") + per_table("ConsumedWriteCapacityUnits", suffix=" write")),
        _metric_widget("Throttle events", region, "Sum", per_table("ReadThrottleEvents", suffix=" read") + per_table("WriteThrottleEvents", suffix=" write")),
        _metric_widget(
            "Latency p99 (ms)",
            region,
            "p99",
            per_table("SuccessfulRequestLatency", {"Operation": "PutItem"}, " PutItem") + per_table("SuccessfulRequestLatency", {"Operation": "GetItem"}, " GetItem"),
        ),
        _metric_widget("Dead-letter queue depth", region, "Maximum", [_line("AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, w.dead_letter_queue_name)]),
    ]


def _reconciliation(w: WatchedResources, region: str) -> list[Widget]:
    """Issue 16: what reconciliation finds and finishes, from the reconcile function's own metrics."""
    if not w.reconcile_function_name:
        return []
    series = {METRIC_SERVICE_DIMENSION: w.metrics_service}

    def custom(metric: Metric) -> list[list[Any]]:
        return [_line(w.metrics_namespace, metric.value, series, metric.value)]

    return [
        _text(f"## Reconciliation: {w.reconcile_function_name} every {w.reconcile_interval_minutes} min, daily consistency check"),
        _metric_widget("Oldest pending payment (s)", region, "Maximum", custom(Metric.OLDEST_PENDING_AGE_SECONDS)),
        _metric_widget(
            "Payments reconciled / failed / still pending",
            region,
            "Sum",
            custom(Metric.PAYMENTS_RECONCILED) + custom(Metric.PAYMENTS_FAILED_BY_RECONCILIATION) + custom(Metric.PAYMENTS_STILL_PENDING),
        ),
        _metric_widget("Consistency differences", region, "Sum", custom(Metric.CONSISTENCY_DIFFERENCES)),
        _metric_widget("Reconcile errors", region, "Sum", [_line("AWS/Lambda", "Errors", {"FunctionName": w.reconcile_function_name}, "errors")]),
    ]


def _aurora(w: WatchedResources, region: str) -> list[Widget]:
    def lines(metric: str) -> list[list[Any]]:
        return [_line("AWS/RDS", metric, {"DBInstanceIdentifier": i}, i) for i in w.instance_identifiers]

    if not w.instance_identifiers:
        return []
    return [
        _text(f"## Aurora PostgreSQL: {w.cluster_identifier or 'cluster'}, per instance"),
        _metric_widget("CPU utilization (%)", region, "Average", lines("CPUUtilization"), width=8),
        _metric_widget("Database connections", region, "Maximum", lines("DatabaseConnections"), width=8),
        _metric_widget("Freeable memory (bytes)", region, "Minimum", lines("FreeableMemory"), width=8),
    ]


def _nat(w: WatchedResources, region: str) -> list[Widget]:
    widgets: list[Widget] = []
    if w.nat_gateway_ids:

        def lines(metric: str) -> list[list[Any]]:
            return [_line("AWS/NATGateway", metric, {"NatGatewayId": g}, g) for g in w.nat_gateway_ids]

        widgets += [
            _text(f"## NAT path: {len(w.nat_gateway_ids)} NAT gateway(s) (natMode {w.nat_mode or 'gateway'})"),
            _metric_widget("Port allocation errors", region, "Sum", lines("ErrorPortAllocation"), width=8),
            _metric_widget("Packets dropped", region, "Sum", lines("PacketsDropCount"), width=8),
            _metric_widget("Bytes out to destinations", region, "Sum", lines("BytesOutToDestination"), width=8),
        ]
    if w.nat_instance_group_names:
        groups = [_line("AWS/AutoScaling", "GroupInServiceInstances", {"AutoScalingGroupName": g}, g) for g in w.nat_instance_group_names]
        widgets += [
            _text(f"## NAT path: NAT instance group(s) (natMode {w.nat_mode or 'instance'})"),
            _metric_widget("NAT instances in service", region, "Minimum", groups, width=12),
        ]
    return widgets


def layout(widgets: Iterable[Widget]) -> list[Widget]:
    """Place widgets left to right, wrapping at the grid width (sets `x` and `y`)."""
    placed: list[Widget] = []
    x = y = row_height = 0
    for widget in widgets:
        if x + widget["width"] > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        placed.append({**widget, "x": x, "y": y})
        x += widget["width"]
        row_height = max(row_height, widget["height"])
    return placed


def dashboard_body(watched: WatchedResources, region: str, title: str) -> str:
    """The `dashboard_body` JSON of the payment-path dashboard."""
    widgets = [_text(f"# {title}")]
    for section in (_lambda, _dynamodb_and_queue, _reconciliation, _aurora, _nat):
        widgets += section(watched, region)
    return json.dumps({"widgets": layout(widgets)}, sort_keys=True)
