"""`invoke cost`: an estimated monthly cost per environment and layer, from the rendered resources.

Each line is `quantity × unit price` for one resource of the plan (it carries the URN). Fixed
charges (instance hours, NAT gateway hours, public IPv4, KMS keys, alarms, provisioned DynamoDB
capacity) come from the resources' own settings; usage-based charges (GB, requests) use the
assumptions of the environment profile in the price table, and say so on the line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from platform_tools.guardrails.view import ResourceView, views_of
from shared.paths import REPO_ROOT
from platform_tools.plan.engine import EnvironmentPlan
from platform_tools.text import cell, fixed, line
from shared.yamlfile import read_yaml

PRICE_FILE = REPO_ROOT / "data" / "prices-us-east-1.yaml"


@dataclass(frozen=True)
class Price:
    key: str
    price: float
    unit: str
    source: str


@dataclass(frozen=True)
class PriceTable:
    hours_per_month: float
    prices: Mapping[str, Any]
    assumptions: Mapping[str, Mapping[str, float]]

    def price(self, key: str, variant: str | None = None) -> Price | None:
        entry = self.prices.get(key)
        if variant is not None:
            entry = (entry or {}).get(variant)
            key = f"{key}.{variant}"
        if not entry or "price" not in entry:
            return None
        return Price(key, float(entry["price"]), str(entry["unit"]), str(entry["source"]))

    def assume(self, profile: str, name: str) -> float:
        return float(self.assumptions[profile][name])


def load_prices(path: Path = PRICE_FILE) -> PriceTable:
    data = read_yaml(path)
    return PriceTable(float(data["hoursPerMonth"]), data["prices"], data["assumptions"])


@cache
def default_prices() -> PriceTable:
    return load_prices()


@dataclass(frozen=True)
class CostLine:
    layer: str
    urn: str
    resource: str
    item: str
    quantity: float
    unit: str
    unit_price: float | None  # None: no price in the table for this variant (shown, counted as 0)
    assumption: str | None = None  # set on usage-based lines

    @property
    def monthly(self) -> float:
        return round(self.quantity * (self.unit_price or 0.0), 2)


class _Lines:
    """Collects the lines of one layer."""

    def __init__(self, layer: str, table: PriceTable, profile: str):
        self.layer, self.table, self.profile = layer, table, profile
        self.lines: list[CostLine] = []

    @property
    def hours(self) -> float:
        return self.table.hours_per_month

    def add(self, r: ResourceView, item: str, quantity: float, key: str, variant: str | None = None, assumption: str | None = None) -> None:
        price = self.table.price(key, variant)
        unit = price.unit if price else f"{key}.{variant} (no price in the table)"
        self.lines.append(CostLine(self.layer, r.urn, r.name, item, quantity, unit, price.price if price else None, assumption))

    def usage(self, r: ResourceView, item: str, name: str, key: str, scale: float = 1.0, per: str = "") -> None:
        value = self.table.assume(self.profile, name)
        self.add(r, item, value * scale, key, assumption=f"{name}={fixed(value)}{per}")


def _by_type(views: Sequence[ResourceView], type_: str) -> list[ResourceView]:
    return [v for v in views if v.type == type_]


def _num(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def estimate_layer(layer: str, views: Sequence[ResourceView], profile: str, table: PriceTable | None = None) -> list[CostLine]:
    """The cost lines of one layer's resources (pure: no Pulumi, no AWS)."""
    table = table or default_prices()
    out = _Lines(layer, table, profile)
    h = out.hours

    for r in _by_type(views, "aws:rds/clusterInstance:ClusterInstance"):
        out.add(r, f"Aurora instance {r.props.get('instanceClass')}", h, "aurora-postgresql-instance-hour", str(r.props.get("instanceClass")))
    for r in _by_type(views, "aws:rds/cluster:Cluster"):
        out.usage(r, "Aurora storage", "auroraStorageGb", "aurora-storage-gb-month", per=" GB")
        out.usage(r, "Aurora I/O", "auroraIoMillions", "aurora-io-million", per="M requests")
        if r.props.get("manageMasterUserPassword") is True:
            out.add(r, "RDS-managed master secret", 1, "secrets-manager-secret-month")

    gateways = _by_type(views, "aws:ec2/natGateway:NatGateway")
    for r in gateways:
        out.add(r, "NAT gateway hours", h, "nat-gateway-hour")
        out.usage(r, "NAT gateway data processed", "natGbProcessed", "nat-gateway-gb", 1 / len(gateways), per=f" GB shared by {len(gateways)}")
    for r in _by_type(views, "aws:ec2/eip:Eip"):
        out.add(r, "Elastic IP (public IPv4)", h, "public-ipv4-hour")

    templates = _by_type(views, "aws:ec2/launchTemplate:LaunchTemplate")
    for r in _by_type(views, "aws:autoscaling/group:Group"):
        template = next((t for t in templates if t.urn in r.depends_on), templates[0] if len(templates) == 1 else None)
        count = _num(r.props.get("desiredCapacity"), _num(r.props.get("minSize"), 1))
        instance_type = str(template.props.get("instanceType")) if template else "unknown"
        out.add(r, f"NAT instance {instance_type} × {fixed(count)}", h * count, "ec2-instance-hour", instance_type)
        interfaces = (template.props.get("networkInterfaces") if template else None) or []
        if any(isinstance(i, Mapping) and str(i.get("associatePublicIpAddress")).lower() == "true" for i in interfaces):
            out.add(r, f"NAT instance public IPv4 × {fixed(count)}", h * count, "public-ipv4-hour")
    for r in _by_type(views, "aws:ec2/instance:Instance"):
        out.add(r, f"EC2 instance {r.props.get('instanceType')}", h, "ec2-instance-hour", str(r.props.get("instanceType")))
        if r.props.get("associatePublicIpAddress") is True:
            out.add(r, "instance public IPv4", h, "public-ipv4-hour")

    for r in _by_type(views, "aws:kms/key:Key"):
        out.add(r, "KMS customer-managed key", 1, "kms-key-month")
    for r in _by_type(views, "aws:secretsmanager/secret:Secret"):
        out.add(r, "Secrets Manager secret", 1, "secrets-manager-secret-month")
    for r in _by_type(views, "aws:cloudwatch/metricAlarm:MetricAlarm"):
        metrics = [q for q in r.props.get("metricQueries") or [] if isinstance(q, Mapping) and q.get("metricStat")]
        high_resolution = _num(r.props.get("period"), 60) < 60
        key = "cloudwatch-high-resolution-alarm-month" if high_resolution else "cloudwatch-alarm-month"
        out.add(r, "CloudWatch alarm" + (f" ({len(metrics)} metrics)" if metrics else ""), max(len(metrics), 1), key)
    for r in _by_type(views, "aws:cloudwatch/dashboard:Dashboard"):
        out.add(r, "CloudWatch dashboard", 1, "cloudwatch-dashboard-month")

    flow_logs = _by_type(views, "aws:ec2/flowLog:FlowLog")
    flow_log_groups = {urn for f in flow_logs for urn in f.depends_on}
    for r in flow_logs:
        out.usage(r, "VPC flow logs delivered", "flowLogsGb", "vpc-flow-logs-gb", per=" GB")
    for r in _by_type(views, "aws:cloudwatch/logGroup:LogGroup"):
        if r.urn not in flow_log_groups:  # flow-log data is priced on the flow log's line
            out.usage(r, "CloudWatch Logs ingestion", "logsIngestedGbPerLogGroup", "cloudwatch-logs-ingestion-gb", per=" GB")

    for r in _by_type(views, "aws:dynamodb/table:Table"):
        if r.props.get("billingMode") == "PROVISIONED":
            out.add(r, f"DynamoDB read capacity {fixed(_num(r.props.get('readCapacity')))} RCU", _num(r.props.get("readCapacity")) * h, "dynamodb-rcu-hour")
            out.add(r, f"DynamoDB write capacity {fixed(_num(r.props.get('writeCapacity')))} WCU", _num(r.props.get("writeCapacity")) * h, "dynamodb-wcu-hour")
        else:
            out.usage(r, "DynamoDB on-demand reads", "dynamodbReadRequestMillions", "dynamodb-read-request-million", per="M")
            out.usage(r, "DynamoDB on-demand writes", "dynamodbWriteRequestMillions", "dynamodb-write-request-million", per="M")
        if r.get("pointInTimeRecovery", "enabled") is True:
            out.usage(r, "DynamoDB point-in-time recovery", "dynamodbTableGb", "dynamodb-pitr-gb-month", per=" GB")

    for r in _by_type(views, "aws:s3/bucket:Bucket"):
        out.usage(r, "S3 Standard storage", "s3StoredGb", "s3-standard-gb-month", per=" GB")

    for r in _by_type(views, "aws:lambda/function:Function"):
        invocations = table.assume(profile, "lambdaInvocationsPerFunction")
        duration_ms = table.assume(profile, "lambdaAverageDurationMs")
        memory_gb = _num(r.props.get("memorySize"), 128) / 1024
        arm = "arm64" in (r.props.get("architectures") or [])
        basis = f"lambdaInvocationsPerFunction={fixed(invocations)}, lambdaAverageDurationMs={fixed(duration_ms)}"
        out.add(r, f"Lambda compute {fixed(memory_gb * 1024)} MB", invocations * duration_ms / 1000 * memory_gb,
                "lambda-gb-second-arm" if arm else "lambda-gb-second-x86", assumption=basis)
        out.add(r, "Lambda requests", invocations / 1_000_000, "lambda-request-million", assumption=basis)

    return out.lines


