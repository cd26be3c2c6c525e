"""Switching the transaction log's billing mode updates the table in place: it is never replaced.

DynamoDB (and the provider, which marks them force-new) cannot change a table's name, hash or
range key, or local secondary indexes in place; a changed key schema of a global secondary index
recreates the index. The program keeps all of those, and the logical name (so the URN), independent
of the billing mode. Proof: the dev stack is planned as it is and again with each other billing
mode written into a copy of its stack file; everything replacement-relevant is identical.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from shared.paths import project_dir
from platform_tools.plan.engine import run_layer

TABLE = "aws:dynamodb/table:Table"
STACK = "dev"
# Inputs whose change replaces the table (or rebuilds its index), per the provider and DynamoDB.
FORCE_NEW = ("name", "hashKey", "rangeKey", "attributes", "localSecondaryIndexes")
MODES = {
    "provisioned": {"data:transactionLogReadCapacity": 5, "data:transactionLogWriteCapacity": 5},
    "autoscaled": {
        "data:transactionLogReadCapacity": 5,
        "data:transactionLogWriteCapacity": 5,
        "data:transactionLogMaxReadCapacity": 100,
        "data:transactionLogMaxWriteCapacity": 100,
    },
}


def replacement_relevant(table) -> dict:
    return {
        "urn": table.urn,
        **{key: table.inputs.get(key) for key in FORCE_NEW},
        "indexes": [
            (i["name"], i["keySchemas"], i["projectionType"], i.get("nonKeyAttributes")) for i in table.inputs.get("globalSecondaryIndexes", [])
        ],
        "replaceOnChanges": table.options["replaceOnChanges"],
        "deleteBeforeReplace": table.options["deleteBeforeReplace"],
    }


def transactions_table(plan):
    (table,) = [r for r in plan.of_type(TABLE) if r.name.endswith("-transactions-table")]
    return table


@pytest.fixture(scope="module")
def network_outputs(plans):
    return plans[STACK].layer("network").outputs


@pytest.mark.parametrize("mode", sorted(MODES))
def test_switching_billing_mode_does_not_replace_the_table(tmp_path, plans, network_outputs, mode):
    copy = tmp_path / "data"
    shutil.copytree(project_dir("data"), copy, ignore=shutil.ignore_patterns("__pycache__"))
    stack_file = copy / f"Pulumi.{STACK}.yaml"
    document = yaml.safe_load(stack_file.read_text())
    document["config"]["data:transactionLogBillingMode"] = mode
    document["config"].update(MODES[mode])
    stack_file.write_text(yaml.safe_dump(document))

    before = transactions_table(plans[STACK].layer("data"))
    after = transactions_table(run_layer("data", STACK, {"network": network_outputs}, project_dir=copy))

    assert after.inputs["billingMode"] == "PROVISIONED" and before.inputs["billingMode"] == "PAY_PER_REQUEST"
    assert replacement_relevant(after) == replacement_relevant(before), f"{before.urn} would be replaced switching to {mode}"
    assert not after.options["replaceOnChanges"], after.urn


def test_the_three_environments_render_the_same_table_apart_from_the_suffix(plans):
    shapes = {}
    for stack, plan in plans.items():
        shape = replacement_relevant(transactions_table(plan.layer("data")))
        shape["urn"] = shape["urn"].replace(f"urn:pulumi:{stack}::", "urn:pulumi:<stack>::").replace(f"-{stack}-", "-<suffix>-")
        shape["name"] = shape["name"].replace(f"-{stack}-", "-<suffix>-")
        shapes[stack] = shape
    assert shapes["dev"] == shapes["staging"] == shapes["prod"], shapes
