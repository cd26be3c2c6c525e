"""EncryptionKey: a customer-managed KMS key with rotation and its alias (the data key, the flow-log key)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from shared.tagging import name_tag


@dataclass(frozen=True)
class EncryptionKeyArgs:
    name: str  # the key's Name tag, e.g. `{company}-{service}-{suffix}-data`
    alias: str  # `alias/<name>`
    policy: pulumi.Input[str]  # JSON key policy, built by a pure function of the layer
    deletion_window_days: int
    description: str


class EncryptionKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly rotation and an explicit key policy (no wildcard principal).

    Destroyable: deleting the stack schedules the key for deletion after the configured window.
    """

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:security:EncryptionKey", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=args.policy,
            tags=name_tag(args.name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias,
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs({"arn": self.arn, "keyId": self.key_id, "aliasName": self.alias_name})
