"""End to end through a fake `pulumi` executable on PATH: real invoke Context, real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig

import pytest
from invoke import Context, Exit

import tasks
from conftest import PROJECTS, exports
from platform_tools.orchestration.errors import OrchestrationError
from shared.paths import REPO_ROOT

# The running interpreter's own scripts folder: wherever its venv is.
INVOKE = os.path.join(sysconfig.get_path("scripts"), "invoke")


def test_deploy_prod_yes_runs_every_layer_in_order_as_a_person_would(fake, monkeypatch):
    monkeypatch.setattr(tasks, "console", tasks.Console(file=open(os.devnull, "w")))
    monkeypatch.setattr("platform_tools.orchestration.runner.build_function_package", lambda console: fake.builds.append("task"))
    tasks.deploy.body(Context(), env="prod", yes=True)
    assert fake.builds == ["task"]
    policy = ["--policy-pack", "../../policy"] if (REPO_ROOT / "policy").is_dir() else []
    expected = [". $ pulumi version", ". $ pulumi whoami --verbose"]
    expected += [f"projects/{p} $ pulumi stack ls --json" for p in PROJECTS]
    for p in PROJECTS:
        expected += [
            f"projects/{p} $ pulumi stack init --stack prod",
            f"projects/{p} $ pulumi " + " ".join(["up", "--stack", "prod", "--yes", *policy]),
            f"projects/{p} $ pulumi stack output --json --stack prod",
        ]
    assert fake.calls() == expected
    assert all(fake.stacks()[p]["prod"]["outputs"] == exports(p) for p in PROJECTS)


def test_deploy_without_yes_previews_and_asks_before_each_layer(fake):
    fake.reset({"prod": PROJECTS})
    fake.run("deploy", "prod", answers=["y"] * 4)
    assert fake.mutating() == [
        call
        for p in PROJECTS
        for call in (
            f"projects/{p} $ pulumi preview --stack prod --diff",
            f"projects/{p} $ pulumi up --stack prod --yes",
        )
    ]


def test_declining_a_layer_stops_before_its_up(fake):
    fake.reset({"dev": PROJECTS})
    with pytest.raises(OrchestrationError, match="deploy stopped before data: not confirmed .*network"):
        fake.run("deploy", "dev", answers=["y", "n"])
    assert fake.mutating()[-1] == "projects/data $ pulumi preview --stack dev --diff"
    assert not any("projects/data $ pulumi up" in call for call in fake.calls())


def test_a_failing_layer_stops_the_run_names_layer_and_command_and_exits_non_zero(fake, monkeypatch):
    monkeypatch.setenv("FAKE_PULUMI_FAIL_LAYER", "data")
    monkeypatch.setattr(tasks, "console", tasks.Console(file=open(os.devnull, "w")))
    monkeypatch.setattr("platform_tools.orchestration.runner.build_function_package", lambda console: None)
    with pytest.raises(Exit) as caught:
        tasks.deploy.body(Context(), env="staging", yes=True)
    assert caught.value.code == 1
    message = str(caught.value.message)
    assert "layer data failed: `cd projects/data && pulumi up --stack staging --yes" in message
    assert "` exited with 255: error: data: update failed (told to fail)" in message
    assert "not touched after it: compute, observability" in message
    later = [call for call in fake.calls() if call.startswith(("projects/compute", "projects/observability"))]
    assert later == ["projects/compute $ pulumi stack ls --json", "projects/observability $ pulumi stack ls --json"]


def test_missing_upstream_refuses_before_running_anything(fake):
    fake.reset({"prod": ["network"]})
    with pytest.raises(OrchestrationError) as caught:
        fake.run("deploy", "prod", layer="compute", yes=True)
    message = str(caught.value)
    assert "nothing was run" in message
    assert "compute reads data/prod, which does not exist; deploy data first: invoke deploy --env prod --layer data" in message
    assert fake.mutating() == [] and fake.builds == []
    assert not any("stack init" in call for call in fake.calls())


def test_upstream_missing_a_required_key_is_named(fake):
    fake.reset({"dev": ["network", "data"]})
    state = json.loads(fake.state_file.read_text())
    del state["stacks"]["network"]["dev"]["outputs"]["databaseSubnetIds"]
    fake.state_file.write_text(json.dumps(state))
    with pytest.raises(OrchestrationError, match="data needs databaseSubnetIds from network/dev.*deploy network first"):
        fake.run("preview", "dev", layer="data")
    assert fake.mutating() == []


def test_preview_creates_no_stack_and_builds_nothing(fake):
    fake.reset({"dev": ["network"]})
    out = fake.run("preview", "dev")
    assert fake.mutating() == ["projects/network $ pulumi preview --stack dev --diff"]
    assert fake.builds == [] and not fake.package.exists()
    assert "data has no stack dev: not previewed" in out and "compute has no stack dev" in out


def test_preview_of_compute_without_the_package_says_to_build_it_with_every_other_problem(fake):
    fake.reset({"dev": ["network", "data", "compute"]})
    state = json.loads(fake.state_file.read_text())
    del state["stacks"]["network"]["dev"]["outputs"]["databaseSubnetIds"]
    fake.state_file.write_text(json.dumps(state))
    with pytest.raises(OrchestrationError) as caught:
        fake.run("preview", "dev")
    message = str(caught.value)
    assert "data needs databaseSubnetIds from network/dev" in message and "run `invoke build` first" in message
    assert fake.mutating() == [] and fake.builds == []


def test_deploy_builds_the_package_only_when_the_run_includes_compute(fake):
    fake.reset({"dev": PROJECTS})
    fake.run("deploy", "dev", layer="network", yes=True)
    assert fake.builds == []
    fake.run("deploy", "dev", layer="compute", yes=True)
    assert fake.builds == ["dev"]


def test_preview_runs_in_order_with_the_policy_pack_when_it_exists(fake):
    fake.reset({"dev": PROJECTS})
    fake.package.write_bytes(b"zip")
    orchestrator, _ = fake.orchestrator(Context(), "preview", "dev")
    orchestrator.policy_pack_dir = fake.tmp  # any existing directory
    orchestrator.run()
    policy = os.path.relpath(fake.tmp, REPO_ROOT / "projects" / "network")
    assert fake.mutating() == [f"projects/{p} $ pulumi preview --stack dev --diff --policy-pack {policy}" for p in PROJECTS]


def test_layer_limits_the_run_to_one_layer(fake):
    fake.reset({"dev": PROJECTS})
    fake.run("deploy", "dev", layer="compute", yes=True)
    assert fake.mutating() == ["projects/compute $ pulumi up --stack dev --yes"]


def test_destroy_goes_in_reverse_order_after_typing_the_environment_name(fake):
    fake.reset({"prod": PROJECTS})
    out = fake.run("destroy", "prod", answers=["prod"])
    reverse = list(reversed(PROJECTS))
    assert fake.mutating() == [f"projects/{p} $ pulumi destroy --stack prod --preview-only" for p in reverse] + [
        f"projects/{p} $ pulumi destroy --stack prod --yes" for p in reverse
    ]
    assert "Type the environment name (prod)" in out


def test_destroy_prod_with_a_wrong_name_destroys_nothing(fake):
    fake.reset({"prod": PROJECTS})
    with pytest.raises(OrchestrationError, match="you typed 'yes', not 'prod'; nothing was destroyed"):
        fake.run("destroy", "prod", answers=["yes"])
    assert not any("--yes" in call for call in fake.mutating())
    with pytest.raises(OrchestrationError, match="--confirm dev does not match --env prod"):
        fake.run("destroy", "prod", confirm="dev")


def test_destroy_refuses_a_layer_whose_downstream_still_exists(fake):
    fake.reset({"dev": PROJECTS})
    with pytest.raises(OrchestrationError, match="data/dev still has 7 resources that read network; destroy data first"):
        fake.run("destroy", "dev", layer="network", confirm="dev")
    assert fake.mutating() == []


def test_local_uses_the_in_repo_file_backend_and_needs_a_passphrase(fake, monkeypatch):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    with pytest.raises(OrchestrationError, match="export PULUMI_CONFIG_PASSPHRASE="):
        fake.run("deploy", "dev", local=True, yes=True)
    assert fake.mutating() == []  # only the read-only preflight checks ran (version, whoami)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test-only")
    fake.log_file.write_text("")
    fake.run("deploy", "dev", local=True, yes=True)
    assert fake.backends() == {f"file://{REPO_ROOT / '.pulumi-state'}"}


def test_preflight_reports_every_problem_at_once(fake, monkeypatch, tmp_path):
    for name in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(OrchestrationError) as caught:
        fake.run("deploy", "dev", local=True, yes=True)
    message = str(caught.value)
    assert message.startswith("2 problems, nothing was run:")
    assert "export PULUMI_CONFIG_PASSPHRASE=" in message and "https://www.pulumi.com/docs/iac/download-install/" in message


def test_missing_cli_and_missing_login_stop_with_how_to_fix(fake, monkeypatch, tmp_path):
    monkeypatch.setenv("FAKE_PULUMI_LOGGED_OUT", "1")
    with pytest.raises(OrchestrationError, match="Run `pulumi login`.*or add --local"):
        fake.run("preview", "dev")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(OrchestrationError, match="https://www.pulumi.com/docs/iac/download-install/"):
        fake.run("preview", "dev")


def test_redeploying_an_upstream_reports_stale_downstreams_and_updates_them_when_asked(fake):
    fake.run("deploy", "dev", yes=True)
    fake.after_up("network", "v2")
    out = fake.run("deploy", "dev", layer="network", yes=True)
    assert "stale: data/dev was deployed against older network outputs" in out
    assert "invoke deploy --env dev --layer observability" in out
    fake.reset({"dev": PROJECTS}, version="v1")
    fake.after_up("network", "v2")
    fake.run("deploy", "dev", yes=True)  # records fingerprints against the fixture outputs
    fake.after_up("network", "v3")
    fake.log_file.write_text("")
    orchestrator, out = fake.orchestrator(Context(), "deploy", "dev", answers=["y", "y", "y", "y", "y", "y", "y", "y"], layer="network")
    orchestrator.run()
    ups = [call for call in fake.mutating() if " up " in call]
    assert ups == [f"projects/{p} $ pulumi up --stack dev --yes" for p in PROJECTS]
    assert "Update data, compute, observability now?" in out.getvalue()


def test_outputs_json_prints_one_document_per_layer(fake):
    fake.reset({"prod": ["network", "data"]})
    result = subprocess.run(
        [INVOKE, "outputs", "--env", "prod", "--json"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document == {"network": exports("network"), "data": exports("data"), "compute": None, "observability": None}


def test_invoke_destroy_prod_reads_the_typed_name(fake):
    fake.reset({"prod": PROJECTS})
    refused = subprocess.run(
        [INVOKE, "destroy", "--env", "prod"], cwd=REPO_ROOT, input="no\n", capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 1 and "nothing was destroyed" in refused.stderr
    assert fake.stacks()["network"]["prod"]["resources"] == 7
    accepted = subprocess.run(
        [INVOKE, "destroy", "--env", "prod"], cwd=REPO_ROOT, input="prod\n", capture_output=True, text=True, timeout=60
    )
    assert accepted.returncode == 0, accepted.stderr
    assert all(fake.stacks()[p]["prod"]["resources"] == 0 for p in PROJECTS)
