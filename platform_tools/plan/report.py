"""Readable rendering of a plan: one table per layer, its outputs, and a summary."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from platform_tools.plan.engine import EnvironmentPlan, LayerPlan, PlannedResource
from platform_tools.text import cell, fixed, line

# The settings worth seeing per type (wire names); other types show a few scalar inputs.
KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "aws:ec2/vpc:Vpc": ("cidrBlock", "enableDnsHostnames"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZone", "mapPublicIpOnLaunch"),
    "aws:ec2/route:Route": ("destinationCidrBlock", "natGatewayId", "networkInterfaceId", "gatewayId"),
    "aws:ec2/natGateway:NatGateway": ("subnetId", "allocationId"),
    "aws:ec2/eip:Eip": ("domain",),
    "aws:ec2/securityGroup:SecurityGroup": ("name", "description"),
    "aws:ec2/vpcSecurityGroupIngressRule:VpcSecurityGroupIngressRule": ("ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId"),
    "aws:ec2/vpcSecurityGroupEgressRule:VpcSecurityGroupEgressRule": ("ipProtocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId", "prefixListId"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("instanceType", "imageId"),
    "aws:autoscaling/group:Group": ("minSize", "maxSize", "desiredCapacity"),
    "aws:rds/cluster:Cluster": ("engine", "engineVersion", "backupRetentionPeriod", "storageEncrypted", "deletionProtection"),
    "aws:rds/clusterInstance:ClusterInstance": ("instanceClass", "availabilityZone", "publiclyAccessible", "performanceInsightsEnabled"),
    "aws:dynamodb/table:Table": ("name", "billingMode", "readCapacity", "writeCapacity", "pointInTimeRecovery"),
    "aws:appautoscaling/target:Target": ("resourceId", "scalableDimension", "minCapacity", "maxCapacity"),
    "aws:s3/bucket:Bucket": ("bucket", "forceDestroy"),
    "aws:lambda/function:Function": ("name", "runtime", "memorySize", "timeout", "reservedConcurrentExecutions"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("name", "metricName", "threshold", "comparisonOperator"),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays"),
    "aws:kms/key:Key": ("enableKeyRotation", "deletionWindowInDays"),
    "aws:iam/role:Role": ("name",),
    "pulumi:providers:aws": ("region",),
}
MAX_STRUCTURE_LENGTH = 60  # a policy document or tag map is summarised; strings and numbers never are


def short_type(type_: str) -> str:
    """`aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration`
    -> `s3/BucketServerSideEncryptionConfiguration`; `payments:network:Vpc` -> `network:Vpc`;
    `pulumi:providers:aws` -> `provider:aws`. The JSON keeps the full token."""
    parts = type_.split(":")
    if len(parts) != 3:
        return type_
    package, module, name = parts
    if package == "pulumi" and module == "providers":
        return f"provider:{name}"
    if package == "aws":
        return f"{module.split('/')[0]}/{name}"
    if package == "payments":
        return f"{module}:{name}"
    return type_


def _is_json_document(text: str) -> bool:
    """A policy or other document passed as JSON text (too long to be a setting worth a line)."""
    if not text.startswith(("{", "[")):
        return False
    try:
        return isinstance(json.loads(text), (dict, list))
    except json.JSONDecodeError:
        return False


def _setting(value: Any) -> str:
    if isinstance(value, str):
        if not value.startswith(("{", "[")):
            return value
        try:  # a JSON document passed as text (a policy): summarised like any structure
            value = json.loads(value)
        except json.JSONDecodeError:
            return value
    text = json.dumps(value, separators=(",", ":"))
    if isinstance(value, (dict, list)) and len(text) > MAX_STRUCTURE_LENGTH:
        return text[: MAX_STRUCTURE_LENGTH - 1] + "…"
    return text


def settings_lines(resource: PlannedResource) -> list[str]:
    """`key=value` for the settings that matter for this type (the first few scalars otherwise)."""
    keys = KEY_SETTINGS.get(resource.type)
    if keys is None:
        keys = tuple(
            k for k, v in resource.inputs.items()
            if isinstance(v, (int, float, bool)) or (isinstance(v, str) and not _is_json_document(v))
            if k != "tags"
        )[:3]  # fmt: skip
    return [f"{k}={_setting(resource.inputs[k])}" for k in keys if k in resource.inputs]


def settings_summary(resource: PlannedResource) -> str:
    return ", ".join(settings_lines(resource))


def _title(text: str) -> Text:
    return cell(text, style="bold")


TABLE_CHROME = 7  # three borders and two cells' padding of a two-column table


def _split(total: int, wanted: int, share: float, least: int = 16) -> tuple[int, int]:
    """Widths of a two-column table `total` wide: the first column gets what it wants up to
    `share` of the room (at least `least`), the second the rest. Cells fold rather than cut."""
    room = max(total - TABLE_CHROME, 2 * least)
    first = max(min(wanted, int(room * share)), least)
    return first, room - first


def layer_table(plan: LayerPlan, width: int = 120) -> Table:
    """One row per resource: its logical name over its short type, and its settings one per line.
    Columns wrap rather than truncate, so every setting stays visible at 80 columns."""
    table = Table(title=_title(f"{plan.project} / {plan.stack}: {len(plan.resources)} resources"), title_justify="left")
    wanted = max((max(len(r.name), len(short_type(r.type))) for r in plan.resources), default=10)
    first, second = _split(width, wanted, share=0.5)
    table.add_column("resource (name, type)", overflow="fold", width=first)
    table.add_column("settings", overflow="fold", width=second)
    for resource in plan.resources:
        label = Text.assemble(cell(resource.name), "\n", cell(short_type(resource.type), style="cyan"))
        table.add_row(label, cell("\n".join(settings_lines(resource))))
    return table


def outputs_table(plan: LayerPlan, width: int = 120) -> Table:
    table = Table(title=_title(f"{plan.project} / {plan.stack}: outputs"), title_justify="left")
    first, second = _split(width, max((len(k) for k in plan.outputs), default=10), share=0.4)
    table.add_column("output", style="green", overflow="fold", width=first)
    table.add_column("value", overflow="fold", width=second)
    for key, value in plan.outputs.items():
        table.add_row(cell(key), cell(output_text(value)))
    return table


def output_text(value: Any) -> str:
    """An output as people copy it: strings verbatim, a list one item per line, a map `key=value` per line."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return "\n".join(v if isinstance(v, str) else json.dumps(v) for v in value) if value else "[]"
    if isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) for v in value.values()):
        return "\n".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in value.items()) if value else "{}"
    return json.dumps(value, separators=(",", ":"))


def summary_table(plans: list[EnvironmentPlan]) -> Table:
    layers = [l.project for l in plans[0].layers] if plans else []
    table = Table(title=_title("resources per layer"), title_justify="left")
    table.add_column("environment")
    for name in layers:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right")
    for plan in plans:
        counts = [len(l.resources) for l in plan.layers]
        table.add_row(cell(plan.environment), *(fixed(c) for c in counts), fixed(sum(counts)))
    return table


def print_plan(console: Console, plans: list[EnvironmentPlan], details: bool = True) -> None:
    for plan in plans:
        for layer in plan.layers:
            if details:
                console.print(layer_table(layer, console.width))
            console.print(outputs_table(layer, console.width))
            for note in layer.notes:
                console.print(line(("note", "yellow"), f" {layer.project}/{layer.stack}: {note}"))
    console.print(summary_table(plans))
