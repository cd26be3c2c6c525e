"""`invoke plan` itself: the JSON file it writes and the message it exits with on failure."""

from __future__ import annotations

import json

import pytest
from invoke import Context, Exit

import tasks


def test_plan_task_writes_one_document_for_one_environment(tmp_path, capsys):
    target = tmp_path / "plan.json"
    tasks.plan.body(Context(), env="staging", json=str(target), details=False)
    document = json.loads(target.read_text())
    assert document["environment"] == "staging"
    assert [layer["project"] for layer in document["layers"]] == ["network", "data", "compute", "observability"]
    printed = capsys.readouterr().out
    assert "resources per layer" in printed and f"wrote {target}" in printed


def test_plan_task_exits_non_zero_with_a_readable_message():
    with pytest.raises(Exit) as caught:
        tasks.plan.body(Context(), env="qa", json=None, details=False)
    assert caught.value.code == 1
    assert str(caught.value.message).startswith("plan failed: [network/qa]")
    assert "Pulumi.qa.yaml is missing" in str(caught.value.message)
