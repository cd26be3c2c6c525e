"""AuditBucket: the S3 audit trail, with the v7 per-concern bucket resources."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.components.data.policies import tls_only_bucket_policy, to_json
from shared.tagging import name_tag

GLACIER = "GLACIER"


@dataclass(frozen=True)
class AuditBucketArgs:
    bucket_name: str
    kms_key_arn: pulumi.Input[str]
    noncurrent_version_expiration_days: int
    abort_incomplete_upload_days: int
    glacier_transition_days: int | None = None  # None: current objects stay in S3 Standard


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
    """

    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: AuditBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:AuditBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=True,
            tags=name_tag(args.bucket_name),
            opts=child,
        )
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
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms",
                        kms_master_key_id=args.kms_key_arn,
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: to_json(tls_only_bucket_policy(arn))),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access, ownership]),
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
        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})
