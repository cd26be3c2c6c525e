"""The observability layer's components: alert topic, alarms and dashboard of the payment path.

Pure builders (alarm definitions, dashboard JSON, topic policy) are plain functions tested
without Pulumi; the components only turn their results into resources.
"""

from shared.components.observability.alarm_definitions import AlarmDefinition, MetricStat, alarm_definitions
from shared.components.observability.alarms import AlarmSet, AlarmSetArgs
from shared.components.observability.alert_topic import AlertTopic, AlertTopicArgs
from shared.components.observability.dashboard import PaymentsDashboard, PaymentsDashboardArgs
from shared.components.observability.watched import WatchedResources, resolved

__all__ = [
    "AlarmDefinition",
    "AlarmSet",
    "AlarmSetArgs",
    "AlertTopic",
    "AlertTopicArgs",
    "MetricStat",
    "PaymentsDashboard",
    "PaymentsDashboardArgs",
    "WatchedResources",
    "alarm_definitions",
    "resolved",
]
