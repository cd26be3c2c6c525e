"""Stack configuration of the data layer (`projects/data/Pulumi.<stack>.yaml`)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from shared.config.layer import LayerConfig, LogRetentionDays, Percent

_INSTANCE_CLASS = re.compile(r"^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$")
_BACKUP_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ENGINE_VERSION = re.compile(r"^(1[1-9]|[2-9]\d)\.\d{1,2}$")
# Performance Insights keeps 7 days free, or whole months (31-day multiples) up to 731 days.
PERFORMANCE_INSIGHTS_RETENTION_DAYS = (7, *range(31, 31 * 23 + 1, 31), 731)
# Enhanced Monitoring granularity RDS accepts (0 = off).
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)

# on-demand: PAY_PER_REQUEST; provisioned: fixed capacity; autoscaled: provisioned between min and max.
BillingMode = Literal["on-demand", "provisioned", "autoscaled"]


class DataConfig(LayerConfig):
    aurora_engine_version: str
    aurora_instance_class: str
    aurora_instance_count: int = Field(ge=1, le=15)
    aurora_backup_retention_days: int = Field(ge=1, le=35)
    aurora_backup_window: str = "03:00-04:00"
    aurora_maintenance_window: str = "sun:05:00-sun:06:00"
    aurora_performance_insights: bool = False
    aurora_performance_insights_retention_days: int = 7
    aurora_skip_final_snapshot: bool
    # Enhanced Monitoring of every instance every N seconds (0: off, no monitoring role).
    aurora_monitoring_interval_seconds: int = 0
    aurora_database_name: str = "payments"
    aurora_master_username: str = "payments_admin"
    aurora_log_retention_days: LogRetentionDays

    transaction_log_billing_mode: BillingMode
    transaction_log_read_capacity: int = Field(default=0, ge=0, le=40000)
    transaction_log_write_capacity: int = Field(default=0, ge=0, le=40000)
    transaction_log_max_read_capacity: int = Field(default=0, ge=0, le=40000)
    transaction_log_max_write_capacity: int = Field(default=0, ge=0, le=40000)
    transaction_log_target_utilization: Percent = 70
    transaction_log_point_in_time_recovery: bool

    audit_glacier_transition_days: int | None = Field(default=None, ge=1)
    audit_noncurrent_version_expiration_days: int = Field(ge=1)
    audit_abort_incomplete_upload_days: int = Field(default=7, ge=1)
    # How long S3 server access logs of the audit bucket are kept in its access-log bucket.
    audit_access_log_retention_days: int = Field(ge=1, le=3653)

    kms_deletion_window_days: int = Field(ge=7, le=30)

    @field_validator("aurora_instance_class")
    @classmethod
    def _db_class(cls, value: str) -> str:
        if not _INSTANCE_CLASS.match(value):
            raise ValueError("not an RDS instance class; expected a db.* class such as db.r5.large")
        return value

    @field_validator("aurora_engine_version")
    @classmethod
    def _engine_version(cls, value: str) -> str:
        if not _ENGINE_VERSION.match(value):
            raise ValueError(
                "expected an Aurora PostgreSQL major.minor version such as 17.9 (major 11 or later): the minor is pinned "
                "and upgraded through this key, see README 'After the first deploy'"
            )
        return value

    @field_validator("aurora_performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in PERFORMANCE_INSIGHTS_RETENTION_DAYS:
            raise ValueError("Performance Insights keeps 7 days, a multiple of 31 days up to 713, or 731 days")
        return value

    @field_validator("aurora_monitoring_interval_seconds")
    @classmethod
    def _monitoring_interval(cls, value: int) -> int:
        if value not in MONITORING_INTERVALS:
            raise ValueError(f"Enhanced Monitoring intervals RDS accepts: {', '.join(map(str, MONITORING_INTERVALS))} (0 turns it off)")
        return value

    @property
    def aurora_engine_major(self) -> str:
        return self.aurora_engine_version.split(".")[0]

    @property
    def aurora_parameter_group_family(self) -> str:
        """The cluster parameter group family must match the engine major version."""
        return f"aurora-postgresql{self.aurora_engine_major}"

    @field_validator("aurora_backup_window")
    @classmethod
    def _window(cls, value: str) -> str:
        if not _BACKUP_WINDOW.match(value):
            raise ValueError("expected hh24:mi-hh24:mi in UTC, e.g. 03:00-04:00")
        return value

    @field_validator("aurora_database_name", "aurora_master_username")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value) or value in ("postgres", "rdsadmin", "admin"):
            raise ValueError("lowercase letters, digits and '_', starting with a letter, at most 63; not a reserved name")
        return value

    @model_validator(mode="after")
    def _capacities(self) -> "DataConfig":
        mode = self.transaction_log_billing_mode
        read, write = self.transaction_log_read_capacity, self.transaction_log_write_capacity
        if mode == "on-demand" and (read or write or self.transaction_log_max_read_capacity or self.transaction_log_max_write_capacity):
            raise ValueError("transactionLogReadCapacity: billing mode 'on-demand' takes no capacities; remove them")
        if mode in ("provisioned", "autoscaled") and (read < 1 or write < 1):
            raise ValueError(f"transactionLogReadCapacity: billing mode {mode!r} needs read and write capacity of at least 1")
        if mode == "autoscaled":
            if self.transaction_log_max_read_capacity < read:
                raise ValueError(f"transactionLogMaxReadCapacity: must be at least transactionLogReadCapacity ({read}); min > max")
            if self.transaction_log_max_write_capacity < write:
                raise ValueError(f"transactionLogMaxWriteCapacity: must be at least transactionLogWriteCapacity ({write}); min > max")
        elif self.transaction_log_max_read_capacity or self.transaction_log_max_write_capacity:
            raise ValueError(f"transactionLogMaxReadCapacity: maximum capacities apply only to billing mode 'autoscaled', not {mode!r}")
        return self
