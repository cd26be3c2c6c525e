"""The environment matrix: what differs between dev, staging and prod, read from the rendered resources.

Every value comes from the resources the programs declared (not from the stack files), so the
matrix shows what would actually be deployed. The shape check compares the multiset of
(type, name with the environment suffix replaced by `{env}`) across environments, leaving out
the differences the environments declare on purpose (NAT, Aurora instances, autoscaling, alarms,
alert subscriptions), and reports any other difference.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from payments.contract import FUNCTIONS
from rich.console import Console
from rich.table import Table

from platform_tools.text import cell, column_widths

from platform_tools.guardrails.context import context_for
from platform_tools.guardrails.view import ResourceView, views_of
from platform_tools.plan.engine import EnvironmentPlan

ABSENT = "—"

# Resource types whose presence or count is an environment difference by design.
DECLARED_DIFFERENCES: Mapping[str, str] = {
    "aws:ec2/natGateway:NatGateway": "NAT mode and count",
    "aws:ec2/eip:Eip": "one Elastic IP per NAT gateway",
    "aws:ec2/launchTemplate:LaunchTemplate": "NAT instance (natMode instance)",
    "aws:autoscaling/group:Group": "NAT instance (natMode instance)",
    "aws:ec2/instance:Instance": "NAT instance (natMode instance)",
    "aws:rds/clusterInstance:ClusterInstance": "Aurora instance count",
    "aws:appautoscaling/target:Target": "DynamoDB billing mode (autoscaled)",
    "aws:appautoscaling/policy:Policy": "DynamoDB billing mode (autoscaled)",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarms enabled per environment",
    "aws:sns/topicSubscription:TopicSubscription": "alert e-mails per environment",
    "aws:cognito/userPoolClient:UserPoolClient": "merchants per environment (one app client each)",
    "random:index/randomId:RandomId": "Aurora final snapshot (auroraSkipFinalSnapshot)",
}
# Resources whose presence is an environment difference by design, by (normalized) name.
DECLARED_NAME_DIFFERENCES: Mapping[re.Pattern[str], str] = {
    re.compile(r"-aurora-monitoring-(role|policy)$"): "Enhanced Monitoring role (auroraMonitoringIntervalSeconds)",
}
# AWS ids (nat-0abc…, i-0abc…) and instance ordinals (aurora-1) in alarm names: one row per kind.
_AWS_ID = re.compile(r"(?<![A-Za-z0-9])(nat|i|eni|vol|subnet)-[0-9a-f]{8,17}(?![A-Za-z0-9])")
_ORDINAL = re.compile(r"-\d+$")
_OPERATORS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}
NAT_SPECIFIC = re.compile(r"(^|[-_/.])nat([-_/.]|$)")


@dataclass(frozen=True)
class Row:
    setting: str
    values: dict[str, str]  # environment -> rendered value

    @property
    def differs(self) -> bool:
        return len(set(self.values.values())) > 1


_PAYMENT_HANDLERS = frozenset(spec.handler for spec in FUNCTIONS)


def _all(plan: EnvironmentPlan) -> list[ResourceView]:
    return [v for layer in plan.layers for v in views_of(layer.resources)]


def _normalize(name: str, suffix: str | None) -> str:
    return re.sub(rf"(?<![A-Za-z0-9]){re.escape(suffix)}(?![A-Za-z0-9])", "{env}", name) if suffix else name


def _of(views: Sequence[ResourceView], type_: str) -> list[ResourceView]:
    return [v for v in views if v.type == type_]


def _join(values: Sequence[str]) -> str:
    return "; ".join(values) if values else ABSENT


def _short(views: Sequence[ResourceView], r: ResourceView, suffix: str | None) -> str:
    """A resource's name without the `{company}-{service}-{env}-` prefix, for compact cells."""
    name = _normalize(r.name, suffix)
    return name.split("{env}-", 1)[-1]


def _alarm_group(name: str) -> str:
    return _ORDINAL.sub("-{n}", _AWS_ID.sub(r"\1-{id}", name))


