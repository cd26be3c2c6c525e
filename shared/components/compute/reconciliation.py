"""`Reconciliation`: the scheduled reconcile function, its schedules and its asynchronous failure path.

The reconcile function (`payments.contract.RECONCILE`) finishes or fails payments stuck `pending`
and, once a day, checks that PostgreSQL, DynamoDB and S3 agree. EventBridge Scheduler invokes it
asynchronously, so this is the platform's one asynchronous path and the one place with a
dead-letter queue: Lambda's on-failure destination (an event that failed every retry) and
Scheduler's dead-letter config (an event Scheduler could not hand to Lambda) both land in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments.contract import DATABASE_USERS, RECONCILE, ReconcileJob
from shared.components.compute.payment_function import FunctionNames, PaymentFunction, PaymentFunctionArgs
from shared.components.compute.payment_functions import database_targets
from shared.components.compute.policies import access_of, schedule_group_arn, scheduler_policy, scheduler_trust_policy
from shared.components.compute.schedules import SCHEDULE_TIMEZONE, daily_cron, job_input, rate_expression, retry_policy
from shared.components.compute.settings import (
    FunctionDeployment,
    ReconcileSettings,
    database_user_environment,
    reconcile_environment,
)
from shared.tagging import name_tag

# The longest SQS allows: failed events stay available for investigation and redrive.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# One run of each job at a time (the reconcile run and the daily check may overlap); the function
# is safe to run twice at once, this only bounds its database connections.
RECONCILE_CONCURRENCY = 2
DAY_SECONDS = 86_400


@dataclass(frozen=True)
class ReconciliationNames:
    function: FunctionNames
    dead_letter_queue: str
    schedule_group: str
    scheduler_role: str
    scheduler_policy: str
    reconcile_schedule: str
    consistency_check_schedule: str


@dataclass(frozen=True)
class ReconciliationArgs:
    names: ReconciliationNames
    deployment: FunctionDeployment  # what every function of the environment shares
    reconcile: ReconcileSettings
    interval_minutes: int
    consistency_check_time: str  # HH:MM, UTC
    memory_mb: int
    timeout_seconds: int
    async_max_retry_attempts: int
    async_max_event_age_seconds: int


class Reconciliation(pulumi.ComponentResource):
    """The reconcile function (own role, own database user), a KMS-encrypted SQS dead-letter queue,
    the function's asynchronous-invocation config (retries, then the queue), one schedule group per
    environment with two schedules (the reconcile interval; the daily consistency check), and the
    role Scheduler assumes: trusted for this group of this account only, allowed to invoke exactly
    this function and to send to this queue.
    """

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    policy_json: pulumi.Output[str]
    scheduler_policy_json: pulumi.Output[str]
    dead_letter_queue_arn: pulumi.Output[str]
    dead_letter_queue_name: pulumi.Output[str]
    schedule_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: ReconciliationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:Reconciliation", name, None, opts)
        names, data = args.names, args.deployment.data
        child = pulumi.ResourceOptions(parent=self)

        queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=names.dead_letter_queue,
            kms_master_key_id=data.kms_key_arn,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=name_tag(names.dead_letter_queue),
            opts=child,
        )
        user = DATABASE_USERS[RECONCILE.name].name
        function = PaymentFunction(
            f"{name}-{RECONCILE.name}",
            PaymentFunctionArgs(
                spec=RECONCILE,
                names=names.function,
                deployment=args.deployment,
                access=access_of(RECONCILE.name),
                policy_targets={
                    "transactions_table_arn": data.transactions_table_arn,
                    "audit_bucket_arn": data.audit_bucket_arn,
                    "dead_letter_queue_arn": queue.arn,
                    **database_targets(RECONCILE.name, args.deployment.region, args.deployment.account_id, data),
                },
                memory_mb=args.memory_mb,
                timeout_seconds=args.timeout_seconds,
                reserved_concurrency=RECONCILE_CONCURRENCY,
                environment_variables={**database_user_environment(user), **reconcile_environment(args.reconcile)},
            ),
            opts=child,
        )
        # The role must be allowed to send before Lambda accepts the destination.
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-async",
            function_name=function.name,
            maximum_retry_attempts=args.async_max_retry_attempts,
            maximum_event_age_in_seconds=args.async_max_event_age_seconds,
            destination_config={"on_failure": {"destination": queue.arn}},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[function]),
        )

        group = aws.scheduler.ScheduleGroup(
            f"{name}-schedules", name=names.schedule_group, tags=name_tag(names.schedule_group), opts=child
        )
        group_arn = pulumi.Output.from_input(args.deployment.account_id).apply(
            lambda account: schedule_group_arn(args.deployment.region, account, names.schedule_group)
        )
        role = aws.iam.Role(
            f"{name}-scheduler-role",
            name=names.scheduler_role,
            description="Assumed by EventBridge Scheduler for this environment's reconciliation schedules only",
            assume_role_policy=pulumi.Output.all(args.deployment.account_id, group_arn).apply(
                lambda values: json.dumps(scheduler_trust_policy(values[0], values[1]))
            ),
            tags=name_tag(names.scheduler_role),
            opts=child,
        )
        self.scheduler_policy_json = pulumi.Output.all(function.arn, queue.arn, data.kms_key_arn).apply(
            lambda arns: json.dumps(scheduler_policy(*arns))
        )
        policy = aws.iam.RolePolicy(
            f"{name}-scheduler-policy", name=names.scheduler_policy, role=role.name, policy=self.scheduler_policy_json, opts=child
        )
        jobs = (
            (ReconcileJob.RECONCILE, names.reconcile_schedule, rate_expression(args.interval_minutes), args.interval_minutes * 60,
             f"Every {args.interval_minutes} min: finish or fail payments pending too long"),
            (ReconcileJob.CONSISTENCY_CHECK, names.consistency_check_schedule, daily_cron(args.consistency_check_time), DAY_SECONDS,
             f"Daily at {args.consistency_check_time} UTC: PostgreSQL, DynamoDB and S3 agree for the previous day"),
        )
        for job, schedule_name, expression, period, description in jobs:
            retries = retry_policy(period)
            aws.scheduler.Schedule(
                f"{name}-{job.value}",
                name=schedule_name,
                group_name=group.name,
                description=description,
                schedule_expression=expression,
                schedule_expression_timezone=SCHEDULE_TIMEZONE,
                flexible_time_window={"mode": "OFF"},
                state="ENABLED",
                target={
                    "arn": function.arn,
                    "role_arn": role.arn,
                    "input": job_input(job),
                    "retry_policy": {
                        "maximum_retry_attempts": retries.maximum_retry_attempts,
                        "maximum_event_age_in_seconds": retries.maximum_event_age_in_seconds,
                    },
                    "dead_letter_config": {"arn": queue.arn},
                },
                # Scheduler checks nothing at creation, but the first run must find its permissions.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )

        self.name = function.name
        self.arn = function.arn
        self.role_arn = function.role_arn
        self.log_group_name = function.log_group_name
        self.policy_json = function.policy_json
        self.dead_letter_queue_arn = queue.arn
        self.dead_letter_queue_name = queue.name
        self.schedule_group_name = group.name
        self.register_outputs(
            {
                "name": self.name,
                "arn": self.arn,
                "roleArn": self.role_arn,
                "deadLetterQueueArn": self.dead_letter_queue_arn,
                "scheduleGroupName": self.schedule_group_name,
            }
        )
