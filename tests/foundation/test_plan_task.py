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
    message = str(caught.value.message)
    assert message.startswith("plan failed: no environment 'qa': the environments are dev, staging, prod")
    assert "invoke env create --name NAME --from dev" in message and "\n" not in message


@pytest.mark.parametrize("task", [tasks.plan, tasks.check, tasks.cost, tasks.preview, tasks.deploy, tasks.destroy])
def test_every_environment_task_says_env_is_required(task):
    with pytest.raises(Exit) as caught:
        task.body(Context())
    assert caught.value.code == 1
    assert "--env is required" in str(caught.value.message) and "\n" not in str(caught.value.message)


def test_a_yaml_syntax_error_is_one_line_with_file_line_and_column(tmp_path, monkeypatch):
    from platform_tools.plan.engine import PlanError, run_layer
    from shared.paths import PROJECTS_DIR

    project = tmp_path / "network"
    project.mkdir()
    (project / "Pulumi.yaml").write_text((PROJECTS_DIR / "network" / "Pulumi.yaml").read_text())
    (project / "Pulumi.dev.yaml").write_text("config:\n  network:vpcCidr: 10.2.0.0/16\n  - broken: [\n")
    with pytest.raises(PlanError) as caught:
        run_layer("network", "dev", project_dir=project)
    message = str(caught.value)
    assert "Pulumi.dev.yaml, line 3, column 3: invalid YAML:" in message and "\n" not in message
    assert "expected" in message