def nat_summary(views: Sequence[ResourceView]) -> str:
    gateways = _of(views, "aws:ec2/natGateway:NatGateway")
    groups = _of(views, "aws:autoscaling/group:Group")
    instances = _of(views, "aws:ec2/instance:Instance")
    parts = []
    if gateways:
        parts.append(f"gateway × {len(gateways)}")
    if groups or instances:
        count = sum(int(g.props.get("desiredCapacity") or g.props.get("minSize") or 0) for g in groups) + len(instances)
        parts.append(f"instance × {count}")
    return " + ".join(parts) or ABSENT


def settings_rows(plans: Mapping[str, EnvironmentPlan]) -> list[Row]:
    per_env = {env: _all(plan) for env, plan in plans.items()}
    suffixes = {env: context_for(views, None).suffix for env, views in per_env.items()}

    def row(setting: str, render) -> Row:
        return Row(setting, {env: render(views, suffixes[env]) for env, views in per_env.items()})

    def aurora(views, _s):
        classes = Counter(str(r.props.get("instanceClass")) for r in _of(views, "aws:rds/clusterInstance:ClusterInstance"))
        return _join([f"{n} × {c}" for c, n in sorted(classes.items())])

    def retention(views, _s):
        return _join([f"{r.props.get('backupRetentionPeriod')} d" for r in _of(views, "aws:rds/cluster:Cluster")])

    def memory(views, s):
        # The seed's row is about the payment functions; the reconcile and migration functions follow.
        everything = _of(views, "aws:lambda/function:Function")
        functions = [r for r in everything if r.props.get("handler") in _PAYMENT_HANDLERS]
        others = [r for r in everything if r not in functions]
        sizes = {str(r.props.get("memorySize")) for r in functions}
        if len(sizes) == 1:
            head = [f"{sizes.pop()} MB × {len(functions)} payment functions"]
        else:
            head = [f"{_short(views, r, s)}={r.props.get('memorySize')} MB" for r in functions]
        return _join(head + [f"{_short(views, r, s)}={r.props.get('memorySize')} MB" for r in others])

    def billing(views, s):
        targets = _of(views, "aws:appautoscaling/target:Target")
        out = []
        for table in _of(views, "aws:dynamodb/table:Table"):
            mode = str(table.props.get("billingMode"))
            text = f"{_short(views, table, s)}: {mode}"
            if mode == "PROVISIONED":
                text += f" {table.props.get('readCapacity')}/{table.props.get('writeCapacity')} RCU/WCU"
                scaling = [t for t in targets if t.props.get("resourceId") == f"table/{table.props.get('name')}"]
                if scaling:
                    text += " autoscaled " + ", ".join(
                        f"{str(t.props.get('scalableDimension')).rsplit(':', 1)[-1].replace('ReadCapacityUnits', 'R').replace('WriteCapacityUnits', 'W')} "
                        f"{t.props.get('minCapacity')}-{t.props.get('maxCapacity')}"
                        for t in scaling
                    )
            out.append(text)
        return _join(out)

    def pitr(views, s):
        return _join([
            f"{_short(views, t, s)}: {'on' if t.get('pointInTimeRecovery', 'enabled') is True else 'off'}"
            for t in _of(views, "aws:dynamodb/table:Table")
        ])

    def lifecycle(views, s):
        out = []
        for config in _of(views, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
            for rule in config.props.get("rules") or []:
                if rule.get("status") != "Enabled":
                    continue
                parts = [f"{t.get('storageClass')}@{t.get('days')}d" for t in rule.get("transitions") or []]
                parts += [f"noncurrent {t.get('storageClass')}@{t.get('noncurrentDays')}d" for t in rule.get("noncurrentVersionTransitions") or []]
                if (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays"):
                    parts.append(f"noncurrent expire@{rule['noncurrentVersionExpiration']['noncurrentDays']}d")
                if (rule.get("expiration") or {}).get("days"):
                    parts.append(f"expire@{rule['expiration']['days']}d")
                if (rule.get("abortIncompleteMultipartUpload") or {}).get("daysAfterInitiation"):
                    parts.append(f"abort uploads@{rule['abortIncompleteMultipartUpload']['daysAfterInitiation']}d")
                out.append(f"{rule.get('id')}: " + ", ".join(parts))
        return _join(out)

    def api_throttling(views, s):
        return _join([
            f"{st.get('defaultRouteSettings', 'throttlingRateLimit')}/s burst {st.get('defaultRouteSettings', 'throttlingBurstLimit')}"
            for st in _of(views, "aws:apigatewayv2/stage:Stage")
        ])

    def merchants(views, s):
        return _join(sorted(str(c.props.get("name")).split(f"-{s}-merchant-", 1)[-1] for c in _of(views, "aws:cognito/userPoolClient:UserPoolClient")))

    rows = [
        row("NAT mode × count", lambda v, s: nat_summary(v)),
        row("Aurora instances", aurora),
        row("Aurora backup retention", retention),
        row("Lambda memory", memory),
        row("DynamoDB billing", billing),
        row("DynamoDB point-in-time recovery", pitr),
        row("S3 lifecycle rules", lifecycle),
        row("API throttling", api_throttling),
        row("API merchants (app clients)", merchants),
    ]
    alarms = {env: _of(views, "aws:cloudwatch/metricAlarm:MetricAlarm") for env, views in per_env.items()}
    groups = sorted({_alarm_group(_short(per_env[e], a, suffixes[e])) for e, found in alarms.items() for a in found})
    for group in groups:
        def threshold(views, s, group=group):
            found = [a for a in _of(views, "aws:cloudwatch/metricAlarm:MetricAlarm") if _alarm_group(_short(views, a, s)) == group]
            if not found:
                return "no alarm"
            values = Counter(f"{_OPERATORS.get(a.props.get('comparisonOperator'), a.props.get('comparisonOperator'))} {a.props.get('threshold', ABSENT)}" for a in found)
            return _join([f"{v} × {n}" if n > 1 else v for v, n in sorted(values.items())])
        rows.append(row(f"alarm {group}", threshold))
    return rows


def shape(plans: Mapping[str, EnvironmentPlan]) -> dict[tuple[str, str], dict[str, int]]:
    """(type, normalized name) -> count per environment, for every undeclared difference."""
    counts: dict[str, Counter[tuple[str, str]]] = {}
    for env, plan in plans.items():
        views = _all(plan)
        suffix = context_for(views, None).suffix
        counts[env] = Counter(
            (v.type, _normalize(v.name, suffix))
            for v in views
            if v.type not in DECLARED_DIFFERENCES
            and not NAT_SPECIFIC.search(_normalize(v.name, suffix).replace("{env}", ""))
            and not any(p.search(_normalize(v.name, suffix)) for p in DECLARED_NAME_DIFFERENCES)
        )
    keys = set().union(*counts.values()) if counts else set()
    differences = {}
    for key in sorted(keys):
        per_env = {env: counts[env][key] for env in counts}
        if len(set(per_env.values())) > 1:
            differences[key] = per_env
    return differences


def print_matrix(console: Console, plans: Sequence[EnvironmentPlan]) -> dict[tuple[str, str], dict[str, int]]:
    by_env = {p.environment: p for p in plans}
    table = Table(title=cell("environment matrix (from the rendered resources)", "bold"), title_justify="left")
    rows = settings_rows(by_env)
    widths = column_widths(console.width, max((len(r.setting) for r in rows), default=10), len(by_env))
    table.add_column("setting", style="cyan", overflow="fold", width=widths[0])
    for env, width in zip(by_env, widths[1:]):
        table.add_column(cell(env), overflow="fold", width=width)
    for r in rows:
        style = "bold" if r.differs else "dim"
        table.add_row(cell(r.setting), *(cell(r.values[e], style) for e in by_env))
    console.print(table)
    differences = shape(by_env)
    if not differences:
        declared = ", ".join(sorted({*DECLARED_DIFFERENCES.values(), *DECLARED_NAME_DIFFERENCES.values()}))
        console.print(f"[green]shape: the resource graphs are the same[/green] apart from the declared differences ({declared}, NAT-specific resources)")
    else:
        console.print("[red]shape: undeclared differences between environments[/red]")
        for (type_, name), per_env in differences.items():
            console.print(cell(f"    {type_} {name}: " + ", ".join(f"{e}={n}" for e, n in per_env.items())))
    return differences
