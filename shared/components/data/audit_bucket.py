"""AuditBucket: the S3 audit trail and the bucket that logs every access to it (v7 per-concern resources)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.data.policies import access_log_delivery_statement, tls_only_bucket_policy, to_json
from shared.tagging import name_tag

GLACIER = "GLACIER"
ACCESS_LOG_PREFIX = "audit-bucket/"
# The access-log bucket's purpose in its name (`<company>-<service>-<env>-audit-access-logs`).
ACCESS_LOG_BUCKET_PURPOSE = "audit-access-logs"


@dataclass(frozen=True)
class AuditBucketArgs:
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    noncurrent_version_expiration_days: int
    abort_incomplete_upload_days: int
    access_log_bucket_name: str
    access_log_retention_days: int
    account_id: pulumi.Input[str]
    glacier_transition_days: int | None = None  # None: current objects stay in S3 Standard


def access_log_lifecycle_rules(retention_days: int) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """Access logs expire after the configured retention; replaced or deleted versions a day later."""
    every_object = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-access-logs",
            status="Enabled",
            filter=every_object,
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention_days),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(noncurrent_days=1),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=1),
        )
    ]


def lifecycle_rules(args: AuditBucketArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    every_object = aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix="")
    rules = [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="abort-incomplete-multipart-uploads",
            status="Enabled",
            filter=every_object,
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=args.abort_incomplete_upload_days,
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=every_object,
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_version_expiration_days,
            ),
        ),
    ]
    if args.glacier_transition_days is not None:
        rules.append(
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="archive-current-objects-to-glacier",
                status="Enabled",
                filter=every_object,
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=args.glacier_transition_days, storage_class=GLACIER)
                ],
            )
        )
    return rules


class AuditBucket(pulumi.ComponentResource):
    """A private, versioned, KMS-encrypted bucket that accepts only TLS requests.

    All four public-access blocks on, ACLs disabled (BucketOwnerEnforced), SSE-KMS with the
    environment's key and an S3 bucket key, lifecycle rules for incomplete uploads, noncurrent
    versions and (optionally) Glacier. `force_destroy` so destroying the stack empties the bucket,
    every version included.

    Who read or changed the audit trail is recorded by S3 server access logging into a second
    bucket of the same environment, hardened the same way except for encryption: SSE-S3, the only
    default encryption S3 supports for an access-log target. Only the S3 logging service may write
    there, only for this bucket of this account; its logs expire after the configured retention.
    """

    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AuditBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:AuditBucket", name, None, opts)
        bucket, versioning, guards = self._private_bucket(
            name,
            args.bucket_name,
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
            ),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: to_json(tls_only_bucket_policy(arn))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=guards),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=lifecycle_rules(args),
            # Audit records are small; without this S3 skips objects under 128 KiB in transitions.
            transition_default_minimum_object_size="varies_by_storage_class",
            # Rules on noncurrent versions need versioning to be configured first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        log_name = f"{name}-access-logs"
        log_bucket, log_versioning, log_guards = self._private_bucket(
            log_name,
            args.access_log_bucket_name,
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256"),
        )
        log_policy = aws.s3.BucketPolicy(
            f"{log_name}-policy",
            bucket=log_bucket.id,
            policy=pulumi.Output.all(log_bucket.arn, bucket.arn, args.account_id).apply(
                lambda v: to_json(tls_only_bucket_policy(v[0], access_log_delivery_statement(v[0], ACCESS_LOG_PREFIX, v[1], v[2])))
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=log_guards),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{log_name}-lifecycle",
            bucket=log_bucket.id,
            rules=access_log_lifecycle_rules(args.access_log_retention_days),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_versioning]),
        )
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=bucket.id,
            target_bucket=log_bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            # `<prefix><account>/<region>/<bucket>/YYYY/MM/DD/...` by event time: easy to query by day.
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(partition_date_source="EventTime")
            ),
            # The service may deliver only once the target's policy lets it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_policy]),
        )

        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.access_log_bucket = log_bucket.bucket
        self.register_outputs({"bucket": self.bucket, "arn": self.arn, "accessLogBucket": self.access_log_bucket})

    def _private_bucket(
        self,
        name: str,
        bucket_name: str,
        encryption: aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs,
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketVersioning, list[pulumi.Resource]]:
        """A bucket with ACLs off, all public access blocked, versioning and default encryption;
        returns it, its versioning and what a bucket policy must wait for."""
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(f"{name}-bucket", bucket=bucket_name, force_destroy=True, tags=name_tag(bucket_name), opts=child)
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=encryption,
                    # Only meaningful with SSE-KMS; S3 ignores it for SSE-S3.
                    bucket_key_enabled=encryption.sse_algorithm == "aws:kms",
                )
            ],
            opts=child,
        )
        return bucket, versioning, [public_access, ownership]
