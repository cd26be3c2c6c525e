"""`PaymentFunctions`: the functions the payment API calls synchronously, one role each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from payments.contract import DATABASE_USERS, FunctionSpec
from shared.components.compute.payment_function import FunctionNames, PaymentFunction, PaymentFunctionArgs
from shared.components.compute.policies import access_of
from shared.components.compute.settings import DataEndpoints, FunctionDeployment, database_user_environment

__all__ = ["FunctionNames", "PaymentFunctions", "PaymentFunctionsArgs", "database_targets"]


@dataclass(frozen=True)
class PaymentFunctionsArgs:
    functions: tuple[FunctionSpec, ...]
    deployment: FunctionDeployment  # what every function of the environment shares
    names: Mapping[str, FunctionNames]  # keyed by FunctionSpec.name
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int


def database_targets(function: str, region: str, account_id: pulumi.Input[str], data: DataEndpoints) -> dict[str, pulumi.Input[str]]:
    """What a function's policy needs to name for `rds-db:connect` as its own database user."""
    return {
        "region": region,
        "account_id": account_id,
        "cluster_resource_id": data.cluster_resource_id,
        "db_user": DATABASE_USERS[function].name,
    }


class PaymentFunctions(pulumi.ComponentResource):
    """The payment API's functions (one `PaymentFunction` each, each with its own role and its own
    database user). They are invoked synchronously, so they have no asynchronous retries, failure
    destination or dead-letter queue: a failure is the API caller's response.
    Outputs are maps keyed by the function's logical name, as the contract exports them.
    """

    functions: dict[str, PaymentFunction]
    function_names: pulumi.Output[dict[str, str]]
    function_arns: pulumi.Output[dict[str, str]]
    role_arns: pulumi.Output[dict[str, str]]
    log_group_names: pulumi.Output[dict[str, str]]
    function_timeouts: dict[str, int]

    def __init__(self, name: str, args: PaymentFunctionsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:PaymentFunctions", name, None, opts)

        data = args.deployment.data
        self.functions = {}
        for spec in args.functions:
            self.functions[spec.name] = PaymentFunction(
                f"{name}-{spec.name}",
                PaymentFunctionArgs(
                    spec=spec,
                    names=args.names[spec.name],
                    deployment=args.deployment,
                    access=access_of(spec.name),
                    policy_targets={
                        "transactions_table_arn": data.transactions_table_arn,
                        "idempotency_table_arn": data.idempotency_table_arn,
                        "audit_bucket_arn": data.audit_bucket_arn,
                        **database_targets(spec.name, args.deployment.region, args.deployment.account_id, data),
                    },
                    memory_mb=args.memory_mb,
                    timeout_seconds=args.timeout_seconds,
                    reserved_concurrency=args.reserved_concurrency,
                    environment_variables=database_user_environment(DATABASE_USERS[spec.name].name),
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.function_names = _by_function(self.functions, lambda f: f.name)
        self.function_arns = _by_function(self.functions, lambda f: f.arn)
        self.role_arns = _by_function(self.functions, lambda f: f.role_arn)
        self.log_group_names = _by_function(self.functions, lambda f: f.log_group_name)
        self.function_timeouts = {spec.name: args.timeout_seconds for spec in args.functions}
        self.register_outputs(
            {
                "functionNames": self.function_names,
                "functionArns": self.function_arns,
                "roleArns": self.role_arns,
                "logGroupNames": self.log_group_names,
            }
        )


def _by_function(functions: Mapping[str, PaymentFunction], pick) -> pulumi.Output[dict[str, str]]:
    return pulumi.Output.all(**{key: pick(fn) for key, fn in functions.items()})
