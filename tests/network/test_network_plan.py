"""The network layer's real program, planned offline for dev, staging and prod."""

from __future__ import annotations

import ipaddress
import itertools
import json

import pytest

from shared.contracts import NETWORK
from platform_tools.plan.engine import LayerPlan, PlannedResource
from shared.tagging import REQUIRED_TAGS

EXPECTED = {
    "dev": {"cidr": "10.2.0.0/16", "nat_mode": "instance", "gateways": 0},
    "staging": {"cidr": "10.1.0.0/16", "nat_mode": "gateway", "gateways": 3},
    "prod": {"cidr": "10.0.0.0/16", "nat_mode": "gateway", "gateways": 3},
}
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ENI = "aws:ec2/networkInterface:NetworkInterface"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ASG = "aws:autoscaling/group:Group"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"


@pytest.fixture
def net(env_plan) -> LayerPlan:
    return env_plan.layer("network")


def expected(net: LayerPlan) -> dict:
    return EXPECTED[net.stack]


def by_id(net: LayerPlan, type_: str) -> dict[str, PlannedResource]:
    return {r.id: r for r in net.of_type(type_)}


def subnets_of(net: LayerPlan, tier: str) -> list[PlannedResource]:
    return sorted((s for s in net.of_type(SUBNET) if s.inputs["tags"]["Tier"] == tier), key=lambda s: s.inputs["availabilityZone"])


