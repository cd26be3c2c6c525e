"""The dashboard JSON, as a pure function (no Pulumi)."""

from __future__ import annotations

import json

from shared.components.observability.dashboard_body import GRID_WIDTH, dashboard_body
from shared.components.observability.watched import WatchedResources

P = "acme-payments-qa"
BASE = dict(
    instance_identifiers=(f"{P}-aurora-1", f"{P}-aurora-2"),
    function_names={"process-payment": f"{P}-process-payment", "get-payment": f"{P}-get-payment"},
    function_timeouts={"process-payment": 15, "get-payment": 15},
    dead_letter_queue_name=f"{P}-payments-dlq",
    table_names=(f"{P}-transactions",),
    cluster_identifier=f"{P}-aurora",
)


def metric_lines(body: dict) -> list[list]:
    return [line for w in body["widgets"] if w["type"] == "metric" for line in w["properties"]["metrics"]]


def test_widgets_cover_the_payment_path_and_fit_the_grid_without_overlap():
    body = json.loads(dashboard_body(WatchedResources(**BASE, nat_gateway_ids=("nat-0aaaaaaaaaaaaaaaa",)), "us-east-1", "t"))
    cells = set()
    for widget in body["widgets"]:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= GRID_WIDTH, widget
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, f"widgets overlap at {(x, y)}"
                cells.add((x, y))
    metrics = {(line[0], line[1]) for line in metric_lines(body)}
    for expected in [
        ("AWS/Lambda", "Invocations"), ("AWS/Lambda", "Errors"), ("AWS/Lambda", "Duration"), ("AWS/Lambda", "Throttles"),
        ("AWS/DynamoDB", "ConsumedWriteCapacityUnits"), ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/RDS", "CPUUtilization"), ("AWS/RDS", "DatabaseConnections"), ("AWS/RDS", "FreeableMemory"),
        ("AWS/NATGateway", "ErrorPortAllocation"), ("AWS/NATGateway", "PacketsDropCount"),
    ]:  # fmt: skip
        assert expected in metrics
    assert ("AWS/AutoScaling", "GroupInServiceInstances") not in metrics
    cpu = [line for line in metric_lines(body) if line[1] == "CPUUtilization"]
    assert [line[3] for line in cpu] == [f"{P}-aurora-1", f"{P}-aurora-2"]
    duration = next(w for w in body["widgets"] if w["type"] == "metric" and w["properties"]["metrics"][0][1] == "Duration")
    assert duration["properties"]["stat"] == "p99"


def test_nat_instances_get_their_group_widget_instead_of_gateway_widgets():
    body = json.loads(dashboard_body(WatchedResources(**BASE, nat_instance_group_names=(f"{P}-nat-a",)), "us-east-1", "t"))
    lines = metric_lines(body)
    assert ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", f"{P}-nat-a", {"label": f"{P}-nat-a"}] in lines
    assert not [line for line in lines if line[0] == "AWS/NATGateway"]
    assert all(w["properties"]["metrics"] for w in body["widgets"] if w["type"] == "metric")
