"""`FunctionRole`: the execution role of one function, scoped to one environment."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.compute.policies import POLICY_TARGET_KEYS, Access, PolicyTargets, function_policy, lambda_trust_policy
from shared.tagging import name_tag


@dataclass(frozen=True)
class FunctionRoleArgs:
    role_name: str
    policy_name: str
    account_id: pulumi.Input[str]
    access: frozenset[Access]
    # Keyword arguments of `PolicyTargets` (ARNs, ids); what the access does not need may be absent.
    targets: Mapping[str, pulumi.Input[str]]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.targets) - set(POLICY_TARGET_KEYS))
        if unknown:
            raise ValueError(f"unknown policy targets {unknown}; PolicyTargets has {list(POLICY_TARGET_KEYS)}")


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
            description="Execution role of one payment platform function; allowed only this environment's resources",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(lambda account: json.dumps(lambda_trust_policy(account))),
            tags=name_tag(args.role_name),
            opts=child,
        )
        self.policy_json = pulumi.Output.all(**dict(args.targets)).apply(
            lambda values: json.dumps(function_policy(args.access, PolicyTargets(**values)))
        )
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
