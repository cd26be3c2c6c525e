"""Pure logic of the network layer, without Pulumi: CIDR layout, architecture, tiers, user data, policies."""

from __future__ import annotations

import base64
import ipaddress
import itertools

import pytest

from shared.components.network import policies
from shared.components.network.nat_gateways import gateway_for_zone
from shared.components.network.layout import LayoutError, Tier, free_fraction, subnet_cidrs
from shared.components.network.security_groups import TIERS, PeerKind, Rule, SecurityTier, TierKey, tiers_for, validate_table
from shared.components.network.user_data import encode_user_data, render_nat_user_data
from shared.config.network import instance_architecture


@pytest.mark.parametrize("vpc", ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "172.16.0.0/18", "192.168.0.0/20"])
@pytest.mark.parametrize("zones", [1, 3, 4])
def test_subnets_are_inside_the_vpc_disjoint_and_leave_room(vpc, zones):
    layout = subnet_cidrs(vpc, zones)
    network = ipaddress.ip_network(vpc)
    cidrs = [ipaddress.ip_network(c) for tier in Tier for c in layout[tier]]
    assert all(len(layout[tier]) == zones for tier in Tier)
    assert all(c.subnet_of(network) for c in cidrs)
    for a, b in itertools.combinations(cidrs, 2):
        assert not a.overlaps(b), f"{a} overlaps {b}"
    assert all(c.prefixlen <= 28 for c in cidrs)
    assert free_fraction(vpc, zones) >= 0.5


def test_the_layout_of_a_16():
    assert subnet_cidrs("10.2.0.0/16", 3) == {
        Tier.PRIVATE: ["10.2.0.0/20", "10.2.16.0/20", "10.2.32.0/20"],
        Tier.PUBLIC: ["10.2.64.0/24", "10.2.65.0/24", "10.2.66.0/24"],
        Tier.DATABASE: ["10.2.80.0/24", "10.2.81.0/24", "10.2.82.0/24"],
    }


@pytest.mark.parametrize("vpc, zones, message", [("10.0.0.0/21", 3, "too small"), ("10.0.0.0/16", 5, "1-4 zones"), ("10.0.0.0/16", 0, "1-4 zones")])
def test_layouts_that_do_not_fit_are_refused(vpc, zones, message):
    with pytest.raises(LayoutError, match=message):
        subnet_cidrs(vpc, zones)


@pytest.mark.parametrize(
    "instance_type, arch",
    [("t4g.nano", "arm64"), ("c7gn.large", "arm64"), ("m6gd.xlarge", "arm64"), ("a1.medium", "arm64"), ("t3.nano", "x86_64"), ("g4dn.xlarge", "x86_64"), ("m5.large", "x86_64")],
)
def test_instance_architecture(instance_type, arch):
    assert instance_architecture(instance_type) == arch


def test_gateway_for_zone_prefers_the_zones_own_gateway():
    assert [gateway_for_zone(i, 3) for i in range(3)] == [0, 1, 2]
    assert [gateway_for_zone(i, 1) for i in range(3)] == [0, 0, 0]
    assert [gateway_for_zone(i, 2) for i in range(3)] == [0, 1, 0]


def test_the_tier_table_is_valid_and_admits_nothing_from_anywhere():
    validate_table(TIERS)
    for tier in TIERS:
        for rule in tier.rules:
            assert not (rule.direction == "ingress" and rule.peer is PeerKind.ANYWHERE), (tier.key, rule)
    database = next(t for t in TIERS if t.key is TierKey.DATABASE)
    assert [(r.direction, r.port, r.peer_tier) for r in database.rules] == [("ingress", 5432, TierKey.APP)]


def test_the_nat_tier_exists_only_with_a_nat_instance():
    assert TierKey.NAT in {t.key for t in tiers_for("instance")}
    assert TierKey.NAT not in {t.key for t in tiers_for("gateway")}


