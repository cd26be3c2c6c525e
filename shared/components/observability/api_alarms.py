"""The payment API's alarms (issue 18) and the access-log metric its throttle alarm reads.

HTTP APIs publish `4xx`, `5xx`, `Count`, `Latency`, `IntegrationLatency` and `DataProcessed` in
`AWS/ApiGateway` (dimensions `ApiId` and `Stage`; per route only with detailed metrics), but no
throttle metric: a throttled request is one more `4xx`, like a refused token. The throttle alarm
therefore reads a metric this layer derives from the stage's JSON access log (`status` 429).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.observability.alarm_definitions import MetricStat, _Builder
from shared.components.observability.watched import WatchedResources
from shared.config.observability import ObservabilityConfig

NAMESPACE = "AWS/ApiGateway"
THROTTLED_METRIC = "ApiThrottledRequests"
# The compute layer's access-log format writes `status` as a string.
THROTTLED_PATTERN = '{ $.status = "429" }'


def api_alarms(b: _Builder, config: ObservabilityConfig, watched: WatchedResources) -> None:
    """5XX rate (%), p99 latency against the API functions' timeout, throttled requests."""
    if not watched.api_id:
        return
    dims = {"ApiId": watched.api_id, "Stage": watched.api_stage}
    errors = config.api_server_errors_alarm
    b.add(
        errors,
        "api-5xx-rate",
        f"Payment API {watched.api_id}: more than {errors.threshold:g}% of requests answered 5XX",
        [MetricStat(NAMESPACE, "5xx", dims, "Sum"), MetricStat(NAMESPACE, "Count", dims, "Sum")],
        "GreaterThanThreshold",
        "notBreaching",
        # No requests, no rate: an idle API is not failing.
        expression="IF(m2 > 0, 100 * m1 / m2, 0)",
        expression_label="5XX rate (%)",
    )
    timeout_ms = max(watched.function_timeouts.values()) * 1000
    fraction = config.api_latency_alarm.threshold
    b.add(
        config.api_latency_alarm,
        "api-latency-p99",
        f"Payment API {watched.api_id}: p99 latency above {fraction:.0%} of the functions' {timeout_ms // 1000}s timeout",
        [MetricStat(NAMESPACE, "Latency", dims, "p99")],
        "GreaterThanThreshold",
        "notBreaching",
        threshold=round(fraction * timeout_ms, 3),
    )
    b.add(
        config.api_throttles_alarm,
        "api-throttled",
        f"Payment API {watched.api_id}: requests refused with 429 (stage throttling)",
        [MetricStat(watched.metrics_namespace, THROTTLED_METRIC, {}, "Sum")],
        "GreaterThanThreshold",
        "notBreaching",
    )


@dataclass(frozen=True)
class ApiAccessLogMetricsArgs:
    filter_name: str
    access_log_group_name: pulumi.Input[str]
    namespace: str  # the environment's own metric namespace (as the functions' Powertools metrics)


class ApiAccessLogMetrics(pulumi.ComponentResource):
    """A metric filter on the API's access log counting throttled (429) requests."""

    def __init__(self, name: str, args: ApiAccessLogMetricsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:ApiAccessLogMetrics", name, None, opts)
        metric_filter = aws.cloudwatch.LogMetricFilter(
            f"{name}-throttled",
            name=args.filter_name,
            log_group_name=args.access_log_group_name,
            pattern=THROTTLED_PATTERN,
            metric_transformation={"name": THROTTLED_METRIC, "namespace": args.namespace, "value": "1", "unit": "Count"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.filter_name = metric_filter.name
        self.register_outputs({"throttledFilterName": self.filter_name})
