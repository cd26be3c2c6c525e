"""`Vpc`: the VPC, its three subnet tiers per zone, the internet gateway and the route tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.network.layout import Tier
from shared.tagging import name_tag

ANYWHERE = "0.0.0.0/0"


@dataclass(frozen=True)
class VpcArgs:
    name: str  # physical name prefix: "<company>-<service>-<suffix>-vpc"
    cidr: str
    availability_zones: Sequence[str]
    subnet_cidrs: dict[Tier, list[str]]  # layout.subnet_cidrs, in zone order


class Vpc(pulumi.ComponentResource):
    """A VPC with DNS support and hostnames, and per zone a public, a private and a database subnet.

    Routing posture:
      - public subnets: one route table, default route to the internet gateway;
      - private (application) subnets: one route table per zone, so each zone's default route can
        target that zone's NAT (added by the egress component, which owns the target);
      - database subnets: one route table with only the implicit `local` route: no way out of
        the VPC, not even through a gateway endpoint.
    No subnet maps public IPs on launch (the NAT instance asks for one on its own interface).
    The VPC's default security group is adopted with no rules, so nothing can use it by accident.
    """

    vpc_id: pulumi.Output[str]
    cidr: pulumi.Output[str]
    public_subnet_ids: pulumi.Output[list[str]]
    private_subnet_ids: pulumi.Output[list[str]]
    database_subnet_ids: pulumi.Output[list[str]]
    public_subnet_id_list: list[pulumi.Output[str]]  # in zone order, one output each
    private_route_table_ids: list[pulumi.Output[str]]  # in zone order
    database_route_table_id: pulumi.Output[str]
    public_route_table_id: pulumi.Output[str]

    def __init__(self, name: str, args: VpcArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:network:Vpc", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zones = list(args.availability_zones)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=name_tag(args.name),
            opts=child,
        )
        vpc_id = self.vpc.id

        # Adopted and emptied: no ingress and no egress rules (CIS 5.4, FSBP EC2.2, CKV2_AWS_12).
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc_id,
            tags=name_tag(f"{args.name}-default-unused"),
            opts=child,
        )

        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc_id, tags=name_tag(f"{args.name}-igw"), opts=child
        )

        subnets: dict[Tier, list[aws.ec2.Subnet]] = {}
        for tier in Tier:
            subnets[tier] = [
                aws.ec2.Subnet(
                    f"{name}-{tier.value}-{zone}",
                    vpc_id=vpc_id,
                    cidr_block=cidr,
                    availability_zone=zone,
                    map_public_ip_on_launch=False,
                    tags=name_tag(f"{args.name}-{tier.value}-{zone}", {"Tier": tier.value}),
                    opts=child,
                )
                for zone, cidr in zip(zones, args.subnet_cidrs[tier], strict=True)
            ]

        public_rt = self._route_table(name, args.name, "public", vpc_id)
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block=ANYWHERE,
            gateway_id=self.internet_gateway.id,
            opts=child,
        )
        self._associate(name, "public", public_rt, subnets[Tier.PUBLIC], zones)

        private_rts = []
        for zone, subnet in zip(zones, subnets[Tier.PRIVATE], strict=True):
            table = self._route_table(name, args.name, f"private-{zone}", vpc_id)
            self._associate(name, "private", table, [subnet], [zone])
            private_rts.append(table)

        database_rt = self._route_table(name, args.name, "database", vpc_id)
        self._associate(name, "database", database_rt, subnets[Tier.DATABASE], zones)

        self.vpc_id = vpc_id
        self.cidr = self.vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in subnets[Tier.PUBLIC]])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in subnets[Tier.PRIVATE]])
        self.database_subnet_ids = pulumi.Output.all(*[s.id for s in subnets[Tier.DATABASE]])
        self.public_subnet_id_list = [s.id for s in subnets[Tier.PUBLIC]]
        self.public_route_table_id = public_rt.id
        self.private_route_table_ids = [t.id for t in private_rts]
        self.database_route_table_id = database_rt.id
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "cidr": self.cidr,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
                "privateRouteTableIds": self.private_route_table_ids,
                "databaseRouteTableId": self.database_route_table_id,
            }
        )

    def _route_table(self, name: str, physical: str, purpose: str, vpc_id: pulumi.Input[str]) -> aws.ec2.RouteTable:
        # Routes are separate `aws.ec2.Route` resources, never inline: the two cannot be mixed.
        return aws.ec2.RouteTable(
            f"{name}-{purpose}-rt",
            vpc_id=vpc_id,
            tags=name_tag(f"{physical}-{purpose}"),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _associate(
        self, name: str, tier: str, table: aws.ec2.RouteTable, subnets: list[aws.ec2.Subnet], zones: list[str]
    ) -> None:
        for zone, subnet in zip(zones, subnets, strict=True):
            aws.ec2.RouteTableAssociation(
                f"{name}-{tier}-{zone}-rta",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=pulumi.ResourceOptions(parent=self),
            )
