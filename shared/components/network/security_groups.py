"""`SecurityGroups`: one security group per tier of `tiers.TIERS`, each rule its own resource."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.network.tiers import PeerKind, SecurityTier, TierKey, rule_logical_name, validate_table
from shared.tagging import name_tag

ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class SecurityGroupsArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    tiers: Sequence[SecurityTier]  # tiers.tiers_for(natMode)
    group_names: Mapping[TierKey, str]  # physical names, computed up front by the program
    environment_label: str  # shown in each group's description, e.g. "prod"


class SecurityGroups(pulumi.ComponentResource):
    """Security groups generated from one table of tiers.

    Groups carry no inline rules: every rule is a separate `aws.vpc.SecurityGroupIngressRule` or
    `SecurityGroupEgressRule` with a description (the two styles must never be mixed on a group).
    A group with no egress rule has no egress at all: the provider removes the default allow-all
    egress rule AWS adds to a new group. Inbound from 0.0.0.0/0 is refused by `validate_table`.
    """

    group_ids: Mapping[TierKey, pulumi.Output[str]]

    def __init__(self, name: str, args: SecurityGroupsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:network:SecurityGroups", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        validate_table(tuple(args.tiers))

        groups: dict[TierKey, aws.ec2.SecurityGroup] = {}
        for tier in args.tiers:
            physical = args.group_names[tier.key]
            groups[tier.key] = aws.ec2.SecurityGroup(
                f"{name}-{tier.key.value}",
                name=physical,
                description=f"{tier.description} ({args.environment_label})",
                vpc_id=args.vpc_id,
                # Dependent rules in other groups are deleted with this group instead of blocking it.
                revoke_rules_on_delete=True,
                tags=name_tag(physical, {"Tier": tier.key.value}),
                opts=child,
            )

        for tier in args.tiers:
            for rule in tier.rules:
                peer: dict[str, pulumi.Input[str]] = {}
                if rule.peer is PeerKind.TIER:
                    assert rule.peer_tier is not None  # validate_table checked it
                    peer["referenced_security_group_id"] = groups[rule.peer_tier].id
                elif rule.peer is PeerKind.VPC_CIDR:
                    peer["cidr_ipv4"] = args.vpc_cidr
                else:
                    peer["cidr_ipv4"] = ANYWHERE
                ports = {} if rule.port is None else {"from_port": rule.port, "to_port": rule.port}
                rule_type = aws.vpc.SecurityGroupIngressRule if rule.direction == "ingress" else aws.vpc.SecurityGroupEgressRule
                logical = rule_logical_name(tier, rule)
                rule_type(
                    f"{name}-{logical}",
                    security_group_id=groups[tier.key].id,
                    ip_protocol=rule.protocol,
                    description=rule.description,
                    tags=name_tag(f"{args.group_names[tier.key]}-{logical}"),
                    **ports,
                    **peer,
                    opts=child,
                )

        self.group_ids = {key: group.id for key, group in groups.items()}
        self.register_outputs({f"{key.value}SecurityGroupId": gid for key, gid in self.group_ids.items()})
