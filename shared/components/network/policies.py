"""IAM and KMS policy documents of the network layer, as plain functions of ARNs (no Pulumi)."""

from __future__ import annotations

from shared.components.policy_document import Document, document, service_trust_policy

# Tag the NAT instance's launch template puts on the instance's own (ephemeral) primary interface;
# the instance may act only on interfaces that carry it with its own value.
NAT_INTERFACE_TAG = "NatInstanceInterface"
SSM_MANAGED_POLICY = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"


def ec2_trust_policy() -> Document:
    """Only EC2 may assume the NAT instance role (through its instance profile)."""
    return service_trust_policy("ec2.amazonaws.com", "Ec2Instances")


def nat_instance_policy(
    region: str,
    account_id: str,
    eni_id: str,
    eip_allocation_id: str,
    instance_profile_arn: str,
    interface_tag_value: str,
) -> Document:
    """What the NAT instance's boot script needs, and nothing more.

    EC2 authorizes each resource of a request separately, so each resource kind has its own
    statement with the tightest condition AWS evaluates for it:
      - the persistent interface and the Elastic IP by exact ARN;
      - the instance by `ec2:InstanceProfile` (only instances launched with this role's profile;
        launching another requires iam:PassRole, which this role lacks); an instance ARN cannot be
        known before launch;
      - the instance's own primary interface, also unknowable before launch, by the tag its
        launch template stamps on it (the role cannot create or change tags).
    """
    prefix = f"arn:aws:ec2:{region}:{account_id}"
    return document(
        {
            "Sid": "AttachThePersistentInterface",
            "Effect": "Allow",
            "Action": "ec2:AttachNetworkInterface",
            "Resource": f"{prefix}:network-interface/{eni_id}",
        },
        {
            "Sid": "MoveTheElasticIp",
            "Effect": "Allow",
            "Action": "ec2:AssociateAddress",
            "Resource": f"{prefix}:elastic-ip/{eip_allocation_id}",
        },
        {
            "Sid": "OnlyOnInstancesWithThisProfile",
            "Effect": "Allow",
            "Action": ["ec2:AttachNetworkInterface", "ec2:AssociateAddress"],
            "Resource": f"{prefix}:instance/*",
            "Condition": {"ArnEquals": {"ec2:InstanceProfile": instance_profile_arn}},
        },
        {
            "Sid": "OwnPrimaryInterfaceOnly",
            "Effect": "Allow",
            "Action": ["ec2:AssociateAddress", "ec2:ModifyNetworkInterfaceAttribute"],
            "Resource": f"{prefix}:network-interface/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{NAT_INTERFACE_TAG}": interface_tag_value}},
        },
    )


def flow_logs_trust_policy(region: str, account_id: str) -> Document:
    """Only the VPC Flow Logs service, acting for this account's flow logs (confused-deputy guard)."""
    return service_trust_policy(
        "vpc-flow-logs.amazonaws.com",
        "VpcFlowLogsOfThisAccount",
        account_id=account_id,
        source_arn_like=f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*",
    )


def flow_logs_delivery_policy(log_group_arn: str) -> Document:
    """Write to one log group. DescribeLogGroups is a list call AWS authorizes only on "*"."""
    group = log_group_arn.removesuffix(":*")
    return document(
        {
            "Sid": "WriteTheFlowLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [group, f"{group}:*"],
        },
        {"Sid": "ListLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*"},
    )


def log_key_policy(region: str, account_id: str, log_group_name: str) -> Document:
    """Key policy of the flow-log key: the account administers it; CloudWatch Logs may use it only
    for this one log group (`kms:EncryptionContext:aws:logs:arn`)."""
    return document(
        {
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsForTheFlowLogGroupOnly",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            "Resource": "*",
            "Condition": {
                "ArnEquals": {
                    "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
                }
            },
        },
    )


def gateway_endpoint_policy(account_id: str) -> Document:
    """Gateway endpoints reach only resources of this account: a compromised function cannot copy
    payment data to a foreign bucket or table through them."""
    return document(
        {
            "Sid": "OnlyThisAccountsResources",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceAccount": account_id}},
        }
    )
