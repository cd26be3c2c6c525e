"""`PaymentFunctions`: every payment function of one environment and their shared dead-letter queue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments.contract import FunctionSpec
from shared.components.compute.payment_function import PaymentFunction, PaymentFunctionArgs
from shared.components.compute.settings import DataEndpoints, FunctionSettings, function_environment
from shared.components.compute.policies import access_of
from shared.function_code import FunctionCode
from shared.tagging import name_tag

# The longest SQS allows: failed payment events stay available for investigation and redrive.
DLQ_RETENTION_SECONDS = 14 * 24 * 3600


@dataclass(frozen=True)
class FunctionNames:
    """The physical names of one function's resources (computed up front by the program)."""

    function: str
    role: str
    policy: str
    log_group: str


@dataclass(frozen=True)
class PaymentFunctionsArgs:
    functions: tuple[FunctionSpec, ...]
    names: Mapping[str, FunctionNames]  # keyed by FunctionSpec.name
    dead_letter_queue_name: str
    account_id: pulumi.Input[str]
    code: FunctionCode
    settings: FunctionSettings
    data: DataEndpoints
    subnet_ids: pulumi.Input[list[str]]
    security_group_ids: pulumi.Input[list[str]]
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    log_retention_days: int
    async_max_retry_attempts: int
    async_max_event_age_seconds: int


class PaymentFunctions(pulumi.ComponentResource):
    """The payment functions (one `PaymentFunction` each, each with its own role) and one
    KMS-encrypted SQS queue that receives the asynchronous invocations that failed every retry.
    Outputs are maps keyed by the function's logical name, as the contract exports them.
    """

    functions: dict[str, PaymentFunction]
    dead_letter_queue: aws.sqs.Queue
    function_names: pulumi.Output[dict[str, str]]
    function_arns: pulumi.Output[dict[str, str]]
    role_arns: pulumi.Output[dict[str, str]]
    log_group_names: pulumi.Output[dict[str, str]]
    function_timeouts: dict[str, int]
    dead_letter_queue_arn: pulumi.Output[str]
    dead_letter_queue_name: pulumi.Output[str]

    def __init__(self, name: str, args: PaymentFunctionsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:PaymentFunctions", name, None, opts)

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq",
            name=args.dead_letter_queue_name,
            kms_master_key_id=args.data.kms_key_arn,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=name_tag(args.dead_letter_queue_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        environment = function_environment(args.settings, args.data)
        self.functions = {}
        for spec in args.functions:
            names = args.names[spec.name]
            self.functions[spec.name] = PaymentFunction(
                f"{name}-{spec.name}",
                PaymentFunctionArgs(
                    spec=spec,
                    function_name=names.function,
                    role_name=names.role,
                    policy_name=names.policy,
                    log_group_name=names.log_group,
                    account_id=args.account_id,
                    access=access_of(spec.name),
                    code=args.code,
                    memory_mb=args.memory_mb,
                    timeout_seconds=args.timeout_seconds,
                    reserved_concurrency=args.reserved_concurrency,
                    log_retention_days=args.log_retention_days,
                    subnet_ids=args.subnet_ids,
                    security_group_ids=args.security_group_ids,
                    environment_variables=environment,
                    data=args.data,
                    dead_letter_queue_arn=self.dead_letter_queue.arn,
                    async_max_retry_attempts=args.async_max_retry_attempts,
                    async_max_event_age_seconds=args.async_max_event_age_seconds,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.function_names = _by_function(self.functions, lambda f: f.name)
        self.function_arns = _by_function(self.functions, lambda f: f.arn)
        self.role_arns = _by_function(self.functions, lambda f: f.role_arn)
        self.log_group_names = _by_function(self.functions, lambda f: f.log_group_name)
        self.function_timeouts = {spec.name: args.timeout_seconds for spec in args.functions}
        self.dead_letter_queue_arn = self.dead_letter_queue.arn
        self.dead_letter_queue_name = self.dead_letter_queue.name
        self.register_outputs(
            {
                "functionNames": self.function_names,
                "functionArns": self.function_arns,
                "roleArns": self.role_arns,
                "logGroupNames": self.log_group_names,
                "deadLetterQueueArn": self.dead_letter_queue_arn,
            }
        )


def _by_function(functions: Mapping[str, PaymentFunction], pick) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.all(**{key: pick(fn) for key, fn in functions.items()})
