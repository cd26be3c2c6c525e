"""`NatGateways`: managed NAT gateways with Elastic IPs, and the private default routes to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.tagging import name_tag

ANYWHERE = "0.0.0.0/0"


def gateway_for_zone(zone_index: int, gateway_count: int) -> int:
    """Which gateway a zone's private route table targets: its own zone's, while there is one."""
    if gateway_count < 1:
        raise ValueError("at least one NAT gateway is needed")
    return zone_index if zone_index < gateway_count else zone_index % gateway_count


@dataclass(frozen=True)
class NatGatewaysArgs:
    name: str  # physical name prefix, e.g. "acme-payments-prod-nat"
    availability_zones: Sequence[str]
    public_subnet_ids: Sequence[pulumi.Input[str]]  # in zone order
    private_route_table_ids: Sequence[pulumi.Input[str]]  # in zone order
    gateway_count: int  # natGatewayCount: one per zone for zone independence


class NatGateways(pulumi.ComponentResource):
    """`gateway_count` public NAT gateways in the first zones' public subnets, each with its own EIP.

    Each zone's private route table sends 0.0.0.0/0 to the gateway in the same zone, so losing a
    zone never cuts egress in the others; with fewer gateways than zones the rest share them.
    """

    gateway_ids: pulumi.Output[list[str]]
    public_ips: pulumi.Output[list[str]]

    def __init__(self, name: str, args: NatGatewaysArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:network:NatGateways", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        zones = list(args.availability_zones)
        if not 1 <= args.gateway_count <= len(zones):
            raise ValueError(f"gateway_count must be 1-{len(zones)}, got {args.gateway_count}")

        eips: list[aws.ec2.Eip] = []
        gateways: list[aws.ec2.NatGateway] = []
        for zone, subnet_id in list(zip(zones, args.public_subnet_ids, strict=True))[: args.gateway_count]:
            eip = aws.ec2.Eip(f"{name}-{zone}-eip", domain="vpc", tags=name_tag(f"{args.name}-{zone}"), opts=child)
            gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-{zone}",
                    allocation_id=eip.allocation_id,
                    subnet_id=subnet_id,
                    connectivity_type="public",
                    tags=name_tag(f"{args.name}-{zone}"),
                    opts=child,
                )
            )
            eips.append(eip)

        for index, (zone, table_id) in enumerate(zip(zones, args.private_route_table_ids, strict=True)):
            aws.ec2.Route(
                f"{name}-{zone}-default",
                route_table_id=table_id,
                destination_cidr_block=ANYWHERE,
                nat_gateway_id=gateways[gateway_for_zone(index, args.gateway_count)].id,
                opts=child,
            )

        self.gateway_ids = pulumi.Output.all(*[g.id for g in gateways])
        self.public_ips = pulumi.Output.all(*[e.public_ip for e in eips])
        self.register_outputs({"gatewayIds": self.gateway_ids, "publicIps": self.public_ips})
