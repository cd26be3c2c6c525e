"""The one way this platform creates a CloudWatch log group: named, retained, encrypted, tagged."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.tagging import name_tag


def encrypted_log_group(
    resource_name: str,
    *,
    name: str,
    retention_days: int,
    kms_key_arn: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.cloudwatch.LogGroup:
    """A log group created by the program before the service that writes to it (Lambda, RDS, flow
    logs), so the service never auto-creates one unencrypted and kept forever, and `pulumi destroy`
    removes it. `retention_days` is validated by the layer's config model."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        tags=name_tag(name),
        opts=pulumi.ResourceOptions(parent=parent),
    )
