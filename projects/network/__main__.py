"""Network layer (placeholder being built out): validated config, provider, VPC."""

import pulumi
import pulumi_aws as aws

from shared.config import load_layer_config
from shared.config.network import NetworkConfig
from shared.contracts import NetworkOutputs
from shared.naming import Namer
from shared.provider import aws_provider
from shared.tagging import name_tag

environment, config = load_layer_config(NetworkConfig)
namer = Namer.for_environment(environment)
provider = aws_provider(environment)
vpc = aws.ec2.Vpc(
    namer.name("vpc"),
    cidr_block=config.vpc_cidr,
    enable_dns_support=True,
    enable_dns_hostnames=True,
    tags=name_tag(namer.name("vpc")),
    opts=pulumi.ResourceOptions(provider=provider),
)
pulumi.export(NetworkOutputs.VPC_ID, vpc.id)
