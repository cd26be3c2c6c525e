"""`PaymentFunction`: one Lambda function of the payment platform with its log group and role."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from payments.contract import FunctionSpec

from shared.components.compute.function_role import FunctionRole, FunctionRoleArgs
from shared.components.compute.policies import Access
from shared.components.compute.settings import FunctionDeployment, function_environment
from shared.components.log_group import encrypted_log_group
from shared.function_code import LAMBDA_ARCHITECTURE, PYTHON_VERSION
from shared.tagging import name_tag

# The runtime the artifact is built for (platform_tools/packaging.py installs wheels for this version).
LAMBDA_RUNTIME = aws.lambda_.Runtime(f"python{PYTHON_VERSION}")


@dataclass(frozen=True)
class FunctionNames:
    """The physical names of one function's resources (computed up front by the program)."""

    function: str
    role: str
    policy: str
    log_group: str


@dataclass(frozen=True)
class PaymentFunctionArgs:
    spec: FunctionSpec
    names: FunctionNames
    deployment: FunctionDeployment  # account, package, subnets, security groups, key, log retention
    access: frozenset[Access]
    # What the role's policy may name (keys of `PolicyTargets`); the component adds its log group and key.
    policy_targets: Mapping[str, pulumi.Input[str]]
    memory_mb: int
    timeout_seconds: int
    reserved_concurrency: int
    # This function's own variables, on top of those every function gets (`function_environment`).
    environment_variables: Mapping[str, pulumi.Input[str]]


class PaymentFunction(pulumi.ComponentResource):
    """A VPC Lambda function (arm64) with X-Ray tracing, JSON logs into its own KMS-encrypted log
    group, environment variables encrypted with the environment key and its own execution role.

    No asynchronous-invocation settings here: a function with an asynchronous caller (the scheduled
    reconcile function) gets its retries and failure destination from its own component.
    """

    function: aws.lambda_.Function
    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    policy_json: pulumi.Output[str]

    def __init__(self, name: str, args: PaymentFunctionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:PaymentFunction", name, None, opts)
        names, deployment = args.names, args.deployment
        kms_key_arn = deployment.data.kms_key_arn

        # Created by the program, not by Lambda on first write: retention and encryption are ours,
        # and `pulumi destroy` removes it.
        log_group = encrypted_log_group(
            f"{name}-logs",
            name=names.log_group,
            retention_days=deployment.log_retention_days,
            kms_key_arn=kms_key_arn,
            parent=self,
        )
        role = FunctionRole(
            f"{name}-execution",
            FunctionRoleArgs(
                role_name=names.role,
                policy_name=names.policy,
                account_id=deployment.account_id,
                access=args.access,
                targets={**args.policy_targets, "kms_key_arn": kms_key_arn, "log_group_arn": log_group.arn},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=names.function,
            description=args.spec.description,
            role=role.arn,
            runtime=LAMBDA_RUNTIME,
            architectures=[LAMBDA_ARCHITECTURE],
            handler=args.spec.handler,
            code=deployment.code.archive,
            source_code_hash=deployment.code.sha256_base64,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            # Bounds the number of concurrent Aurora connections (one per execution environment).
            reserved_concurrent_executions=args.reserved_concurrency,
            environment={
                "variables": {**function_environment(deployment.settings, deployment.data), **args.environment_variables}
            },
            kms_key_arn=kms_key_arn,
            vpc_config={"subnet_ids": deployment.subnet_ids, "security_group_ids": deployment.security_group_ids},
            tracing_config={"mode": "Active"},
            logging_config={"log_format": "JSON", "log_group": log_group.name},
            tags=name_tag(names.function),
            # The policy must exist before Lambda checks the VPC permissions at creation, and the
            # log group before the first invocation writes to it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, role.policy]),
        )

        self.name = self.function.name
        self.arn = self.function.arn
        self.role_arn = role.arn
        self.log_group_name = log_group.name
        self.policy_json = role.policy_json
        self.register_outputs(
            {"name": self.name, "arn": self.arn, "roleArn": self.role_arn, "logGroupName": self.log_group_name}
        )
