"""`NatInstance`: a self-healing NAT instance (the fck-nat pattern) for cost-optimised environments."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.network.policies import NAT_INTERFACE_TAG, SSM_MANAGED_POLICY, ec2_trust_policy, nat_instance_policy
from shared.components.network.user_data import encode_user_data, render_nat_user_data
from shared.tagging import name_tag

ANYWHERE = "0.0.0.0/0"
ROOT_DEVICE = "/dev/xvda"


@dataclass(frozen=True)
class NatInstanceNames:
    instance: str  # Name tag of the instance and prefix of its parts
    role: str
    instance_profile: str
    launch_template: str
    group: str  # auto scaling group


@dataclass(frozen=True)
class NatInstanceArgs:
    names: NatInstanceNames
    region: str
    account_id: pulumi.Input[str]
    public_subnet_id: pulumi.Input[str]  # the instance and its persistent interface live here
    private_route_table_ids: Sequence[pulumi.Input[str]]  # every zone's: all route through this NAT
    security_group_id: pulumi.Input[str]
    instance_type: str
    # `resolve:ssm:<parameter>` or `ami-...` from the stack file (NetworkConfig.nat_instance_image):
    # never looked up at deploy time, so a new Amazon Linux release changes nothing here.
    image: str
    warmup_seconds: int
    root_volume_gib: int
    launch_tags: Mapping[str, str]  # shared.tagging.tags_for: default tags do not reach launched instances


class NatInstance(pulumi.ComponentResource):
    """One NAT instance kept alive by an auto scaling group of exactly one.

    - A persistent network interface (source/destination check off) in the public subnet is the
      target of every private route table; a replacement instance attaches it at boot, so no route
      ever changes. An Elastic IP gives a stable egress address (what payment providers allowlist).
    - The image comes from configuration (an SSM parameter EC2 resolves at each launch, or a fixed
      AMI id), so only a config change rolls the instance; IMDSv2 required with a hop limit of 1;
      encrypted gp3 root volume; no SSH key: Session Manager only.
    - A changed launch template (image, type, user data) rolls the instance by instance refresh,
      launch before terminate: the old instance forwards until the new one is in service and warm.
    - The instance role may attach only that interface and move only that address
      (`policies.nat_instance_policy`); the security group admits only traffic from the VPC.
    """

    group_name: pulumi.Output[str]
    public_ip: pulumi.Output[str]
    network_interface_id: pulumi.Output[str]

    def __init__(self, name: str, args: NatInstanceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:network:NatInstance", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        names = args.names

        self.interface = aws.ec2.NetworkInterface(
            f"{name}-eni",
            subnet_id=args.public_subnet_id,
            security_groups=[args.security_group_id],
            source_dest_check=False,  # it forwards other hosts' traffic
            description=f"Persistent NAT interface of {names.instance}: target of the private routes",
            tags=name_tag(f"{names.instance}-persistent"),
            opts=child,
        )
        self.eip = aws.ec2.Eip(f"{name}-eip", domain="vpc", tags=name_tag(names.instance), opts=child)

        for index, table_id in enumerate(args.private_route_table_ids):
            aws.ec2.Route(
                f"{name}-route-{index}",
                route_table_id=table_id,
                destination_cidr_block=ANYWHERE,
                network_interface_id=self.interface.id,
                opts=child,
            )

        self.role = aws.iam.Role(
            f"{name}-role",
            name=names.role,
            description=f"NAT instance {names.instance}: Session Manager, its own interface and address only",
            assume_role_policy=json.dumps(ec2_trust_policy()),
            tags=name_tag(names.role),
            opts=child,
        )
        aws.iam.RolePolicyAttachment(f"{name}-ssm", role=self.role.name, policy_arn=SSM_MANAGED_POLICY, opts=child)
        self.profile = aws.iam.InstanceProfile(
            f"{name}-profile", name=names.instance_profile, role=self.role.name, tags=name_tag(names.instance_profile), opts=child
        )
        aws.iam.RolePolicy(
            f"{name}-nat-policy",
            role=self.role.name,
            name="attach-own-interface-and-address",
            policy=pulumi.Output.all(args.account_id, self.interface.id, self.eip.allocation_id, self.profile.arn).apply(
                lambda v: json.dumps(nat_instance_policy(args.region, v[0], v[1], v[2], v[3], names.instance))
            ),
            opts=child,
        )

        user_data = pulumi.Output.all(self.interface.id, self.eip.allocation_id).apply(
            lambda v: encode_user_data(render_nat_user_data(v[0], v[1], args.region))
        )
        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            name=names.launch_template,
            description=f"NAT instance {names.instance} (fck-nat pattern)",
            image_id=args.image,
            instance_type=args.instance_type,
            iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=self.profile.arn),
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1, instance_metadata_tags="disabled"
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name=ROOT_DEVICE,
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        encrypted="true", volume_type="gp3", volume_size=args.root_volume_gib, delete_on_termination="true"
                    ),
                )
            ],
            # The primary interface needs a public address to reach the EC2 API at boot; the boot
            # script then moves the Elastic IP onto it.
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    device_index=0,
                    subnet_id=args.public_subnet_id,
                    security_groups=[args.security_group_id],
                    associate_public_ip_address="true",
                    delete_on_termination="true",
                )
            ],
            monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
            user_data=user_data,
            update_default_version=True,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags=dict(args.launch_tags)),
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags=dict(args.launch_tags)),
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type="network-interface",
                    tags={**args.launch_tags, "Name": f"{names.instance}-primary", NAT_INTERFACE_TAG: names.instance},
                ),
            ],
            tags=name_tag(names.launch_template),
            opts=child,
        )

        self.group = aws.autoscaling.Group(
            f"{name}-asg",
            name=names.group,
            min_size=1,
            # Room for the replacement while the old instance still serves (launch before terminate).
            max_size=2,
            desired_capacity=1,
            # One zone: the persistent interface lives in one subnet and cannot move.
            vpc_zone_identifiers=[args.public_subnet_id],
            # A pinned version, not "$Latest": only a change of this input starts an instance refresh.
            launch_template=aws.autoscaling.GroupLaunchTemplateArgs(id=self.launch_template.id, version=self.launch_template.latest_version.apply(str)),
            health_check_type="EC2",
            health_check_grace_period=120,
            # Group metrics feed the observability layer's "no healthy NAT instance" alarm;
            # without collection the metric is missing and that alarm would sit in ALARM.
            enabled_metrics=["GroupInServiceInstances", "GroupDesiredCapacity"],
            metrics_granularity="1Minute",
            # A new launch template version (a config change) rolls the instance, launching the new
            # one first: the old keeps forwarding until the new is in service and warmed up (its boot
            # script then takes over the interface and the address). No auto rollback: EC2 Auto
            # Scaling does not support it for templates whose image is an SSM parameter.
            instance_refresh=aws.autoscaling.GroupInstanceRefreshArgs(
                strategy="Rolling",
                preferences=aws.autoscaling.GroupInstanceRefreshPreferencesArgs(
                    min_healthy_percentage=100,
                    max_healthy_percentage=200,
                    instance_warmup=str(args.warmup_seconds),
                    skip_matching=True,
                ),
            ),
            tags=[
                aws.autoscaling.GroupTagArgs(key=key, value=value, propagate_at_launch=False)
                for key, value in {**args.launch_tags, "Name": names.group}.items()
            ],
            opts=child,
        )

        self.group_name = self.group.name
        self.public_ip = self.eip.public_ip
        self.network_interface_id = self.interface.id
        self.register_outputs({"groupName": self.group_name, "publicIp": self.public_ip, "networkInterfaceId": self.network_interface_id})
