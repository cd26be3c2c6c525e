"""The printed plan and cost tables at 80 and 120 columns: every key setting visible, names whole,
numbers in fixed notation, data printed verbatim (no rich markup or emoji codes in data)."""

from __future__ import annotations

import io
import re

import pytest

from platform_tools.cost.estimate import CostLine, lines_table, print_estimates, summary_table
from platform_tools.plan.engine import EnvironmentPlan, LayerPlan, PlannedResource
from platform_tools.plan.report import print_plan, short_type
from platform_tools.text import fixed, make_console

WIDTHS = (80, 120)
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-AbCdEf"


def render(width: int, draw) -> str:
    buffer = io.StringIO()
    console = make_console(buffer, width=width)
    draw(console)
    return buffer.getvalue()


def column(text: str, index: int) -> str:
    """The text of one table column, its folded pieces joined (a cell that wraps continues on the next line)."""
    pieces = []
    for row in text.splitlines():
        cells = row.split("│")
        if len(cells) > index + 1:
            pieces.append(cells[index + 1].strip())
    return "".join(pieces)


def assert_fits(text: str, width: int) -> None:
    too_wide = [row for row in text.splitlines() if len(row) > width]
    assert not too_wide, too_wide[:3]


@pytest.mark.parametrize("width", WIDTHS)
def test_each_layers_key_settings_and_full_names_appear(plans, width):
    for env, plan in plans.items():
        text = render(width, lambda console: print_plan(console, [plan]))
        assert_fits(text, width)
        names, settings = column(text, 0), column(text, 1)
        data = plan.layer("data")
        cluster = data.one("aws:rds/cluster:Cluster")
        assert f"backupRetentionPeriod={cluster.inputs['backupRetentionPeriod']}" in settings, env
        for instance in data.of_type("aws:rds/clusterInstance:ClusterInstance"):
            assert f"instanceClass={instance.inputs['instanceClass']}" in settings, env
        for table in data.of_type("aws:dynamodb/table:Table"):
            assert f"billingMode={table.inputs['billingMode']}" in settings, env
        for function in plan.layer("compute").of_type("aws:lambda/function:Function"):
            assert f"memorySize={function.inputs['memorySize']}" in settings, env
        for layer in plan.layers:
            for resource in layer.resources:
                assert resource.name in names, f"{env}: {resource.urn} name cut"
                assert short_type(resource.type) in names, resource.type


def test_short_type_names():
    assert short_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") == (
        "s3/BucketServerSideEncryptionConfiguration"
    )
    assert short_type("payments:network:Vpc") == "network:Vpc"
    assert short_type("pulumi:providers:aws") == "provider:aws"


def _odd_plan() -> EnvironmentPlan:
    resource = PlannedResource(
        urn="urn:pulumi:dev::data::aws:ssm/parameter:Parameter::odd", type="aws:ssm/parameter:Parameter",
        name="odd", id="odd", parent=None, custom=True, protect=False, retain_on_delete=False, provider=None,
        inputs={"name": "[bold]not bold[/bold]", "value": ":secret: :smile:"}, outputs={}, tags=None,
    )  # fmt: skip
    outputs = {"masterSecretArn": SECRET_ARN, "label": "[red]x[/red] [link=y]z[/link]", "names": ["a:thumbs_up:b"]}
    layer = LayerPlan("data", "dev", [resource], outputs, {}, notes=["[yellow]kept[/yellow] :warning:"])
    return EnvironmentPlan("dev", [layer])


@pytest.mark.parametrize("width", WIDTHS)
def test_data_prints_verbatim(width):
    text = render(width, lambda console: print_plan(console, [_odd_plan()]))
    values = column(text, 1)
    for expected in (SECRET_ARN, "[red]x[/red] [link=y]z[/link]", "a:thumbs_up:b", "[bold]not bold[/bold]", ":secret: :smile:"):
        assert expected in values, expected
    assert "[yellow]kept[/yellow] :warning:" in text


def _cost_lines() -> list[CostLine]:
    long_name = "acme-payments-dev-alarms-dynamodb-system-errors-idempotency"
    return [
        CostLine("observability", "urn:a", long_name, "CloudWatch alarm", 1, "alarm-month", 0.1),
        CostLine("compute", "urn:b", "acme-payments-prod-process-payment-function", "Lambda compute 3,008 MB",
                 5_875_000, "GB-second", 0.0000133334, "lambdaInvocationsPerFunction=10,000,000"),  # fmt: skip
        CostLine("data", "urn:c", "[not-markup]", "S3 :secret: storage", 7_500, "GB-month", 0.023, "s3StoredGb=7,500 GB"),
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_cost_tables_keep_names_whole_and_numbers_fixed(width):
    lines = _cost_lines()
    text = render(width, lambda console: print_estimates(console, {"dev": lines}))
    assert_fits(text, width)
    assert not re.search(r"\d[eE][+-]\d", text), "scientific notation"
    first = column(text, 0)
    for line in lines:
        assert line.resource in first and line.item in first and (line.assumption or "") in first
    quantities = column(text, 1)
    assert "5,875,000 GB-second" in quantities and "× 0.0000133334" in quantities and "7,500 GB-month" in quantities
    assert "78.33" in text and "172.50" in text


def test_fixed_notation():
    assert [fixed(v) for v in (5_875_000, 7500.0, 0.0000133334, 0.5, 730, 0, 1234.5)] == [
        "5,875,000", "7,500", "0.0000133334", "0.5", "730", "0", "1,234.5"
    ]  # fmt: skip


def test_cost_tables_render_from_lines_and_summary():
    # The two public table builders work on their own (tasks and tests call them directly).
    assert lines_table("dev", _cost_lines(), 80).row_count == 6  # three layer rows, three lines
    assert summary_table({"dev": _cost_lines()}).row_count == 6  # three layers, fixed, usage, total
