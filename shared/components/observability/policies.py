"""Policy documents of the observability layer, as pure functions of ARNs (no Pulumi, no AWS)."""

from __future__ import annotations

import json

from shared.components.policy_document import document


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
