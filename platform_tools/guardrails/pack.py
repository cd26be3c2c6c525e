"""The CrossGuard adapter: each rule of `platform_tools.guardrails.rules` as a pulumi_policy policy.

Resource rules become `ResourceValidationPolicy` (they run before a resource is created); stack
rules, which join resources (bucket ↔ public access block, cluster ↔ parameter group, NAT mode ↔
NAT resources), become `StackValidationPolicy`. `policy/__main__.py` serves them as a pack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from platform_tools.guardrails.context import NAT_MODE_KEY, context_for, declared_nat_mode_from_stack_file
from platform_tools.guardrails.rules import RULES, Rule, StackContext, evaluate
from platform_tools.guardrails.view import ResourceView, from_policy, unwrap_props

PACK_NAME = "payments-guardrails"
STACK_TYPE = "pulumi:pulumi:Stack"


def _stack_context(resources: list[Any], views: list[ResourceView]) -> StackContext:
    """NAT mode: the stack's own natMode output when it has one, else the network stack file."""
    nat_mode = None
    for resource in resources:
        if resource.resource_type == STACK_TYPE:
            outputs = unwrap_props(resource.props)
            if isinstance(outputs.get(NAT_MODE_KEY), str):
                nat_mode = outputs[NAT_MODE_KEY]
    if nat_mode is None and views:
        nat_mode = declared_nat_mode_from_stack_file(views[0].stack)
    return context_for(views, nat_mode)


def validate_resource(rule: Rule) -> Callable[[Any, Callable[..., None]], None]:
    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        view = from_policy(args)
        for violation in evaluate([view], context_for([view], None), [rule]):
            report_violation(violation.message, violation.urn)

    return validate


def validate_stack(rule: Rule) -> Callable[[Any, Callable[..., None]], None]:
    def validate(args: Any, report_violation: Callable[..., None]) -> None:
        views = [from_policy(r) for r in args.resources]
        for violation in evaluate(views, _stack_context(list(args.resources), views), [rule]):
            report_violation(violation.message, violation.urn)

    return validate


def build_policies() -> list[Any]:
    from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

    policies: list[Any] = []
    for rule in RULES:
        if rule.scope == "resource":
            policies.append(ResourceValidationPolicy(rule.id, rule.requirement, validate_resource(rule), EnforcementLevel.MANDATORY))
        else:
            policies.append(StackValidationPolicy(rule.id, rule.requirement, validate_stack(rule), EnforcementLevel.MANDATORY))
    return policies
