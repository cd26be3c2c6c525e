"""The `StackContext` of a stack, from data: provider default tags and the network layer's natMode."""

from __future__ import annotations

from collections.abc import Sequence

from platform_tools.guardrails.rules import StackContext
from platform_tools.guardrails.view import ResourceView, default_tags_of
from shared.contracts import NETWORK
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config

NETWORK_PROJECT = NETWORK.project
NAT_MODE_KEY = "natMode"


def declared_nat_mode_from_stack_file(stack: str) -> str | None:
    """`network:natMode` of the network layer's stack file (what the policy pack falls back to)."""
    try:
        config = load_stack_config(project_dir(NETWORK_PROJECT), stack)
    except FileNotFoundError:
        return None
    return config.values.get(f"{NETWORK_PROJECT}:{NAT_MODE_KEY}")


def context_for(resources: Sequence[ResourceView], nat_mode: str | None) -> StackContext:
    """Suffix and environment from the default tags the layer's provider puts on every resource."""
    suffix = environment = None
    providers = [r for r in resources if r.type == "pulumi:providers:aws"]
    for r in providers + [r for r in resources if r not in providers]:
        tags = default_tags_of(r.props) if r.type == "pulumi:providers:aws" else (r.tags or {})
        suffix = suffix or tags.get("EnvironmentSuffix")
        environment = environment or tags.get("Environment")
    if suffix is None and resources:
        suffix = resources[0].stack  # the suffix defaults to the stack name
    return StackContext(suffix=suffix, environment=environment, nat_mode=nat_mode)
