"""Network layer: one VPC over three zones, NAT egress (gateways or one NAT instance), security-group
tiers, S3/DynamoDB gateway endpoints and flow logs. Every difference between environments is a value
in `Pulumi.<stack>.yaml`; the exports are the keys of `shared.contracts.NetworkOutputs`.
"""

import pulumi
import pulumi_aws as aws

from shared.components.network.endpoints import GatewayEndpoints, GatewayEndpointsArgs
from shared.components.network.flow_logs import FlowLogs, FlowLogsArgs
from shared.components.network.nat_gateways import NatGateways, NatGatewaysArgs
from shared.components.network.nat_instance import NatInstance, NatInstanceArgs, NatInstanceNames
from shared.components.network.layout import subnet_cidrs
from shared.components.network.security_groups import SecurityGroups, SecurityGroupsArgs, TierKey, tiers_for
from shared.components.network.vpc import Vpc, VpcArgs
from shared.config import load_layer_config
from shared.config.network import NetworkConfig
from shared.contracts import NetworkOutputs
from shared.naming import NameKind, Namer
from shared.provider import aws_provider, invoke_options
from shared.tagging import tags_for

environment, config = load_layer_config(NetworkConfig)
namer = Namer.for_environment(environment)
provider = aws_provider(environment)
in_layer = pulumi.ResourceOptions(providers=[provider])
zones = list(config.availability_zones)
tiers = tiers_for(config.nat_mode)

# Physical names, all checked against AWS limits before anything is declared.
vpc_name = namer.name("vpc")
group_names = {t.key: namer.name(f"{t.key.value}-sg", NameKind.SECURITY_GROUP) for t in tiers}
nat_name = namer.name("nat")
nat_names = NatInstanceNames(
    instance=nat_name,
    role=namer.name("nat-instance-role", NameKind.IAM_ROLE),
    instance_profile=namer.name("nat-instance-profile", NameKind.IAM_ROLE),
    launch_template=namer.name("nat-instance", NameKind.LAUNCH_TEMPLATE),
    group=namer.name("nat-instance", NameKind.AUTOSCALING_GROUP),
)
flow_log_group = f"/vpc/{namer.name('flow-logs', NameKind.LOG_GROUP)}"
flow_log_role = namer.name("vpc-flow-logs-role", NameKind.IAM_ROLE)
flow_log_key_alias = f"alias/{namer.name('vpc-flow-logs')}"

account_id = aws.get_caller_identity_output(opts=invoke_options(provider)).account_id

vpc = Vpc(
    f"network-{environment.suffix}",
    VpcArgs(name=vpc_name, cidr=config.vpc_cidr, availability_zones=zones, subnet_cidrs=subnet_cidrs(config.vpc_cidr, len(zones))),
    opts=in_layer,
)
public_subnet_ids = vpc.public_subnet_id_list

security = SecurityGroups(
    f"tiers-{environment.suffix}",
    SecurityGroupsArgs(
        vpc_id=vpc.vpc_id, vpc_cidr=config.vpc_cidr, tiers=tiers, group_names=group_names, environment_label=environment.suffix
    ),
    opts=in_layer,
)

nat_gateway_ids: pulumi.Input[list[str]] = []
nat_group_names: pulumi.Input[list[str]] = []
if config.nat_mode == "gateway":
    gateways = NatGateways(
        f"nat-{environment.suffix}",
        NatGatewaysArgs(
            name=nat_name,
            availability_zones=zones,
            public_subnet_ids=public_subnet_ids,
            private_route_table_ids=vpc.private_route_table_ids,
            gateway_count=config.nat_gateway_count,
        ),
        opts=in_layer,
    )
    nat_gateway_ids, egress_ips = gateways.gateway_ids, gateways.public_ips
else:
    nat_instance = NatInstance(
        f"nat-{environment.suffix}",
        NatInstanceArgs(
            names=nat_names,
            region=environment.region,
            account_id=account_id,
            public_subnet_id=public_subnet_ids[0],
            private_route_table_ids=vpc.private_route_table_ids,
            security_group_id=security.group_ids[TierKey.NAT],
            instance_type=config.nat_instance_type,
            image=config.nat_instance_image,
            warmup_seconds=config.nat_instance_warmup_seconds,
            root_volume_gib=config.nat_instance_root_volume_gib,
            launch_tags=tags_for(environment, nat_name),
        ),
        opts=in_layer,
    )
    nat_group_names = pulumi.Output.all(nat_instance.group_name)
    egress_ips = pulumi.Output.all(nat_instance.public_ip)

GatewayEndpoints(
    f"endpoints-{environment.suffix}",
    GatewayEndpointsArgs(
        name=namer.name("vpce"),
        vpc_id=vpc.vpc_id,
        region=environment.region,
        account_id=account_id,
        route_table_ids=vpc.private_route_table_ids,
    ),
    opts=in_layer,
)

FlowLogs(
    f"flow-logs-{environment.suffix}",
    FlowLogsArgs(
        vpc_id=vpc.vpc_id,
        region=environment.region,
        account_id=account_id,
        log_group_name=flow_log_group,
        role_name=flow_log_role,
        key_alias=flow_log_key_alias,
        retention_days=config.flow_log_retention_days,
        key_deletion_window_days=config.flow_log_key_deletion_window_days,
        traffic_type=config.flow_log_traffic_type,
    ),
    opts=in_layer,
)

pulumi.export(NetworkOutputs.ENVIRONMENT, environment.profile)
pulumi.export(NetworkOutputs.ENVIRONMENT_SUFFIX, environment.suffix)
pulumi.export(NetworkOutputs.VPC_ID, vpc.vpc_id)
pulumi.export(NetworkOutputs.VPC_CIDR, vpc.cidr)
pulumi.export(NetworkOutputs.AVAILABILITY_ZONES, zones)
pulumi.export(NetworkOutputs.PUBLIC_SUBNET_IDS, vpc.public_subnet_ids)
pulumi.export(NetworkOutputs.PRIVATE_SUBNET_IDS, vpc.private_subnet_ids)
pulumi.export(NetworkOutputs.DATABASE_SUBNET_IDS, vpc.database_subnet_ids)
pulumi.export(NetworkOutputs.APP_SECURITY_GROUP_ID, security.group_ids[TierKey.APP])
pulumi.export(NetworkOutputs.DATABASE_SECURITY_GROUP_ID, security.group_ids[TierKey.DATABASE])
# No NAT instance, no NAT tier: an empty id says so (no consumer reads it where it is empty).
pulumi.export(NetworkOutputs.NAT_SECURITY_GROUP_ID, security.group_ids.get(TierKey.NAT, ""))
pulumi.export(NetworkOutputs.NAT_MODE, config.nat_mode)
pulumi.export(NetworkOutputs.NAT_GATEWAY_IDS, nat_gateway_ids)
pulumi.export(NetworkOutputs.NAT_INSTANCE_GROUP_NAMES, nat_group_names)
pulumi.export(NetworkOutputs.EGRESS_PUBLIC_IPS, egress_ips)
