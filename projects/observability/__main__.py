"""Observability layer: the alert topic, the alarms of the payment path and its dashboard.

Everything watched comes from the network, data and compute layers' exports; thresholds and
which alarms are on come from the stack file.
"""

import pulumi

from shared.components.observability import (
    AlarmSet,
    AlarmSetArgs,
    AlertTopic,
    AlertTopicArgs,
    PaymentsDashboard,
    PaymentsDashboardArgs,
    WatchedResources,
    alarm_definitions,
    resolved,
)
from shared.components.observability.api_alarms import ApiAccessLogMetrics, ApiAccessLogMetricsArgs
from shared.config import load_layer_config
from shared.config.observability import ObservabilityConfig
from shared.contracts import COMPUTE, DATA, NETWORK, OBSERVABILITY, ComputeOutputs, DataOutputs, ObservabilityOutputs
from shared.naming import NameKind, Namer
from shared.provider import aws_provider
from shared.stack_refs import Upstream

environment, config = load_layer_config(ObservabilityConfig)
namer = Namer.for_environment(environment)
provider = aws_provider(environment)
upstream = Upstream(OBSERVABILITY)


def _outputs(project: str) -> pulumi.Output[dict]:
    keys = OBSERVABILITY.requires[project]
    return pulumi.Output.all(*[upstream.require(project, k) for k in keys]).apply(lambda values: dict(zip(keys, values)))


watched_output = pulumi.Output.all(_outputs(NETWORK.project), _outputs(DATA.project), _outputs(COMPUTE.project)).apply(
    lambda layers: WatchedResources.from_upstream(*layers)
)
# The alarms fan out per upstream resource, so their number must be known before declaring them.
watched = resolved(watched_output, "the network, data and compute exports")

topic_name = namer.name("alerts", NameKind.SNS_TOPIC)
dashboard_name = namer.name("payment-path", NameKind.DASHBOARD)
definitions = alarm_definitions(config, watched, namer)  # physical alarm names, checked up front

components = pulumi.ResourceOptions(providers=[provider])
topic = AlertTopic(
    namer.name("alerts"),
    AlertTopicArgs(
        topic_name=topic_name,
        kms_key_arn=upstream.require(DATA.project, DataOutputs.KMS_KEY_ARN),
        alarm_name_prefix=f"{namer.prefix}-",
        emails=config.alert_emails,
    ),
    opts=components,
)
alarms = AlarmSet(namer.name("alarms"), AlarmSetArgs(definitions=definitions, topic_arn=topic.topic_arn), opts=components)
api_metrics = ApiAccessLogMetrics(
    namer.name("api-metrics"),
    ApiAccessLogMetricsArgs(
        filter_name=namer.name("api-throttled"),
        access_log_group_name=upstream.require(COMPUTE.project, ComputeOutputs.API_ACCESS_LOG_GROUP),
        namespace=watched.metrics_namespace,  # the environment's own namespace, as the functions' metrics
    ),
    opts=components,
)
dashboard = PaymentsDashboard(
    namer.name("dashboard"),
    PaymentsDashboardArgs(dashboard_name=dashboard_name, region=environment.region, watched=watched_output),
    opts=components,
)

pulumi.export(ObservabilityOutputs.ALERT_TOPIC_ARN, topic.topic_arn)
pulumi.export(ObservabilityOutputs.ALARM_NAMES, alarms.alarm_names)
pulumi.export(ObservabilityOutputs.ALARM_ARNS, alarms.alarm_arns)
pulumi.export(ObservabilityOutputs.DASHBOARD_NAME, dashboard.dashboard_name)
