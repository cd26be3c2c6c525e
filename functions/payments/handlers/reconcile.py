"""`reconcile`: the scheduled jobs of reconciliation (invoked asynchronously by the scheduler).

Event: {"job": "reconcile"} every few minutes, or {"job": "consistency-check"} once a day (optional
"day": "YYYY-MM-DD" to check another day by hand; default the previous UTC day). The names are
`payments.contract.ReconcileJob`.
- reconcile: one run of `payments.reconcile.Reconciler`; metrics PaymentsReconciled,
  PaymentsFailedByReconciliation, PaymentsStillPending, OldestPendingAgeSeconds (always emitted,
  zeros included, so the alarms see data).
- consistency-check: `payments.consistency.ConsistencyCheck` over the day; each difference is logged
  with its payment id; metric ConsistencyDifferences.
Result: the job's summary (a JSON object). A bad event, or a payment reconciliation cannot finish for
a non-transient reason (a store conflict), raises: the invocation fails, the asynchronous retries
and the on-failure destination take it, and the function's error alarm fires.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timezone
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from payments import runtime
from payments.consistency import ConsistencyCheck, parse_day, previous_utc_day
from payments.contract import EnvVar, Metric, ReconcileJob
from payments.errors import ConfigurationError
from payments.reconcile import ReconcileSettings, Reconciler, ReconcileStore

logger = Logger(service=os.getenv(EnvVar.POWERTOOLS_SERVICE_NAME) or "payments")
metrics = Metrics(namespace=os.getenv(EnvVar.POWERTOOLS_METRICS_NAMESPACE) or "Payments")

MAX_LOGGED_DIFFERENCES = 1000  # one line each; the count and the metric always cover all of them
_JOBS = ", ".join(job.value for job in ReconcileJob)


class ReconciliationIncomplete(Exception):
    """Some payments could not be finished for a reason a later run will not fix (needs a human)."""


def parse_job(event: Any) -> ReconcileJob:
    job = event.get("job") if isinstance(event, dict) else None
    try:
        return ReconcileJob(job)
    except ValueError:
        raise ConfigurationError(f"event field 'job' must be one of: {_JOBS}") from None


_settings_cache: dict[str, ReconcileSettings] = {}


def reconcile_settings() -> ReconcileSettings:
    settings = _settings_cache.get("settings")
    if settings is None:
        settings = ReconcileSettings.from_env(os.environ)
        settings.check_against(runtime.get_runtime().settings.worst_case_seconds())
        _settings_cache["settings"] = settings
    return settings


runtime.on_reset(_settings_cache.clear)


def _log(message: str, **fields: Any) -> None:
    logger.info(message, extra=fields)


def run_reconcile(context: Any) -> dict[str, Any]:
    rt = runtime.get_runtime()
    reconciler = Reconciler(ReconcileStore(rt.database), rt.service, rt.service.api, reconcile_settings(), log=_log)
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    report = reconciler.run(deadline)
    metrics.add_metric(name=Metric.PAYMENTS_RECONCILED, unit=MetricUnit.Count, value=len(report.reconciled))
    metrics.add_metric(name=Metric.PAYMENTS_FAILED_BY_RECONCILIATION, unit=MetricUnit.Count, value=len(report.failed))
    metrics.add_metric(name=Metric.PAYMENTS_STILL_PENDING, unit=MetricUnit.Count, value=report.still_pending)
    metrics.add_metric(
        name=Metric.OLDEST_PENDING_AGE_SECONDS, unit=MetricUnit.Seconds, value=report.oldest_pending_age_seconds
    )
    summary = report.summary()
    logger.info("reconciliation run", extra=summary)
    if report.errors:
        logger.error("payments reconciliation cannot finish", extra={"errors": report.errors})
        codes = sorted(set(report.errors.values()))
        raise ReconciliationIncomplete(f"{len(report.errors)} payment(s) could not be finished: {codes}")
    return summary


def run_consistency_check(day: date) -> dict[str, Any]:
    rt = runtime.get_runtime()
    check = ConsistencyCheck(
        rt.database,
        lambda: rt.aws.dynamodb,
        lambda: rt.aws.s3,
        rt.settings.transactions_table,
        rt.settings.audit_bucket,
    )
    report = check.run(day)
    for difference in report.differences[:MAX_LOGGED_DIFFERENCES]:
        logger.warning("stores disagree on a payment", extra=difference.as_log())
    metrics.add_metric(name=Metric.CONSISTENCY_DIFFERENCES, unit=MetricUnit.Count, value=len(report.differences))
    summary = report.summary()
    log = logger.warning if report.differences else logger.info
    log("consistency check", extra={**summary, "totals": report.totals})
    return summary


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    job = parse_job(event)
    logger.append_keys(job=job.value)
    if job is ReconcileJob.RECONCILE:
        return run_reconcile(context)
    day = parse_day(event["day"]) if "day" in event else previous_utc_day(datetime.now(timezone.utc))
    return run_consistency_check(day)
