"""Pure helpers over IAM policy documents: statements, wildcard actions, wildcard resources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from platform_tools.guardrails.view import UNKNOWN, parse_json

# Actions that AWS does not let you scope to a resource ARN, so `Resource: "*"` is the only form.
# Each entry names why; anything else on "*" is a violation.
WILDCARD_RESOURCE_EXCEPTIONS: Mapping[str, str] = {
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions (Lambda tracing)",
    "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions (Lambda tracing)",
    "xray:GetSamplingRules": "X-Ray has no resource-level permissions (Lambda tracing)",
    "xray:GetSamplingTargets": "X-Ray has no resource-level permissions (Lambda tracing)",
    "ec2:CreateNetworkInterface": "VPC Lambda ENIs (AWSLambdaVPCAccessExecutionRole uses *)",
    "ec2:DescribeNetworkInterfaces": "Describe* actions have no resource-level permissions",
    "ec2:DeleteNetworkInterface": "VPC Lambda ENIs (AWSLambdaVPCAccessExecutionRole uses *)",
    "ec2:AssignPrivateIpAddresses": "VPC Lambda ENIs (AWSLambdaVPCAccessExecutionRole uses *)",
    "ec2:UnassignPrivateIpAddresses": "VPC Lambda ENIs (AWSLambdaVPCAccessExecutionRole uses *)",
    "ec2:DescribeSubnets": "Describe* actions have no resource-level permissions",
    "ec2:DescribeSecurityGroups": "Describe* actions have no resource-level permissions",
    "ec2:DescribeVpcs": "Describe* actions have no resource-level permissions",
    "ec2:DescribeInstances": "Describe* actions have no resource-level permissions",
    "ec2:DescribeRouteTables": "Describe* actions have no resource-level permissions",
    "ec2:DescribeAddresses": "Describe* actions have no resource-level permissions",
    "logs:DescribeLogGroups": "a list operation; AWS's own VPC flow-logs delivery role grants it on *",
    "cloudwatch:PutMetricData": "no resource-level permissions; scope with the cloudwatch:namespace condition",
}

# AWS managed policies that grant wildcard actions; attaching one is the same as writing "*".
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def statements(document: Any) -> Iterator[dict[str, Any]]:
    """The statements of a policy document given as JSON text or an object; unknown yields nothing."""
    doc = parse_json(document)
    if not isinstance(doc, Mapping):
        return
    raw = doc.get("Statement")
    for statement in raw if isinstance(raw, list) else [raw]:
        if isinstance(statement, Mapping):
            yield dict(statement)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def is_allow(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect", "Allow") == "Allow"


def wildcard_actions(statement: Mapping[str, Any]) -> list[str]:
    """Actions of an Allow statement that contain a wildcard (`*`, `s3:*`, `s3:Get*`), or NotAction."""
    if not is_allow(statement):
        return []
    found = [a for a in as_list(statement.get("Action")) if isinstance(a, str) and "*" in a]
    if "NotAction" in statement:
        found.append("NotAction")
    return found


def wildcard_resource_actions(statement: Mapping[str, Any]) -> list[str]:
    """Actions an Allow statement grants on `Resource: "*"` (or NotResource) that are not named exceptions."""
    if not is_allow(statement):
        return []
    resources = as_list(statement.get("Resource"))
    if "*" not in resources and "NotResource" not in statement:
        return []
    actions = [a for a in as_list(statement.get("Action")) if a is not UNKNOWN]
    return [str(a) for a in actions if a not in WILDCARD_RESOURCE_EXCEPTIONS] or ([] if actions else ["(no Action)"])


def is_broad_managed_policy(arn: Any) -> bool:
    return isinstance(arn, str) and arn.startswith("arn:aws:iam::aws:policy/") and arn.rsplit("/", 1)[-1] in BROAD_MANAGED_POLICIES


def denies_insecure_transport(document: Any) -> bool:
    """An explicit Deny when `aws:SecureTransport` is false (Security Hub S3.5's required form)."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        condition = statement.get("Condition") or {}
        secure = (condition.get("Bool") or {}).get("aws:SecureTransport") if isinstance(condition, Mapping) else None
        if any(str(v).lower() == "false" for v in as_list(secure)):
            return True
    return False
