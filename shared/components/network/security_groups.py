"""`SecurityGroups` and the table it is built from: the VPC's security-group tiers, who may talk to
whom, on which port, and why.

The table (`TIERS`) and its checks are pure data and functions, tested without Pulumi; the
component turns each row into a security group and each rule into its own ingress/egress rule
resource. Peers are other tiers (by key), the VPC CIDR or "anywhere"; nothing here admits inbound
traffic from anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

import pulumi
import pulumi_aws as aws

from shared.contracts import POSTGRES_PORT
from shared.tagging import name_tag

ANYWHERE = "0.0.0.0/0"
HTTPS_PORT = 443

Direction = Literal["ingress", "egress"]


class TierKey(str, Enum):
    APP = "app"  # VPC-attached payment functions
    DATABASE = "database"  # Aurora PostgreSQL
    NAT = "nat"  # the dev NAT instance


class PeerKind(str, Enum):
    TIER = "tier"  # another tier's security group
    VPC_CIDR = "vpc-cidr"
    ANYWHERE = "anywhere"  # 0.0.0.0/0, egress only (checked by `validate_table`)


@dataclass(frozen=True)
class Rule:
    direction: Direction
    port: int | None  # None: all ports and protocols
    peer: PeerKind
    description: str
    peer_tier: TierKey | None = None

    @property
    def protocol(self) -> str:
        return "-1" if self.port is None else "tcp"


@dataclass(frozen=True)
class SecurityTier:
    key: TierKey
    description: str
    rules: tuple[Rule, ...]
    nat_instance_only: bool = False  # exists only where natMode is "instance"


TIERS: tuple[SecurityTier, ...] = (
    SecurityTier(
        TierKey.APP,
        "Payment functions: HTTPS out, PostgreSQL to the database tier; no inbound",
        (
            Rule("egress", HTTPS_PORT, PeerKind.ANYWHERE, "HTTPS to the payment API and AWS APIs (NAT or gateway endpoints)"),
            Rule("egress", POSTGRES_PORT, PeerKind.TIER, "PostgreSQL to the database tier", TierKey.DATABASE),
        ),
    ),
    SecurityTier(
        TierKey.DATABASE,
        "Aurora PostgreSQL: 5432 from the application tier only; no outbound",
        (Rule("ingress", POSTGRES_PORT, PeerKind.TIER, "PostgreSQL from the application tier", TierKey.APP),),
    ),
    SecurityTier(
        TierKey.NAT,
        "NAT instance: HTTPS from inside the VPC, HTTPS out",
        (
            # Private subnets only send HTTPS out (the app tier's egress), so the NAT forwards only that.
            Rule("ingress", HTTPS_PORT, PeerKind.VPC_CIDR, "HTTPS to be forwarded, from inside the VPC only"),
            # Forwarded traffic plus the instance's own calls (EC2 and SSM APIs, dnf repositories over HTTPS).
            Rule("egress", HTTPS_PORT, PeerKind.ANYWHERE, "HTTPS to the internet: forwarded traffic, AWS APIs, package repositories"),
        ),
        nat_instance_only=True,
    ),
)


def tiers_for(nat_mode: str, table: tuple[SecurityTier, ...] = TIERS) -> tuple[SecurityTier, ...]:
    """The tiers an environment needs: the NAT tier only where a NAT instance exists."""
    return tuple(t for t in table if nat_mode == "instance" or not t.nat_instance_only)


def validate_table(table: tuple[SecurityTier, ...]) -> None:
    """Refuse a table that admits inbound from anywhere, names an absent tier, or lacks descriptions."""
    keys = {t.key for t in table}
    problems = []
    for tier in table:
        if not tier.description:
            problems.append(f"tier {tier.key.value} has no description")
        for rule in tier.rules:
            where = f"{tier.key.value} {rule.direction} {rule.port}"
            if not rule.description:
                problems.append(f"{where}: rule has no description")
            if rule.direction == "ingress" and rule.peer is PeerKind.ANYWHERE:
                problems.append(f"{where}: ingress from anywhere is not allowed")
            if rule.peer is PeerKind.TIER and rule.peer_tier not in keys:
                problems.append(f"{where}: peer tier {rule.peer_tier} is not in the table")
            if (rule.peer is PeerKind.TIER) != (rule.peer_tier is not None):
                problems.append(f"{where}: peer_tier must be set exactly when the peer is a tier")
    if problems:
        raise ValueError("; ".join(problems))


def rule_logical_name(tier: SecurityTier, rule: Rule) -> str:
    """A stable name per rule: `app-egress-5432-database`, `nat-ingress-443-vpc-cidr`."""
    peer = rule.peer_tier.value if rule.peer_tier else rule.peer.value
    return f"{tier.key.value}-{rule.direction}-{rule.port if rule.port is not None else 'all'}-{peer}"


# --- the component ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecurityGroupsArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    tiers: Sequence[SecurityTier]  # tiers_for(natMode)
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
