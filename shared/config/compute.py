"""Stack configuration of the compute layer (`projects/compute/Pulumi.<stack>.yaml`)."""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlparse

from payments.settings import Settings as PaymentRuntimeSettings
from pydantic import Field, field_validator, model_validator

from shared.config.layer import LayerConfig, LogRetentionDays
from shared.config.payment_api import ApiThrottling, Merchant, distinct_merchants

LAMBDA_MEMORY_MB = (128, 10240)
LAMBDA_TIMEOUT_SECONDS = (1, 900)
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
_TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class ComputeConfig(LayerConfig):
    lambda_memory_mb: int = Field(ge=LAMBDA_MEMORY_MB[0], le=LAMBDA_MEMORY_MB[1])
    lambda_timeout_seconds: int = Field(ge=LAMBDA_TIMEOUT_SECONDS[0], le=LAMBDA_TIMEOUT_SECONDS[1])
    lambda_reserved_concurrency: int = Field(ge=1, le=1000)
    log_retention_days: LogRetentionDays
    log_level: LogLevel = "INFO"
    payment_api_endpoint: str
    payment_api_timeout_seconds: float = Field(gt=0, le=60)
    max_amount_minor: int = Field(ge=1)
    # The reconcile function's asynchronous invocations (its only caller is the scheduler).
    async_max_retry_attempts: int = Field(default=2, ge=0, le=2)
    async_max_event_age_seconds: int = Field(default=3600, ge=60, le=21600)
    # Schema migrations (issue 15): the deploy step's function. Same in every environment: Pulumi.yaml.
    migration_memory_mb: int = Field(ge=LAMBDA_MEMORY_MB[0], le=LAMBDA_MEMORY_MB[1])
    migration_timeout_seconds: int = Field(ge=LAMBDA_TIMEOUT_SECONDS[0], le=LAMBDA_TIMEOUT_SECONDS[1])
    # Reconciliation (issue 16): the interval and batch per environment (stack files), the rest Pulumi.yaml.
    reconcile_interval_minutes: int = Field(ge=1, le=1440)
    reconcile_batch_size: int = Field(ge=1, le=1000)
    reconcile_max_attempts: int = Field(ge=1, le=100)
    reconcile_timeout_seconds: int = Field(ge=LAMBDA_TIMEOUT_SECONDS[0], le=LAMBDA_TIMEOUT_SECONDS[1])
    reconcile_memory_mb: int = Field(ge=LAMBDA_MEMORY_MB[0], le=LAMBDA_MEMORY_MB[1])
    pending_threshold_seconds: int = Field(ge=60, le=7 * 86400)
    consistency_check_time: str  # HH:MM, UTC

    @field_validator("consistency_check_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        if not _TIME_OF_DAY.match(value):
            raise ValueError("must be a UTC time of day HH:MM (00:00-23:59), e.g. '02:30'")
        return value

    # The payment API (shared.config.payment_api): stage throttling and the merchants allowed in.
    api_throttling: ApiThrottling
    merchants: list[Merchant] = Field(default_factory=list)

    _distinct_merchants = field_validator("merchants")(distinct_merchants)

    @field_validator("payment_api_endpoint")
    @classmethod
    def _https_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme != "https" or not parsed.hostname:
            raise ValueError("must be an https:// URL of the environment's payment API")
        return value

    @model_validator(mode="after")
    def _api_fits_in_timeout(self) -> "ComputeConfig":
        if self.payment_api_timeout_seconds >= self.lambda_timeout_seconds:
            raise ValueError("paymentApiTimeoutSeconds: must be below lambdaTimeoutSeconds so the function can record the outcome")
        # Every remote call of one invocation timing out must still fit (payments.settings).
        worst_case = PaymentRuntimeSettings.worst_case_for(self.payment_api_timeout_seconds)
        if self.lambda_timeout_seconds < worst_case:
            raise ValueError(
                f"lambdaTimeoutSeconds: must be at least {worst_case:g} s, the functions' worst case with "
                f"paymentApiTimeoutSeconds {self.payment_api_timeout_seconds:g} (every remote call timing out)"
            )
        if self.pending_threshold_seconds <= self.lambda_timeout_seconds:
            raise ValueError(
                f"pendingThresholdSeconds: must exceed lambdaTimeoutSeconds ({self.lambda_timeout_seconds} s): a payment "
                "younger than the function timeout may still be in flight and must not be reconciled"
            )
        # Every payment of a batch asks the payment API once; all of them timing out must still fit.
        batch_worst_case = self.reconcile_batch_size * self.payment_api_timeout_seconds
        if batch_worst_case >= self.reconcile_timeout_seconds:
            raise ValueError(
                f"reconcileBatchSize: {self.reconcile_batch_size} x paymentApiTimeoutSeconds "
                f"{self.payment_api_timeout_seconds:g} = {batch_worst_case:g} s must stay below reconcileTimeoutSeconds "
                f"({self.reconcile_timeout_seconds} s); lower the batch or raise the timeout (at most 900)"
            )
        return self
