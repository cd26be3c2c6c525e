"""Pure policy documents and naming rules of the data layer, tested without Pulumi.

The environment's KMS key is used by every store of the layer and by the other layers' log groups
and alert topic, so its policy is built here once, from plain strings:

- the account root may administer and use the key, which is what lets IAM policies (the deployer,
  the Lambda roles of the compute layer) grant use of it; no `Principal: "*"` anywhere;
- CloudWatch Logs may use it only for this environment's log groups (the encryption context
  `aws:logs:arn` must match one of `log_group_arn_patterns`);
- CloudWatch may use it to publish alarms to the (encrypted) alert topic of the observability layer,
  only for this account's alarms of this environment (`aws:SourceAccount` + `aws:SourceArn`, the
  confused-deputy guard AWS documents for CloudWatch alarms publishing to an SSE-KMS topic).

RDS, Secrets Manager, DynamoDB and S3 use the key on behalf of the calling principal (grants or
`kms:ViaService`), so they need no statement of their own.
"""

from __future__ import annotations

import json
from typing import Any

from shared.components.observability.policies import alarm_arn_pattern
from shared.components.policy_document import Document, document, service_trust_policy

SECURE_TRANSPORT_KEY = "aws:SecureTransport"
MIN_TLS_VERSION = "1.2"

_KEY_USE = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def log_group_arn_patterns(partition: str, region: str, account: str, name_prefix: str) -> list[str]:
    """Log groups of one environment copy: `<prefix>-*` and AWS-service paths such as
    `/aws/lambda/<prefix>-*` or `/aws/rds/cluster/<prefix>-aurora/postgresql`."""
    base = f"arn:{partition}:logs:{region}:{account}:log-group:"
    return [f"{base}{name_prefix}-*", f"{base}/aws/*/{name_prefix}-*"]


def kms_key_policy(partition: str, region: str, account: str, name_prefix: str) -> dict[str, Any]:
    """Key policy of the environment's customer-managed key (see the module docstring)."""
    root = f"arn:{partition}:iam::{account}:root"
    return document(
        {
            "Sid": "AccountRootAdministersTheKeyAndEnablesIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsForThisEnvironmentsLogGroups",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": _KEY_USE,
            "Resource": "*",
            "Condition": {
                "ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arn_patterns(partition, region, account, name_prefix)}
            },
        },
        {
            # CloudWatch alarms publish to the observability layer's KMS-encrypted SNS topic.
            "Sid": "CloudWatchAlarmsPublishToTheEncryptedAlertTopic",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
            # The same alarms the topic policy admits (observability's alarm names start with the prefix).
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": alarm_arn_pattern(partition, region, account, f"{name_prefix}-")},
            },
        },
    )


ENHANCED_MONITORING_MANAGED_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


def enhanced_monitoring_trust_policy(partition: str, region: str, account: str, cluster_identifier: str) -> Document:
    """Only RDS Enhanced Monitoring, for this account's instances of this cluster (confused-deputy guard).

    The instances are named `<cluster identifier>-<n>` (RDS identifiers), so one pattern covers them.
    """
    return service_trust_policy(
        "monitoring.rds.amazonaws.com",
        "RdsEnhancedMonitoringOfThisClustersInstances",
        account_id=account,
        source_arn_like=f"arn:{partition}:rds:{region}:{account}:db:{cluster_identifier}-*",
    )


def tls_only_bucket_policy(bucket_arn: str, *allow: dict[str, Any]) -> dict[str, Any]:
    """Deny every request to the bucket and its objects that is not over TLS (1.2 or later);
    `allow` statements come first."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return document(
        *allow,
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {SECURE_TRANSPORT_KEY: "false"}},
        },
        {
            "Sid": "DenyOutdatedTls",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": MIN_TLS_VERSION}},
        },
    )


def access_log_delivery_statement(log_bucket_arn: str, prefix: str, source_bucket_arn: str, account: str) -> dict[str, Any]:
    """S3 server access logging may write under `prefix`, only for the source bucket of this account
    (`aws:SourceArn` + `aws:SourceAccount`, the confused-deputy guard AWS documents for it)."""
    return {
        "Sid": "S3ServerAccessLogsOfTheAuditBucket",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{log_bucket_arn}/{prefix}*",
        "Condition": {"ArnLike": {"aws:SourceArn": source_bucket_arn}, "StringEquals": {"aws:SourceAccount": account}},
    }


def to_json(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=False)
