"""Stack configuration of the observability layer (`projects/observability/Pulumi.<stack>.yaml`).

Each alarm is an object `{enabled, threshold, evaluationPeriods, datapointsToAlarm}`; an alarm
that is switched off in an environment says `enabled: false` (e.g. the RDS CPU alarm in dev).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from shared.config.layer import LayerConfig, Percent


class AlarmSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    enabled: bool = True
    threshold: float = Field(default=0, ge=0)
    evaluation_periods: int = Field(default=3, ge=1, le=100)
    datapoints_to_alarm: int = Field(default=3, ge=1, le=100)
    period_seconds: int = Field(default=60, ge=10)

    @model_validator(mode="after")
    def _datapoints(self) -> "AlarmSettings":
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError("datapointsToAlarm must not exceed evaluationPeriods")
        return self


class PercentAlarmSettings(AlarmSettings):
    threshold: Percent = 80


class ObservabilityConfig(LayerConfig):
    alert_emails: list[str] = Field(default_factory=list)
    rds_cpu_alarm: PercentAlarmSettings