@pytest.mark.parametrize(
    "rule, message",
    [
        (Rule("ingress", 22, PeerKind.ANYWHERE, "ssh"), "ingress from anywhere"),
        (Rule("egress", 443, PeerKind.ANYWHERE, ""), "no description"),
        (Rule("egress", 5432, PeerKind.TIER, "db", TierKey.NAT), "not in the table"),
    ],
)
def test_bad_tables_are_refused(rule, message):
    with pytest.raises(ValueError, match=message):
        validate_table((SecurityTier(TierKey.APP, "app", (rule,)),))


def test_user_data_fills_every_placeholder_and_keeps_the_essentials():
    script = render_nat_user_data("eni-0123456789abcdef0", "eipalloc-0123456789abcdef0", "us-east-1")
    assert "%%" not in script
    assert "ENI_ID=eni-0123456789abcdef0" in script and "EIP_ALLOCATION_ID=eipalloc-0123456789abcdef0" in script
    for essential in (
        "net.ipv4.ip_forward=1",
        "-j MASQUERADE",
        "attach-network-interface",
        "--device-index 1",
        "associate-address",
        "X-aws-ec2-metadata-token",
        "systemctl enable --now nat-instance.service",
    ):
        assert essential in script, essential
    assert base64.b64decode(encode_user_data(script)).decode() == script


@pytest.mark.parametrize(
    "eni, alloc, region",
    [("eni-1; rm -rf /", "eipalloc-0123456789abcdef0", "us-east-1"), ("eni-0123456789abcdef0", "$(id)", "us-east-1"), ("eni-0123456789abcdef0", "eipalloc-0123456789abcdef0", "us east")],
)
def test_user_data_refuses_anything_but_ids(eni, alloc, region):
    with pytest.raises(ValueError, match="does not look like one"):
        render_nat_user_data(eni, alloc, region)


def test_nat_instance_policy_is_scoped_to_its_interface_address_and_profile():
    doc = policies.nat_instance_policy(
        "us-east-1", "123456789012", "eni-0abc00000000000a1", "eipalloc-0abc0000000000001", "arn:aws:iam::123456789012:instance-profile/p", "nat-x"
    )
    statements = {s["Sid"]: s for s in doc["Statement"]}
    assert statements["AttachThePersistentInterface"]["Resource"] == "arn:aws:ec2:us-east-1:123456789012:network-interface/eni-0abc00000000000a1"
    assert statements["MoveTheElasticIp"]["Resource"] == "arn:aws:ec2:us-east-1:123456789012:elastic-ip/eipalloc-0abc0000000000001"
    assert statements["OnlyOnInstancesWithThisProfile"]["Condition"] == {
        "ArnEquals": {"ec2:InstanceProfile": "arn:aws:iam::123456789012:instance-profile/p"}
    }
    assert statements["OwnPrimaryInterfaceOnly"]["Condition"]["StringEquals"] == {f"aws:ResourceTag/{policies.NAT_INTERFACE_TAG}": "nat-x"}
    for statement in doc["Statement"]:
        assert statement["Resource"] != "*" and "*" not in statement["Action"], statement
        # every wildcard resource carries a condition
        if str(statement["Resource"]).endswith("/*"):
            assert statement.get("Condition"), statement


def test_flow_log_trust_is_limited_to_this_account():
    doc = policies.flow_logs_trust_policy("us-east-1", "123456789012")
    statement = doc["Statement"][0]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_flow_log_delivery_writes_only_its_group():
    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/x"
    doc = policies.flow_logs_delivery_policy(arn + ":*")
    write = doc["Statement"][0]
    assert write["Resource"] == [arn, arn + ":*"]
    wildcard = [s for s in doc["Statement"] if s["Resource"] == "*"]
    assert [s["Action"] for s in wildcard] == ["logs:DescribeLogGroups"]


def test_the_replacement_takes_the_address_only_after_the_interface():
    """Launch before terminate: the old instance keeps the allowlisted Elastic IP while it still
    forwards; the new one moves it only once it holds the persistent interface (the old is gone)."""
    script = render_nat_user_data("eni-0123456789abcdef0", "eipalloc-0123456789abcdef0", "us-east-1")
    attach = script.index("aws ec2 attach-network-interface")
    associate = script.index("aws ec2 associate-address")
    masquerade = script.index("iptables -t nat -A POSTROUTING")
    assert attach < associate < masquerade

