"""Stack configuration of the observability layer (`projects/observability/Pulumi.<stack>.yaml`).

Every alarm kind is one object `{enabled, threshold, evaluationPeriods, datapointsToAlarm,
periodSeconds}` and every key is required: an alarm set alike in every environment is a default
in `projects/observability/Pulumi.yaml`, the others are stated by each stack file (a stack file
that restates a default replaces the whole object; Pulumi does not merge keys). An alarm that is
switched off in an environment says `enabled: false` (e.g. the RDS CPU alarm in dev).
What an alarm watches, its comparison and how it treats missing data are fixed in code
(`shared.components.observability.alarm_definitions`); only thresholds and timing vary here.
The unit of `threshold` depends on the kind and is named in each field's description.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from shared.config.layer import LayerConfig, Percent

# CloudWatch: evaluationPeriods x period may not exceed one day for periods of a minute or more.
MAX_EVALUATION_SECONDS = 86_400
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


class AlarmSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    enabled: bool = True
    threshold: float = Field(default=0, ge=0)
    evaluation_periods: int = Field(default=3, ge=1, le=100)
    datapoints_to_alarm: int = Field(default=3, ge=1, le=100)
    # Every metric watched here is standard resolution: periods are whole minutes.
    period_seconds: int = Field(default=60, ge=60)

    @field_validator("period_seconds")
    @classmethod
    def _whole_minutes(cls, value: int) -> int:
        if value % 60:
            raise ValueError("must be a multiple of 60 (the metrics watched are standard resolution)")
        return value

    @model_validator(mode="after")
    def _evaluation_window(self) -> "AlarmSettings":
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError("datapointsToAlarm must not exceed evaluationPeriods")
        if self.evaluation_periods * self.period_seconds > MAX_EVALUATION_SECONDS:
            raise ValueError("evaluationPeriods x periodSeconds must not exceed 86400 (one day, a CloudWatch limit)")
        return self


class PercentAlarmSettings(AlarmSettings):
    threshold: Percent = 80


class FractionAlarmSettings(AlarmSettings):
    """`threshold` is a fraction of something else (e.g. of the function timeout), above 0 and at most 1."""

    threshold: float = Field(default=0.8, gt=0, le=1)


class MinimumAlarmSettings(AlarmSettings):
    """Alarms when the value drops below `threshold`, which must be at least 1."""

    threshold: float = Field(default=1, ge=1)


class ObservabilityConfig(LayerConfig):
    alert_emails: list[str] = Field(default_factory=list)
    # Aurora, one alarm per instance (dimension DBInstanceIdentifier).
    rds_cpu_alarm: PercentAlarmSettings = Field(description="CPUUtilization above threshold (%)")
    rds_freeable_memory_alarm: AlarmSettings = Field(description="FreeableMemory below threshold (MiB)")
    rds_connections_alarm: AlarmSettings = Field(description="DatabaseConnections above threshold (connections)")
    # Lambda, one alarm per payment function (dimension FunctionName).
    lambda_errors_alarm: AlarmSettings = Field(description="Errors per period above threshold (count)")
    lambda_throttles_alarm: AlarmSettings = Field(description="Throttles per period above threshold (count)")
    lambda_duration_alarm: FractionAlarmSettings = Field(description="p99 Duration above threshold x the function timeout")
    # SQS dead-letter queue of the reconcile function's scheduled (asynchronous) invocations.
    dlq_depth_alarm: AlarmSettings = Field(description="ApproximateNumberOfMessagesVisible above threshold (messages)")
    # Reconciliation (issue 16): the reconcile function's metrics and errors.
    oldest_pending_age_alarm: AlarmSettings = Field(
        description="OldestPendingAgeSeconds above threshold (seconds), or no report for a period (reconciliation not running)"
    )
    consistency_differences_alarm: AlarmSettings = Field(description="ConsistencyDifferences above threshold (count)")
    reconcile_errors_alarm: AlarmSettings = Field(description="Errors of the reconcile function per period above threshold (count)")
    # Database access (issue 15): a function met a schema older than it needs (migrations not applied).
    schema_too_old_alarm: AlarmSettings = Field(description="SchemaTooOld per period above threshold (count)")
    # DynamoDB, one alarm per table (sum over operations).
    dynamodb_throttles_alarm: AlarmSettings = Field(description="ThrottledRequests per period above threshold (count)")
    dynamodb_system_errors_alarm: AlarmSettings = Field(description="SystemErrors per period above threshold (count)")
    # NAT path: per NAT gateway where the network layer runs gateways, per NAT instance group where it runs instances.
    nat_port_allocation_errors_alarm: AlarmSettings = Field(description="ErrorPortAllocation per period above threshold (count)")
    nat_packets_dropped_alarm: AlarmSettings = Field(description="PacketsDropCount per period above threshold (packets)")
    nat_instance_health_alarm: MinimumAlarmSettings = Field(description="GroupInServiceInstances below threshold (instances)")
    # The payment API's $default stage (dimensions ApiId, Stage).
    api_server_errors_alarm: PercentAlarmSettings = Field(description="5xx / Count per period above threshold (%)")
    api_latency_alarm: FractionAlarmSettings = Field(description="p99 Latency above threshold x the API functions' timeout")
    api_throttles_alarm: AlarmSettings = Field(description="requests answered 429 (stage throttling) per period above threshold (count)")

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, emails: list[str]) -> list[str]:
        bad = [e for e in emails if not _EMAIL.match(e)]
        if bad:
            raise ValueError(f"{bad} are not e-mail addresses (name@domain.tld)")
        if len(set(emails)) != len(emails):
            raise ValueError("e-mail addresses must be distinct (each becomes one subscription)")
        return emails
