"""EventBridge Scheduler expressions and events of the reconciliation jobs (pure, no Pulumi).

Schedules run in UTC. Scheduler invokes a Lambda target asynchronously: its own retry policy and
dead-letter queue cover an event it could not hand to Lambda (throttled, function missing); what
the function does with it afterwards is the function's asynchronous-invocation config.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from payments.contract import ReconcileJob

SCHEDULE_TIMEZONE = "UTC"
# Scheduler allows 0-185 retries within an event age of 60-86400 s (its API limits).
SCHEDULER_MAX_RETRY_ATTEMPTS = 185
SCHEDULER_EVENT_AGE_SECONDS = (60, 86_400)
# A handful of retries with Scheduler's back-off rides out a throttled Invoke; after that the
# event goes to the dead-letter queue, whose depth alarm pages.
SCHEDULER_RETRY_ATTEMPTS = 5
_TIME = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def rate_expression(minutes: int) -> str:
    """`rate(5 minutes)`; Scheduler wants the singular unit for 1."""
    if minutes < 1:
        raise ValueError(f"a rate needs at least 1 minute, not {minutes}")
    return f"rate({minutes} {'minute' if minutes == 1 else 'minutes'})"


def daily_cron(time_of_day: str) -> str:
    """`"02:30"` -> `cron(30 2 * * ? *)`: Scheduler's six fields (minutes hours day month weekday year)."""
    match = _TIME.match(time_of_day)
    if not match:
        raise ValueError(f"{time_of_day!r} is not a time of day HH:MM (00:00-23:59)")
    return f"cron({int(match[2])} {int(match[1])} * * ? *)"


def job_input(job: ReconcileJob) -> str:
    """The event the function receives: `{"job": "reconcile"}` or `{"job": "consistency-check"}`."""
    return json.dumps({"job": job.value})


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int
    maximum_event_age_in_seconds: int


def retry_policy(period_seconds: int) -> RetryPolicy:
    """Retries within one period: an event older than the next run of its schedule is superseded by it."""
    low, high = SCHEDULER_EVENT_AGE_SECONDS
    return RetryPolicy(
        maximum_retry_attempts=min(SCHEDULER_RETRY_ATTEMPTS, SCHEDULER_MAX_RETRY_ATTEMPTS),
        maximum_event_age_in_seconds=max(low, min(high, period_seconds)),
    )
