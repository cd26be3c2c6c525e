"""`AlarmSet`: one CloudWatch metric alarm per `AlarmDefinition`, all notifying the alert topic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.observability.alarm_definitions import AlarmDefinition, MetricStat
from shared.tagging import name_tag


@dataclass(frozen=True)
class AlarmSetArgs:
    definitions: Sequence[AlarmDefinition]
    topic_arn: pulumi.Input[str]  # receives ALARM and OK transitions of every alarm


def _statistic(metric: MetricStat) -> dict[str, str]:
    # Percentiles go in ExtendedStatistic; Statistic only takes the five simple statistics.
    return {"extended_statistic": metric.stat} if metric.is_percentile else {"statistic": metric.stat}


def _metric_queries(definition: AlarmDefinition) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=f"m{i}",
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=m.namespace,
                metric_name=m.metric_name,
                dimensions=dict(m.dimensions),
                stat=m.stat,
                period=definition.period_seconds,
            ),
            return_data=False,
        )
        for i, m in enumerate(definition.metrics, start=1)
    ]
    queries.append(
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="e1", expression=definition.expression, label=definition.expression_label or None, return_data=True
        )
    )
    return queries


def _metric_args(definition: AlarmDefinition) -> dict[str, object]:
    if definition.expression:
        return {"metric_queries": _metric_queries(definition)}
    (metric,) = definition.metrics
    return {
        "namespace": metric.namespace,
        "metric_name": metric.metric_name,
        "dimensions": dict(metric.dimensions),
        "period": definition.period_seconds,
        **_statistic(metric),
    }


class AlarmSet(pulumi.ComponentResource):
    """The environment's metric alarms; each sends ALARM and OK to the alert topic.

    Security posture: alarms carry no data beyond metric values; the topic they notify is
    KMS-encrypted and only CloudWatch of this account may publish to it (`AlertTopic`).
    """

    alarm_names: pulumi.Output[list[str]]
    alarm_arns: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AlarmSetArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:AlarmSet", name, None, opts)
        alarms = [
            aws.cloudwatch.MetricAlarm(
                f"{name}-{d.key}",
                name=d.name,
                alarm_description=d.description,
                comparison_operator=d.comparison,
                threshold=d.threshold,
                evaluation_periods=d.evaluation_periods,
                datapoints_to_alarm=d.datapoints_to_alarm,
                treat_missing_data=d.treat_missing_data,
                actions_enabled=True,
                alarm_actions=[args.topic_arn],
                ok_actions=[args.topic_arn],
                tags=name_tag(d.name),
                opts=pulumi.ResourceOptions(parent=self),
                **_metric_args(d),
            )
            for d in args.definitions
        ]
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms]).apply(list)
        self.alarm_arns = pulumi.Output.all(*[a.arn for a in alarms]).apply(list)
        self.register_outputs({"alarmNames": self.alarm_names, "alarmArns": self.alarm_arns})