def estimate_environment(plan: EnvironmentPlan, profile: str | None = None, table: PriceTable | None = None) -> list[CostLine]:
    """Every cost line of an environment; the profile is the Environment tag (the stack name otherwise)."""
    lines: list[CostLine] = []
    for layer in plan.layers:
        views = views_of(layer.resources)
        env = profile or next((v.tags["Environment"] for v in views if v.tags and v.tags.get("Environment")), plan.environment)
        lines += estimate_layer(layer.project, views, env, table)
    return lines


def total(lines: Sequence[CostLine]) -> float:
    return round(sum(line.monthly for line in lines), 2)


MONTHLY_WIDTH = 12  # "1,234,567.89"
TABLE_CHROME = 10  # four borders and three cells' padding


def _money(value: float) -> str:
    return f"{value:,.2f}"


def lines_table(environment: str, lines: Sequence[CostLine], width: int = 120) -> Table:
    """Every line of one environment, grouped by layer. Three columns that fit 80 terminal columns:
    what (resource name, item, assumption), how much (quantity × unit price) and the monthly sum.
    Names are never cut (they fold onto the next line) and numbers are in plain fixed notation."""
    table = Table(title=cell(f"estimated monthly cost / {environment} (us-east-1 on-demand, USD)", "bold"), title_justify="left")
    room = max(width - TABLE_CHROME - MONTHLY_WIDTH, 40)
    table.add_column("resource · item · assumption", overflow="fold", width=room - room * 2 // 5)
    table.add_column("quantity × unit price", overflow="fold", width=room * 2 // 5)
    table.add_column("monthly", justify="right", width=MONTHLY_WIDTH)
    layers = list(dict.fromkeys(line.layer for line in lines))
    for layer in layers:
        of_layer = [line for line in lines if line.layer == layer]
        table.add_row(cell(layer, "bold"), "", cell(_money(total(of_layer)), "bold"))
        for line in of_layer:
            what = Text.assemble(cell(line.resource), "\n", cell(line.item, "cyan"))
            if line.assumption:
                what.append_text(cell(f"\nassumes {line.assumption}", "dim"))
            price = "no price" if line.unit_price is None else fixed(line.unit_price)
            table.add_row(what, cell(f"{fixed(line.quantity)} {line.unit}\n× {price}"), cell(_money(line.monthly)))
        if layer != layers[-1]:
            table.add_section()
    return table


def summary_table(estimates: Mapping[str, Sequence[CostLine]]) -> Table:
    """Layers down, environments across (three environments fit 80 columns; eight layer columns would not)."""
    layers: list[str] = []
    for lines in estimates.values():
        for line_ in lines:
            if line_.layer not in layers:
                layers.append(line_.layer)
    table = Table(title=cell("estimated monthly cost per environment and layer (USD)", "bold"), title_justify="left")
    table.add_column("")
    for env in estimates:
        table.add_column(cell(env), justify="right")
    for layer in layers:
        table.add_row(cell(layer), *(_money(total([l for l in lines if l.layer == layer])) for lines in estimates.values()))
    table.add_section()
    fixed_parts = [total([l for l in lines if l.assumption is None]) for lines in estimates.values()]
    table.add_row("fixed", *(_money(v) for v in fixed_parts))
    table.add_row("usage-based", *(_money(total(lines) - f) for lines, f in zip(estimates.values(), fixed_parts)))
    table.add_row(cell("total", "bold"), *(cell(_money(total(lines)), "bold") for lines in estimates.values()))
    return table


def print_estimates(console: Console, estimates: Mapping[str, Sequence[CostLine]], details: bool = True) -> None:
    if details:
        for env, lines in estimates.items():
            console.print(lines_table(env, lines, console.width))
    console.print(summary_table(estimates))
    unpriced = sorted({l.unit for lines in estimates.values() for l in lines if l.unit_price is None})
    for unit in unpriced:
        console.print(line(("unpriced", "yellow"), f" {unit}: add it to {PRICE_FILE.relative_to(REPO_ROOT)}"))
