"""The environment matrix is read from the rendered resources, and the shape check reports surprises."""

from __future__ import annotations

import copy

from rich.console import Console

from platform_tools.plan.matrix import print_matrix, settings_rows, shape


def rows(plans) -> dict[str, dict[str, str]]:
    return {r.setting: r.values for r in settings_rows(plans)}


def test_matrix_shows_the_seed_differences(plans):
    matrix = rows(plans)
    assert matrix["NAT mode × count"] == {"dev": "instance × 1", "staging": "gateway × 3", "prod": "gateway × 3"}
    assert matrix["Aurora instances"] == {"dev": "1 × db.t3.medium", "staging": "1 × db.r5.large", "prod": "2 × db.r5.xlarge"}
    assert matrix["Aurora backup retention"] == {"dev": "1 d", "staging": "7 d", "prod": "30 d"}
    assert {env: v.split(" MB")[0] for env, v in matrix["Lambda memory"].items()} == {"dev": "512", "staging": "1024", "prod": "3008"}
    assert "PAY_PER_REQUEST" in matrix["DynamoDB billing"]["dev"].split(";")[0]
    assert "PROVISIONED 5/5" in matrix["DynamoDB billing"]["staging"]
    assert "autoscaled R 5-100, W 5-100" in matrix["DynamoDB billing"]["prod"]
    pitr = matrix["DynamoDB point-in-time recovery"]
    assert [("transactions-table: on" in pitr[e]) for e in ("dev", "staging", "prod")] == [False, False, True]
    lifecycle = matrix["S3 lifecycle rules"]
    assert "GLACIER@90d" in lifecycle["prod"] and "GLACIER" not in lifecycle["dev"] + lifecycle["staging"]
    cpu = next(v for k, v in matrix.items() if k.startswith("alarm") and "rds-cpu" in k)
    assert cpu == {"dev": "no alarm", "staging": "> 90", "prod": "> 80 × 2"}


def test_matrix_reads_resources_not_config(plans):
    altered = {env: copy.deepcopy(plan) for env, plan in plans.items()}
    instance = next(r for r in altered["staging"].layer("data").resources if r.type == "aws:rds/clusterInstance:ClusterInstance")
    instance.inputs["instanceClass"] = "db.r5.xlarge"
    assert rows(altered)["Aurora instances"]["staging"] == "1 × db.r5.xlarge"


def test_the_real_graphs_have_the_same_shape(plans):
    assert shape(plans) == {}


def test_an_undeclared_difference_is_reported(plans):
    altered = {env: copy.deepcopy(plan) for env, plan in plans.items()}
    data = altered["prod"].layer("data")
    extra = copy.deepcopy(next(r for r in data.resources if r.type == "aws:s3/bucket:Bucket"))
    extra.name, extra.urn = extra.name + "-extra", extra.urn + "-extra"
    data.resources.append(extra)
    differences = shape(altered)
    assert list(differences.values()) == [{"dev": 0, "staging": 0, "prod": 1}], differences


def test_matrix_prints_after_the_plan(plans):
    console = Console(record=True, width=200)
    print_matrix(console, list(plans.values()))
    text = console.export_text()
    assert "environment matrix" in text and "shape: the resource graphs are the same" in text
