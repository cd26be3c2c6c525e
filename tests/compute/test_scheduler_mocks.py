"""The offline plan's EventBridge Scheduler answers: AWS's ARN formats, and its refusals."""

from __future__ import annotations

import pytest

from platform_tools.plan.aws_mocks import SchedulerValidationError, resource_state

SCHEDULE = "aws:scheduler/schedule:Schedule"
GROUP = "aws:scheduler/scheduleGroup:ScheduleGroup"
FN = "arn:aws:lambda:us-east-1:123456789012:function:acme-payments-dev-reconcile"
ROLE = "arn:aws:iam::123456789012:role/acme-payments-dev-scheduler-role"


def schedule(**changes):
    inputs = {
        "name": "acme-payments-dev-reconcile",
        "groupName": "acme-payments-dev-schedules",
        "scheduleExpression": "rate(15 minutes)",
        "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": FN, "roleArn": ROLE, "retryPolicy": {"maximumRetryAttempts": 5, "maximumEventAgeInSeconds": 900}},
    }
    inputs.update(changes)
    return resource_state(SCHEDULE, "s", inputs, "seed")


def test_arns_name_the_group():
    rid, state = schedule()
    assert rid == "acme-payments-dev-schedules/acme-payments-dev-reconcile"
    assert state["arn"] == "arn:aws:scheduler:us-east-1:123456789012:schedule/acme-payments-dev-schedules/acme-payments-dev-reconcile"
    _, group = resource_state(GROUP, "g", {"name": "acme-payments-dev-schedules"}, "seed")
    assert group["arn"] == "arn:aws:scheduler:us-east-1:123456789012:schedule-group/acme-payments-dev-schedules"
    assert schedule(groupName=None)[1]["arn"].endswith(":schedule/default/acme-payments-dev-reconcile")


@pytest.mark.parametrize(
    "changes",
    [
        {"scheduleExpression": "rate(1 minutes)"},
        {"scheduleExpression": "cron(30 2 * * *)"},  # five fields: Scheduler wants six
        {"flexibleTimeWindow": {"mode": "FLEXIBLE"}},
        {"flexibleTimeWindow": {"mode": "OFF", "maximumWindowInMinutes": 5}},
        {"name": "x" * 65},
        {"target": {"arn": FN, "roleArn": ROLE, "retryPolicy": {"maximumRetryAttempts": 186}}},
        {"target": {"arn": FN, "roleArn": ROLE, "deadLetterConfig": {"arn": "arn:aws:sqs:us-east-1:123456789012:q.fifo"}}},
        {"target": {"arn": FN, "roleArn": "scheduler-role"}},
    ],
)
def test_what_scheduler_refuses_the_plan_refuses(changes):
    with pytest.raises(SchedulerValidationError, match="ValidationException"):
        schedule(**changes)


def test_what_scheduler_accepts():
    for expression in ("rate(1 minute)", "rate(5 minutes)", "cron(30 2 * * ? *)", "at(2026-12-01T02:30:00)"):
        assert schedule(scheduleExpression=expression)[1]["scheduleExpression"] == expression
