"""`AlertTopic`: the KMS-encrypted SNS topic the alarms notify, its policy and e-mail subscriptions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.observability.policies import alarm_arn_pattern, topic_policy
from shared.tagging import name_tag


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
        self.register_outputs({"topicArn": self.topic_arn, "topicName": self.topic_name})
