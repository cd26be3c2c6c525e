"""Readable rendering of a plan: one table per layer, its outputs, and a summary."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table

from platform_tools.plan.engine import EnvironmentPlan, LayerPlan, PlannedResource

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
MAX_SETTING_LENGTH = 60


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= MAX_SETTING_LENGTH else text[: MAX_SETTING_LENGTH - 1] + "…"


def settings_summary(resource: PlannedResource) -> str:
    keys = KEY_SETTINGS.get(resource.type)
    if keys is None:
        keys = tuple(k for k, v in resource.inputs.items() if isinstance(v, (str, int, float, bool)) and k != "tags")[:3]
    parts = [f"{k}={_short(resource.inputs[k])}" for k in keys if k in resource.inputs]
    return ", ".join(parts)


def layer_table(plan: LayerPlan) -> Table:
    table = Table(title=f"{plan.project} / {plan.stack}: {len(plan.resources)} resources", title_justify="left", expand=False)
    table.add_column("type", style="cyan", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("settings")
    for resource in plan.resources:
        table.add_row(resource.type, resource.name, settings_summary(resource))
    return table


def outputs_table(plan: LayerPlan) -> Table:
    table = Table(title=f"{plan.project} / {plan.stack}: outputs", title_justify="left")
    table.add_column("output", style="green", no_wrap=True)
    table.add_column("value")
    for key, value in plan.outputs.items():
        table.add_row(key, _short(value) if not isinstance(value, str) else value)
    return table


def summary_table(plans: list[EnvironmentPlan]) -> Table:
    layers = [l.project for l in plans[0].layers] if plans else []
    table = Table(title="resources per layer", title_justify="left")
    table.add_column("environment")
    for name in layers:
        table.add_column(name, justify="right")
    table.add_column("total", justify="right")
    for plan in plans:
        counts = [len(l.resources) for l in plan.layers]
        table.add_row(plan.environment, *map(str, counts), str(sum(counts)))
    return table


def print_plan(console: Console, plans: list[EnvironmentPlan], details: bool = True) -> None:
    for plan in plans:
        for layer in plan.layers:
            if details:
                console.print(layer_table(layer))
            console.print(outputs_table(layer))
            for note in layer.notes:
                console.print(f"[yellow]note[/yellow] {layer.project}/{layer.stack}: {note}")
    console.print(summary_table(plans))


def type_counts(plan: LayerPlan) -> Counter[str]:
    return Counter(r.type for r in plan.resources)
