"""`MigrationFunction`: the deploy step that applies the schema migrations, as a function in the VPC.

The migrations must run where the database is reachable (the private subnets) and as the master
user (they create the schema, the roles and their grants), so they run in a Lambda function that
`invoke migrate` (and `invoke deploy`, after the compute layer) invokes synchronously; never in the
request path. Its role is the only one in the environment that may read the master secret; it
touches no DynamoDB table, bucket or queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from payments.contract import MIGRATE
from shared.components.compute.payment_function import FunctionNames, PaymentFunction, PaymentFunctionArgs
from shared.components.compute.policies import access_of
from shared.components.compute.settings import FunctionDeployment, migration_environment

# Migrations take a session-level advisory lock, so a second concurrent run would only wait: one
# execution environment is all the deploy step needs, and a second `invoke migrate` gets throttled
# (a clear error) instead of holding a database connection while it waits.
MIGRATION_CONCURRENCY = 1


@dataclass(frozen=True)
class MigrationFunctionArgs:
    names: FunctionNames
    deployment: FunctionDeployment  # what every function of the environment shares
    memory_mb: int
    timeout_seconds: int


class MigrationFunction(pulumi.ComponentResource):
    """The migration function (`payments.contract.MIGRATE`): in the VPC, its own role reading the
    master secret and nothing else of the data layer, reserved concurrency 1, no asynchronous path."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    policy_json: pulumi.Output[str]

    def __init__(self, name: str, args: MigrationFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:MigrationFunction", name, None, opts)
        function = PaymentFunction(
            f"{name}-{MIGRATE.name}",
            PaymentFunctionArgs(
                spec=MIGRATE,
                names=args.names,
                deployment=args.deployment,
                access=access_of(MIGRATE.name),
                policy_targets={"master_secret_arn": args.deployment.data.master_secret_arn},
                memory_mb=args.memory_mb,
                timeout_seconds=args.timeout_seconds,
                reserved_concurrency=MIGRATION_CONCURRENCY,
                environment_variables=migration_environment(args.deployment.data),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = function.name
        self.arn = function.arn
        self.role_arn = function.role_arn
        self.log_group_name = function.log_group_name
        self.policy_json = function.policy_json
        self.register_outputs({"name": self.name, "arn": self.arn, "roleArn": self.role_arn})
