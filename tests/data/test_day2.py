"""Day 2: what AWS changes on its own (a new Amazon Linux AMI, a new Aurora minor) changes nothing in
the stacks, and destroying an environment twice never collides on a fixed snapshot name."""

from __future__ import annotations

import pytest

from platform_tools.plan import aws_data_sources, aws_mocks
from platform_tools.plan.engine import plan_environment

NAT_TYPES = ("aws:ec2/launchTemplate:LaunchTemplate", "aws:autoscaling/group:Group")
AURORA_TYPES = ("aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance")


def inputs_of(plan, project: str, types: tuple[str, ...]) -> dict[str, dict]:
    layer = plan.layer(project)
    return {r.urn: r.inputs for r in layer.resources if r.type in types}


@pytest.fixture
def aws_moved_on(monkeypatch):
    """AWS after the first deploy: every public AL2023 parameter names a newer AMI, and RDS offers
    newer Aurora PostgreSQL minors (17.10, 17.11) next to the pinned one."""
    monkeypatch.setattr(aws_mocks, "PUBLIC_IMAGE_PARAMETERS", {k: f"ami-0{'f' * 15}{i}" for i, k in enumerate(aws_mocks.PUBLIC_IMAGE_PARAMETERS)})
    newer = aws_data_sources.aurora_postgresql_options([*aws_data_sources.AURORA_POSTGRESQL_VERSIONS, "17.10", "17.11"])
    monkeypatch.setattr(aws_data_sources.RDS, "options", newer)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_new_ami_and_a_new_engine_minor_change_nothing(plans, stack, aws_moved_on):
    before = plans[stack]
    after = plan_environment(stack)
    nat_before, nat_after = inputs_of(before, "network", NAT_TYPES), inputs_of(after, "network", NAT_TYPES)
    assert nat_before == nat_after
    assert len(nat_before) == (2 if stack == "dev" else 0), "dev has the NAT instance's template and group"
    aurora_before, aurora_after = inputs_of(before, "data", AURORA_TYPES), inputs_of(after, "data", AURORA_TYPES)
    assert aurora_before and aurora_before == aurora_after
    for urn, inputs in aurora_after.items():
        if "engineVersion" in inputs and isinstance(inputs["engineVersion"], str):
            assert inputs["engineVersion"] == "17.9", urn  # the pinned minor, not the newest RDS offers


def test_a_second_creation_draws_a_new_final_snapshot_name(plans, monkeypatch):
    """destroy -> deploy -> destroy: the second cluster's final snapshot must not reuse the first's name."""
    first = plans["prod"].layer("data").one("aws:rds/cluster:Cluster").inputs
    monkeypatch.setattr(aws_mocks, "RANDOM_SALT", "after-a-destroy")  # a new RandomId draws new bytes
    second = plan_environment("prod", ["network", "data"]).layer("data").one("aws:rds/cluster:Cluster").inputs
    assert first["finalSnapshotIdentifier"] != second["finalSnapshotIdentifier"]
    assert first["finalSnapshotIdentifier"].startswith(first["clusterIdentifier"] + "-final-")
    # Nothing else about the cluster depends on the draw.
    assert {k: v for k, v in first.items() if k != "finalSnapshotIdentifier"} == {k: v for k, v in second.items() if k != "finalSnapshotIdentifier"}


def test_no_environment_names_a_final_snapshot_it_could_collide_with(plans):
    for stack, plan in plans.items():
        cluster = plan.layer("data").one("aws:rds/cluster:Cluster").inputs
        if cluster["skipFinalSnapshot"]:
            assert "finalSnapshotIdentifier" not in cluster, stack
        else:
            suffix = plan.layer("data").one("random:index/randomId:RandomId")
            assert cluster["finalSnapshotIdentifier"].endswith("-" + suffix.outputs["hex"]), stack
