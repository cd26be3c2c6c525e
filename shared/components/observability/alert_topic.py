"""`AlertTopic`: the KMS-encrypted SNS topic the alarms notify, its policy and e-mail subscriptions."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.policy_document import document
from shared.tagging import name_tag


def alarm_arn_pattern(partition: str, region: str, account_id: str, alarm_name_prefix: str) -> str:
    """The ARNs of this environment's alarms (`arn:aws:cloudwatch:<region>:<account>:alarm:<prefix>*`)."""
    return f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:{alarm_name_prefix}*"


def topic_policy(topic_arn: str, account_id: str, source_arn_pattern: str) -> str:
    """Only CloudWatch alarms of this account (and of this environment's alarm names) may publish.

    `aws:SourceAccount`/`aws:SourceArn` stop another account's alarms from using CloudWatch as a
    confused deputy. Publishing over plain HTTP is refused for everyone. Same-account principals
    still manage the topic through their IAM policies.
    """
    return json.dumps(
        document(
            {
                "Sid": "AllowCloudWatchAlarmsToPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": source_arn_pattern},
                },
            },
            {
                "Sid": "DenyPublishWithoutTls",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
        sort_keys=True,
    )


def subscription_slug(email: str) -> str:
    """A stable logical-name part for one address (`Payments.Oncall@x.com` -> `payments-oncall-x-com`)."""
    return re.sub(r"[^a-z0-9]+", "-", email.lower()).strip("-")


@dataclass(frozen=True)
class AlertTopicArgs:
    topic_name: str
    kms_key_arn: pulumi.Input[str]  # the data layer's key; its policy lets CloudWatch use it
    alarm_name_prefix: str  # the alarms allowed to publish: names starting with this
    emails: Sequence[str] = ()


class AlertTopic(pulumi.ComponentResource):
    """An SNS topic encrypted with a customer-managed KMS key, publishable only by this account's
    CloudWatch alarms of this environment, with one e-mail subscription per address.

    E-mail subscriptions stay pending until each recipient confirms the message AWS sends.
    """

    topic_arn: pulumi.Output[str]
    topic_name: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:observability:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        topic = aws.sns.Topic(
            f"{name}-topic",
            name=args.topic_name,
            kms_master_key_id=args.kms_key_arn,
            tags=name_tag(args.topic_name),
            opts=child,
        )
        identity = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self))
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self))
        region = aws.get_region_output(opts=pulumi.InvokeOptions(parent=self))
        aws.sns.TopicPolicy(
            f"{name}-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, identity.account_id, partition.partition, region.region).apply(
                lambda v: topic_policy(v[0], v[1], alarm_arn_pattern(v[2], v[3], v[1], args.alarm_name_prefix))
            ),
            opts=child,
        )
        for email in args.emails:
            aws.sns.TopicSubscription(
                f"{name}-email-{subscription_slug(email)}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child,
            )
        self.topic_arn = topic.arn
        self.topic_name = topic.name
        self.register_outputs({"topic_arn": self.topic_arn, "topic_name": self.topic_name})
