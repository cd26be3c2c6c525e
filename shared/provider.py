"""The one AWS provider of a layer: region from environments.yaml, base tags as default tags."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from shared.config.environment import Environment
from shared.tagging import base_tags


def aws_provider(environment: Environment) -> aws.Provider:
    """Every AWS resource of the layer uses this provider (stack files disable the default one)."""
    return aws.Provider(
        f"aws-{environment.suffix}",
        region=environment.region,
        default_tags={"tags": base_tags(environment)},
    )


def invoke_options(provider: aws.Provider) -> pulumi.InvokeOptions:
    return pulumi.InvokeOptions(provider=provider)
