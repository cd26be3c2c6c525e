"""The command sequence of each task with invoke.MockContext (no processes): order, cwd, flags."""

from __future__ import annotations

import pytest

from conftest import PROJECTS
from platform_tools.orchestration.errors import OrchestrationError




def recorded(fake, c, verb: str) -> list[str]:
    return [call for call in fake.calls() if f"$ pulumi {verb} " in call]


@pytest.mark.parametrize(
    "action, verb, options, order",
    [
        ("preview", "preview", {}, PROJECTS),
        ("deploy", "up", {"yes": True}, PROJECTS),
        ("refresh", "refresh", {"yes": True}, PROJECTS),
        ("destroy", "destroy", {"confirm": "staging"}, tuple(reversed(PROJECTS))),
    ],
)
def test_each_task_runs_the_layers_in_contract_order(fake, action, verb, options, order):
    fake.reset({"staging": PROJECTS})
    fake.package.write_bytes(b"zip")  # compute's program reads the built package
    c = fake.mock_context()
    orchestrator, _ = fake.orchestrator(c, action, "staging", **options)
    orchestrator.run()
    calls = recorded(fake, c, verb)
    assert [call.split(" $ ")[0] for call in calls] == [f"projects/{p}" for p in order]
    assert all("--stack staging" in call for call in calls)
    for call in c.run.call_args_list:
        assert call.kwargs["warn"] is True  # failures are reported by the orchestrator, not as a traceback


def test_mutating_commands_never_skip_the_preview(fake):
    fake.reset({"dev": PROJECTS})
    c = fake.mock_context()
    orchestrator, _ = fake.orchestrator(c, "deploy", "dev", answers=["y"] * 4)
    orchestrator.run()
    commands = [call.args[0] for call in c.run.call_args_list]
    assert not any("--skip-preview" in command for command in commands)
    assert commands.count("pulumi preview --stack dev --diff") == 4


def test_a_failure_in_the_mock_context_stops_the_run(fake, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_FAIL_LAYER", "network")
    fake.reset({"dev": PROJECTS})
    c = fake.mock_context()
    orchestrator, _ = fake.orchestrator(c, "refresh", "dev", yes=True)
    with pytest.raises(OrchestrationError, match="layer network failed: `cd projects/network && pulumi refresh"):
        orchestrator.run()
    assert recorded(fake, c, "refresh") == ["projects/network $ pulumi refresh --stack dev --yes"]


def test_refresh_and_destroy_skip_layers_without_a_stack(fake):
    fake.reset({"dev": ["network"]})
    c = fake.mock_context()
    orchestrator, out = fake.orchestrator(c, "refresh", "dev", yes=True)
    orchestrator.run()
    assert recorded(fake, c, "refresh") == ["projects/network $ pulumi refresh --stack dev --yes"]
    assert "compute has no stack dev: nothing to refresh" in out.getvalue()
    assert not any("stack init" in call for call in fake.calls())


def test_every_pulumi_call_runs_in_its_project_folder(fake):
    fake.reset({"dev": PROJECTS})
    c = fake.mock_context()
    orchestrator, _ = fake.orchestrator(c, "outputs", "dev")
    orchestrator.run()
    folders = [call.split(" $ ")[0] for call in fake.calls() if "stack output" in call]
    assert folders == [f"projects/{p}" for p in PROJECTS]
