"""The cost estimate: arithmetic on a small synthetic plan, and lines that all point at real resources."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from platform_tools.cost.estimate import PRICE_FILE, default_prices, estimate_environment, estimate_layer, total
from platform_tools.guardrails.view import ResourceView


def view(type_: str, name: str, depends_on=(), **props) -> ResourceView:
    return ResourceView(urn=f"urn:pulumi:test::layer::{type_}::{name}", type=type_, name=name, props=props, tags={}, depends_on=frozenset(depends_on))


def synthetic_plan() -> list[ResourceView]:
    template = view("aws:ec2/launchTemplate:LaunchTemplate", "nat-lt", instanceType="t4g.nano",
                    networkInterfaces=[{"associatePublicIpAddress": "true"}])
    return [
        view("aws:rds/clusterInstance:ClusterInstance", "aurora-1", instanceClass="db.r5.large"),
        view("aws:rds/clusterInstance:ClusterInstance", "aurora-2", instanceClass="db.r5.large"),
        view("aws:ec2/natGateway:NatGateway", "nat-a"),
        view("aws:ec2/natGateway:NatGateway", "nat-b"),
        view("aws:ec2/eip:Eip", "nat-a-eip"),
        template,
        view("aws:autoscaling/group:Group", "nat-asg", depends_on=[template.urn], desiredCapacity=1),
        view("aws:kms/key:Key", "key"),
        view("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu", period=60),
        view("aws:cloudwatch/dashboard:Dashboard", "dash"),
        view("aws:dynamodb/table:Table", "log", billingMode="PROVISIONED", readCapacity=4, writeCapacity=8),
        view("aws:lambda/function:Function", "fn", memorySize=1024, architectures=["arm64"]),
        view("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "free"),  # no charge: no line
    ]


def test_arithmetic_of_a_synthetic_plan():
    # dev assumptions: natGbProcessed 20, lambdaInvocationsPerFunction 50,000 at 300 ms.
    lines = estimate_layer("layer", synthetic_plan(), "dev")
    by_item = {(l.resource, l.item): l.monthly for l in lines}
    expected = {
        ("aurora-1", "Aurora instance db.r5.large"): 211.70,  # 730 h × 0.29
        ("aurora-2", "Aurora instance db.r5.large"): 211.70,
        ("nat-a", "NAT gateway hours"): 32.85,  # 730 × 0.045
        ("nat-b", "NAT gateway hours"): 32.85,
        ("nat-a", "NAT gateway data processed"): 0.45,  # 20 GB / 2 × 0.045
        ("nat-b", "NAT gateway data processed"): 0.45,
        ("nat-a-eip", "Elastic IP (public IPv4)"): 3.65,  # 730 × 0.005
        ("nat-asg", "NAT instance t4g.nano × 1"): 3.07,  # 730 × 0.0042 = 3.066
        ("nat-asg", "NAT instance public IPv4 × 1"): 3.65,
        ("key", "KMS customer-managed key"): 1.00,
        ("cpu", "CloudWatch alarm"): 0.10,
        ("dash", "CloudWatch dashboard"): 3.00,
        ("log", "DynamoDB read capacity 4 RCU"): 0.38,  # 4 × 730 × 0.00013 = 0.3796
        ("log", "DynamoDB write capacity 8 WCU"): 3.80,  # 8 × 730 × 0.00065 = 3.796
        ("fn", "Lambda compute 1,024 MB"): 0.20,  # 50,000 × 0.3 s × 1 GB = 15,000 GB-s × 0.0000133334
        ("fn", "Lambda requests"): 0.01,  # 0.05 M × 0.20
    }
    assert by_item == expected
    assert total(lines) == pytest.approx(sum(expected.values()))
    usage = {(l.resource, l.item) for l in lines if l.assumption}
    assert usage == {("nat-a", "NAT gateway data processed"), ("nat-b", "NAT gateway data processed"), ("fn", "Lambda compute 1,024 MB"), ("fn", "Lambda requests")}


def test_on_demand_table_and_pitr_are_usage_lines():
    table = view("aws:dynamodb/table:Table", "t", billingMode="PAY_PER_REQUEST", pointInTimeRecovery={"enabled": True})
    lines = {l.item: l for l in estimate_layer("data", [table], "prod")}
    # prod: 100 M reads × 0.125 + 100 M writes × 0.625; 50 GB × 0.20
    assert (lines["DynamoDB on-demand reads"].monthly, lines["DynamoDB on-demand writes"].monthly) == (12.50, 62.50)
    assert lines["DynamoDB point-in-time recovery"].monthly == 10.00
    assert all(l.assumption for l in lines.values())


def test_an_unpriced_class_is_shown_not_guessed():
    [line] = estimate_layer("data", [view("aws:rds/clusterInstance:ClusterInstance", "x", instanceClass="db.r7g.large")], "dev")
    assert line.unit_price is None and line.monthly == 0 and "no price" in line.unit


def test_every_line_of_the_real_plans_is_a_priced_resource_of_the_plan(plans):
    for env, plan in plans.items():
        urns = {r.urn for layer in plan.layers for r in layer.resources}
        lines = estimate_environment(plan)
        assert lines, env
        for line in lines:
            assert line.urn in urns, f"{env}: {line.item} names {line.urn}, which is not in the plan"
            assert line.unit_price is not None, f"{env}: {line.urn}: {line.unit}"


def test_estimates_follow_the_environments(plans):
    totals = {env: total(estimate_environment(plan)) for env, plan in plans.items()}
    assert totals["dev"] < totals["staging"] < totals["prod"], totals


def test_price_table_cites_a_source_and_date_for_every_price():
    data = yaml.safe_load(PRICE_FILE.read_text())
    entries = []
    for key, entry in data["prices"].items():
        entries += [entry] if "price" in entry else list(entry.values())
    for entry in entries:
        assert entry["source"].startswith("https://aws.amazon.com/"), entry
        assert isinstance(entry["checked"], date), entry
        assert entry["price"] > 0
    assert set(data["assumptions"]) == {"dev", "staging", "prod"}
    names = {frozenset(v) for v in data["assumptions"].values()}
    assert len(names) == 1, "every environment states the same assumptions"
    assert default_prices().hours_per_month == 730
