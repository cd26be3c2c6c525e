"""`FlowLogs`: VPC flow logs to a KMS-encrypted CloudWatch log group with finite retention."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import pulumi
import pulumi_aws as aws

from shared.components.encryption import EncryptionKey, EncryptionKeyArgs
from shared.components.log_group import encrypted_log_group
from shared.components.network.policies import flow_logs_delivery_policy, flow_logs_trust_policy, log_key_policy
from shared.tagging import name_tag


@dataclass(frozen=True)
class FlowLogsArgs:
    vpc_id: pulumi.Input[str]
    region: str
    account_id: pulumi.Input[str]
    log_group_name: str
    role_name: str
    key_alias: str  # "alias/..."
    retention_days: int  # a CloudWatch Logs retention period (validated by the config model)
    key_deletion_window_days: int
    traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    aggregation_interval_seconds: Literal[60, 600] = 60


class FlowLogs(pulumi.ComponentResource):
    """Flow logs of the whole VPC (all traffic by default: PCI DSS 10.2 wants rejected flows too).

    The log group has its own customer-managed key (rotation on) usable by CloudWatch Logs for this
    group only. The delivery role is assumable only by the VPC Flow Logs service on behalf of this
    account, and may write only to this group.
    """

    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FlowLogsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:network:FlowLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        # Its own key: the data layer's key does not exist yet when the network layer deploys.
        self.key = EncryptionKey(
            f"{name}-key",
            EncryptionKeyArgs(
                name=args.key_alias.removeprefix("alias/"),
                alias=args.key_alias,
                policy=pulumi.Output.from_input(args.account_id).apply(
                    lambda account: json.dumps(log_key_policy(args.region, account, args.log_group_name))
                ),
                deletion_window_days=args.key_deletion_window_days,
                description=f"Encrypts the VPC flow log group {args.log_group_name}",
            ),
            opts=child,
        )
        self.log_group = encrypted_log_group(
            f"{name}-group",
            name=args.log_group_name,
            retention_days=args.retention_days,
            kms_key_arn=self.key.arn,
            parent=self,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"Delivers VPC flow logs to {args.log_group_name}",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account: json.dumps(flow_logs_trust_policy(args.region, account))
            ),
            tags=name_tag(args.role_name),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-delivery",
            role=self.role.name,
            name="deliver-to-flow-log-group",
            policy=self.log_group.arn.apply(lambda group_arn: json.dumps(flow_logs_delivery_policy(group_arn))),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-vpc",
            vpc_id=args.vpc_id,
            traffic_type=args.traffic_type,
            log_destination_type="cloud-watch-logs",
            log_destination=self.log_group.arn,
            iam_role_arn=self.role.arn,
            max_aggregation_interval=args.aggregation_interval_seconds,
            tags=name_tag(args.log_group_name.rsplit("/", 1)[-1]),
            opts=child,
        )

        self.log_group_name = self.log_group.name
        self.log_group_arn = self.log_group.arn
        self.register_outputs({"logGroupName": self.log_group_name, "logGroupArn": self.log_group_arn})
