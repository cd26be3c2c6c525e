"""`FunctionRole`: the execution role of one payment function, scoped to one environment."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.compute.policies import Access, PolicyTargets, function_policy, lambda_trust_policy
from shared.tagging import name_tag


@dataclass(frozen=True)
class FunctionRoleArgs:
    role_name: str
    policy_name: str
    account_id: pulumi.Input[str]
    access: frozenset[Access]
    transactions_table_arn: pulumi.Input[str]
    idempotency_table_arn: pulumi.Input[str]
    audit_bucket_arn: pulumi.Input[str]
    master_secret_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    dead_letter_queue_arn: pulumi.Input[str]
    log_group_arn: pulumi.Input[str]


class FunctionRole(pulumi.ComponentResource):
    """An IAM role only Lambda of this account may assume, with one inline policy.

    The policy is built by `shared.components.compute.policies.function_policy` from this environment's ARNs
    only: no managed policies are attached (the AWS managed Lambda policies grant logs on "*").
    """

    role: aws.iam.Role
    policy: aws.iam.RolePolicy  # functions depend on it: Lambda checks the ENI permissions at creation
    arn: pulumi.Output[str]
    name: pulumi.Output[str]
    policy_json: pulumi.Output[str]

    def __init__(self, name: str, args: FunctionRoleArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:FunctionRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="Execution role of one payment function; allowed only this environment's resources",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(lambda account: json.dumps(lambda_trust_policy(account))),
            tags=name_tag(args.role_name),
            opts=child,
        )
        self.policy_json = pulumi.Output.all(
            transactions_table_arn=args.transactions_table_arn,
            idempotency_table_arn=args.idempotency_table_arn,
            audit_bucket_arn=args.audit_bucket_arn,
            master_secret_arn=args.master_secret_arn,
            kms_key_arn=args.kms_key_arn,
            dead_letter_queue_arn=args.dead_letter_queue_arn,
            log_group_arn=args.log_group_arn,
        ).apply(lambda arns: json.dumps(function_policy(args.access, PolicyTargets(**arns))))
        self.policy = aws.iam.RolePolicy(
            f"{name}-policy",
            name=args.policy_name,
            role=self.role.name,
            policy=self.policy_json,
            opts=child,
        )
        self.arn = self.role.arn
        self.name = self.role.name
        self.register_outputs({"arn": self.arn, "name": self.name})