def default_routes(net: LayerPlan) -> dict[str, PlannedResource]:
    return {r.inputs["routeTableId"]: r for r in net.of_type(ROUTE) if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"}


def table_of(net: LayerPlan, subnet: PlannedResource) -> str:
    (assoc,) = [a for a in net.of_type(RTA) if a.inputs["subnetId"] == subnet.id]
    return assoc.inputs["routeTableId"]


def group_id(net: LayerPlan, tier: str) -> str:
    (group,) = [g for g in net.of_type(SG) if g.inputs["tags"]["Tier"] == tier]
    return group.id


def test_vpc_cidr_zones_and_dns(net):
    vpc = net.one(VPC)
    assert vpc.inputs["cidrBlock"] == expected(net)["cidr"], vpc.urn
    assert vpc.inputs["enableDnsSupport"] and vpc.inputs["enableDnsHostnames"], vpc.urn
    assert net.outputs["availabilityZones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]


def test_three_subnets_per_tier_inside_the_vpc_without_overlap(net):
    vpc = ipaddress.ip_network(expected(net)["cidr"])
    subnets = net.of_type(SUBNET)
    assert len(subnets) == 9
    for tier in ("public", "private", "database"):
        assert [s.inputs["availabilityZone"] for s in subnets_of(net, tier)] == ["us-east-1a", "us-east-1b", "us-east-1c"], tier
    cidrs = {s.urn: ipaddress.ip_network(s.inputs["cidrBlock"]) for s in subnets}
    for urn, cidr in cidrs.items():
        assert cidr.subnet_of(vpc), urn
    for (a, ca), (b, cb) in itertools.combinations(cidrs.items(), 2):
        assert not ca.overlaps(cb), f"{a} overlaps {b}"
    for s in subnets:
        assert s.inputs.get("mapPublicIpOnLaunch") is False, s.urn


def test_public_subnets_route_to_the_internet_gateway(net):
    igw = net.one("aws:ec2/internetGateway:InternetGateway")
    routes = default_routes(net)
    for subnet in subnets_of(net, "public"):
        route = routes[table_of(net, subnet)]
        assert route.inputs.get("gatewayId") == igw.id, route.urn


def test_each_private_default_route_matches_nat_mode_and_zone(net):
    routes = default_routes(net)
    publics = {s.id: s.inputs["availabilityZone"] for s in subnets_of(net, "public")}
    gateways = by_id(net, NAT_GATEWAY)
    enis = net.of_type(ENI)
    for subnet in subnets_of(net, "private"):
        route = routes[table_of(net, subnet)]
        if expected(net)["nat_mode"] == "gateway":
            gateway = gateways[route.inputs["natGatewayId"]]
            assert publics[gateway.inputs["subnetId"]] == subnet.inputs["availabilityZone"], route.urn
            assert "networkInterfaceId" not in route.inputs, route.urn
        else:
            (eni,) = enis
            assert route.inputs.get("networkInterfaceId") == eni.id, route.urn
            assert "natGatewayId" not in route.inputs, route.urn


def test_database_subnets_have_no_route_out(net):
    tables = {table_of(net, s) for s in subnets_of(net, "database")}
    private_tables = {table_of(net, s) for s in subnets_of(net, "private")}
    assert tables.isdisjoint(private_tables)
    for route in net.of_type(ROUTE):
        assert route.inputs["routeTableId"] not in tables, f"{route.urn} routes a database subnet"
    for endpoint in net.of_type("aws:ec2/vpcEndpoint:VpcEndpoint"):
        assert tables.isdisjoint(endpoint.inputs["routeTableIds"]), endpoint.urn


def test_gateway_endpoints_for_s3_and_dynamodb_on_every_private_table(net):
    private_tables = sorted(table_of(net, s) for s in subnets_of(net, "private"))
    endpoints = {e.inputs["serviceName"]: e for e in net.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert set(endpoints) == {"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb"}
    for endpoint in endpoints.values():
        assert endpoint.inputs["vpcEndpointType"] == "Gateway", endpoint.urn
        assert sorted(endpoint.inputs["routeTableIds"]) == private_tables, endpoint.urn


def test_nat_gateways_only_where_configured_and_nat_instance_only_in_dev(net):
    want = expected(net)
    assert len(net.of_type(NAT_GATEWAY)) == want["gateways"]
    instance_parts = net.of_type(LAUNCH_TEMPLATE) + net.of_type(ASG) + net.of_type(ENI) + net.of_type("aws:ec2/instance:Instance")
    if want["nat_mode"] == "instance":
        assert len(net.of_type(LAUNCH_TEMPLATE)) == len(net.of_type(ASG)) == len(net.of_type(ENI)) == 1
    else:
        assert instance_parts == [], [r.urn for r in instance_parts]
    for eip in net.of_type("aws:ec2/eip:Eip"):
        assert eip.inputs["domain"] == "vpc", eip.urn
    assert len(net.of_type("aws:ec2/eip:Eip")) == max(want["gateways"], 1)


def test_the_nat_instance_is_hardened(net):
    if expected(net)["nat_mode"] != "instance":
        assert net.of_type(LAUNCH_TEMPLATE) == []
        return
    eni = net.one(ENI)
    assert eni.inputs["sourceDestCheck"] is False, eni.urn
    assert eni.inputs["securityGroups"] == [group_id(net, "nat")], eni.urn
    template = net.one(LAUNCH_TEMPLATE)
    meta = template.inputs["metadataOptions"]
    assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == 1, template.urn
    assert "keyName" not in template.inputs, template.urn
    assert template.inputs["instanceType"] == "t4g.nano", template.urn
    (root,) = template.inputs["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] == "true", template.urn
    # The image is the configured SSM parameter, resolved by EC2 at launch: no lookup, no drift.
    assert template.inputs["imageId"] == "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", template.urn
    assert not [token for token, _ in net.calls if token == "aws:ec2/getAmi:getAmi"], "the AMI is not looked up at deploy time"
    group = net.one(ASG)
    # One instance; room for a second only while a replacement launches before the old one goes.
    assert (group.inputs["minSize"], group.inputs["maxSize"], group.inputs["desiredCapacity"]) == (1, 2, 1), group.urn
    assert group.inputs["launchTemplate"]["id"] == template.id, group.urn
    # A pinned version (not "$Latest"), so a new template version starts an instance refresh ...
    assert group.inputs["launchTemplate"]["version"] == str(template.outputs["latestVersion"]), group.urn
    # ... that keeps the old instance in service until the new one is (launch before terminate).
    prefs = group.inputs["instanceRefresh"]["preferences"]
    assert (prefs["minHealthyPercentage"], prefs["maxHealthyPercentage"]) == (100, 200), group.urn
    assert int(prefs["instanceWarmup"]) >= 60 and "autoRollback" not in prefs, group.urn
    # The observability layer alarms on GroupInServiceInstances: it must be collected.
    assert "GroupInServiceInstances" in group.inputs["enabledMetrics"], group.urn
    # The instance may use only its own interface and address.
    role_policy = next(p for p in net.of_type("aws:iam/rolePolicy:RolePolicy") if "nat" in p.name)
    doc = json.loads(role_policy.inputs["policy"])
    eip = net.one("aws:ec2/eip:Eip")
    resources = [s["Resource"] for s in doc["Statement"]]
    assert f"arn:aws:ec2:us-east-1:123456789012:network-interface/{eni.id}" in resources, role_policy.urn
    assert f"arn:aws:ec2:us-east-1:123456789012:elastic-ip/{eip.id}" in resources, role_policy.urn
    attachments = net.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert [a.inputs["policyArn"] for a in attachments] == ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]


def test_security_group_rules(net):
    groups = by_id(net, SG)
    for group in groups.values():
        assert "ingress" not in group.inputs and "egress" not in group.inputs, f"{group.urn} mixes inline rules"
        assert group.inputs["description"], group.urn
    rules = net.of_type(INGRESS) + net.of_type(EGRESS)
    for rule in rules:
        assert rule.inputs.get("description"), rule.urn
        assert rule.inputs["securityGroupId"] in groups, rule.urn
    for rule in net.of_type(INGRESS):
        assert rule.inputs.get("cidrIpv4") not in ("0.0.0.0/0",) and "cidrIpv6" not in rule.inputs, rule.urn
        if rule.inputs.get("cidrIpv4"):
            assert rule.inputs["cidrIpv4"] == expected(net)["cidr"], rule.urn
    database = group_id(net, "database")
    (db_rule,) = [r for r in net.of_type(INGRESS) if r.inputs["securityGroupId"] == database]
    assert (db_rule.inputs["fromPort"], db_rule.inputs["toPort"], db_rule.inputs["ipProtocol"]) == (5432, 5432, "tcp"), db_rule.urn
    assert db_rule.inputs["referencedSecurityGroupId"] == group_id(net, "app"), db_rule.urn
    for rule in net.of_type(INGRESS):
        if 5432 in (rule.inputs.get("fromPort"), rule.inputs.get("toPort")):
            assert rule.inputs["securityGroupId"] == database, rule.urn
    default = net.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default.inputs.get("ingress") and not default.inputs.get("egress"), default.urn


def test_flow_logs_to_an_encrypted_group_with_configured_retention(net):
    retention = {"dev": 14, "staging": 90, "prod": 365}[net.stack]
    group = net.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == retention, group.urn
    assert group.inputs["kmsKeyId"] == net.one("aws:kms/key:Key").outputs.get("arn", group.inputs["kmsKeyId"]), group.urn
    flow = net.one("aws:ec2/flowLog:FlowLog")
    assert flow.inputs["vpcId"] == net.one(VPC).id, flow.urn
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs" and flow.inputs["trafficType"] == "ALL", flow.urn
    assert flow.inputs["logDestination"].endswith(f":log-group:{group.inputs['name']}"), flow.urn
    role = next(r for r in net.of_type("aws:iam/role:Role") if "flow-logs" in r.name)
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}, role.urn
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}, role.urn


def test_names_tags_and_nothing_protected(net):
    prefix = f"acme-payments-{net.stack}-"
    for resource in net.resources:
        assert not resource.protect and not resource.retain_on_delete, resource.urn
        if resource.tags is None:
            continue
        for key in REQUIRED_TAGS:
            assert resource.tags.get(key), f"{resource.urn} lacks {key}"
        assert resource.tags["Environment"] == net.stack, resource.urn
        assert prefix in resource.tags.get("Name", ""), resource.urn
    for group in net.of_type(SG):
        assert group.inputs["name"].startswith(prefix), group.urn


def test_exports_follow_the_contract(net):
    outputs = net.outputs
    assert set(outputs) == set(NETWORK.exports)
    assert outputs["vpcCidr"] == expected(net)["cidr"] and outputs["natMode"] == expected(net)["nat_mode"]
    assert outputs["vpcId"] == net.one(VPC).id
    for key, tier in (("publicSubnetIds", "public"), ("privateSubnetIds", "private"), ("databaseSubnetIds", "database")):
        assert outputs[key] == [s.id for s in subnets_of(net, tier)], key
    assert outputs["appSecurityGroupId"] == group_id(net, "app")
    assert outputs["databaseSecurityGroupId"] == group_id(net, "database")
    zone_of = {s.id: s.inputs["availabilityZone"] for s in subnets_of(net, "public")}
    gateways = sorted(net.of_type(NAT_GATEWAY), key=lambda g: zone_of[g.inputs["subnetId"]])
    assert outputs["natGatewayIds"] == [g.id for g in gateways], "NAT gateway ids in zone order"
    assert outputs["natInstanceGroupNames"] == [g.inputs["name"] for g in net.of_type(ASG)]
    assert len(outputs["egressPublicIps"]) == max(expected(net)["gateways"], 1)
    if expected(net)["nat_mode"] == "instance":
        assert outputs["natSecurityGroupId"] == group_id(net, "nat")
    else:
        assert outputs["natSecurityGroupId"] == ""
