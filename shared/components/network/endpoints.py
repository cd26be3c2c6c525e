"""`GatewayEndpoints`: S3 and DynamoDB gateway endpoints on the private route tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.network.policies import gateway_endpoint_policy
from shared.tagging import name_tag

GATEWAY_SERVICES = ("s3", "dynamodb")


@dataclass(frozen=True)
class GatewayEndpointsArgs:
    name: str  # physical name prefix, e.g. "acme-payments-dev-vpce"
    vpc_id: pulumi.Input[str]
    region: str
    account_id: pulumi.Input[str]
    route_table_ids: Sequence[pulumi.Input[str]]  # the private (application) route tables


class GatewayEndpoints(pulumi.ComponentResource):
    """Free gateway endpoints, so the transaction log and the audit trail never cross the NAT.

    Attached to the private application route tables only: the database tier stays without any
    path out of the VPC. The endpoint policy admits only resources of this account.
    """

    endpoint_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GatewayEndpointsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:network:GatewayEndpoints", name, None, opts)
        policy = pulumi.Output.from_input(args.account_id).apply(lambda account: json.dumps(gateway_endpoint_policy(account)))
        self.endpoint_ids = {
            service: aws.ec2.VpcEndpoint(
                f"{name}-{service}",
                vpc_id=args.vpc_id,
                service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Gateway",
                route_table_ids=list(args.route_table_ids),
                policy=policy,
                tags=name_tag(f"{args.name}-{service}"),
                opts=pulumi.ResourceOptions(parent=self),
            ).id
            for service in GATEWAY_SERVICES
        }
        self.register_outputs({"endpointIds": self.endpoint_ids})
