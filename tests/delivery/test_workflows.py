"""The GitHub Actions workflows: linted offline (zizmor, the GitHub workflow schema) and their structure.

Structure: every job that gets AWS credentials does so by OIDC (`id-token: write`, a role from its
environment's variables, never access keys) inside a GitHub environment; every deploy job has a
per-environment concurrency group that never cancels a run in progress; prod deploys through the
`prod` environment; every action is pinned to a full commit SHA with its version in a comment;
every job states its own least `permissions:`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.paths import REPO_ROOT

WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
BIN = Path(sys.executable).parent
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+(\.\d+)*\s*$")
STANDARD_ENVIRONMENTS = ("dev", "staging", "prod")


def load(path: Path) -> dict:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def jobs(path: Path) -> dict[str, dict]:
    return load(path)["jobs"]


def uses(job: dict, action: str) -> list[dict]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(action + "@")]


def deploy_jobs() -> list[tuple[str, str, dict]]:
    """Jobs that change infrastructure: they run `invoke deploy` or `invoke env delete`."""
    found = []
    for path in WORKFLOWS:
        for name, job in jobs(path).items():
            scripts = " ".join(str(step.get("run", "")) for step in job.get("steps", []))
            if "invoke deploy" in scripts or "invoke env delete" in scripts:
                found.append((path.name, name, job))
    return found


def test_there_are_the_four_pipelines():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "drift.yml", "preview-environment.yml", "pull-request.yml"]


def test_zizmor_offline_reports_nothing():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--format", "json", "--no-progress", str(WORKFLOWS_DIR)],
        capture_output=True, text=True, check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], json.dumps(findings, indent=1)[:4000]
    assert result.returncode == 0, result.stderr


def test_zizmor_finds_what_it_should(tmp_path):
    """The linter is live: an unpinned action and a template injection are findings."""
    bad = tmp_path
    (bad / "bad.yml").write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n"
        "      - uses: actions/checkout@v5\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    result = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", "--no-progress", str(bad / "bad.yml")], capture_output=True, text=True)
    rules = {finding["ident"] for finding in json.loads(result.stdout)}
    assert {"unpinned-uses", "template-injection"} <= rules
    assert result.returncode != 0


def test_workflows_match_the_github_workflow_schema():
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version(path):
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        assert PINNED.match(line), f"{path.name}: {line.strip()}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_permissions_per_job(path):
    document = load(path)
    assert document["permissions"] == {}, "the workflow grants nothing by default"
    for name, job in document["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{name} states its permissions"
        assert set(permissions.values()) <= {"read", "write"} and "write-all" not in str(permissions)
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= {"id-token"}, f"{name} writes only its OIDC token: {writes}"
        if writes:
            assert uses(job, AWS_CREDENTIALS), f"{name} asks for an OIDC token it does not use"


def test_every_aws_job_uses_oidc_inside_an_environment_and_never_keys():
    aws_jobs = [(p, n, j) for p in WORKFLOWS for n, j in jobs(p).items() if uses(j, AWS_CREDENTIALS)]
    assert len(aws_jobs) >= 6
    for path, name, job in aws_jobs:
        label = f"{path.name}:{name}"
        assert job["permissions"].get("id-token") == "write", label
        assert job.get("environment"), f"{label} runs in a GitHub environment (its role, reviewers, secrets)"
        (step,) = uses(job, AWS_CREDENTIALS)
        inputs = step["with"]
        assert inputs["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}", f"{label}: the environment's role"
        assert not {"aws-access-key-id", "aws-secret-access-key", "aws-session-token"} & set(inputs), label
    text = "\n".join(p.read_text() for p in WORKFLOWS)
    assert "AWS_ACCESS_KEY_ID" not in text and "AWS_SECRET_ACCESS_KEY" not in text


def test_every_deploy_job_has_oidc_an_environment_and_a_concurrency_group_of_its_own():
    found = deploy_jobs()
    assert {(f, n) for f, n, _ in found} == {
        ("deploy.yml", "dev"), ("deploy.yml", "staging"), ("deploy.yml", "prod"),
        ("preview-environment.yml", "up"), ("preview-environment.yml", "down"),
    }
    groups = {}
    for path, name, job in found:
        label = f"{path}:{name}"
        assert job["permissions"]["id-token"] == "write" and uses(job, AWS_CREDENTIALS), label
        assert job["environment"], label
        concurrency = job["concurrency"]
        assert concurrency["cancel-in-progress"] is False, f"{label}: a running deploy is never cancelled"
        groups[label] = concurrency["group"]
    deploy = {name: job for file, name, job in found if file == "deploy.yml"}
    for env in STANDARD_ENVIRONMENTS:
        assert deploy[env]["environment"] == env
        assert groups[f"deploy.yml:{env}"] == f"deploy-{env}"
    # One group per environment: every deploy of prod queues behind every other deploy of prod.
    assert len({groups[f"deploy.yml:{e}"] for e in STANDARD_ENVIRONMENTS}) == 3
    assert groups["preview-environment.yml:up"] == groups["preview-environment.yml:down"]
    assert "github.event.pull_request.number" in groups["preview-environment.yml:up"]


def test_prod_requires_its_environment_and_comes_after_staging_after_dev():
    deploy = jobs(WORKFLOWS_DIR / "deploy.yml")
    assert deploy["prod"]["environment"] == "prod" and deploy["staging"]["environment"] == "staging"
    assert "staging" in deploy["prod"]["needs"] and "dev" in deploy["staging"]["needs"]
    for env in STANDARD_ENVIRONMENTS:
        script = next(s["run"] for s in deploy[env]["steps"] if "invoke deploy" in str(s.get("run")))
        assert f"--env {env} --layer" in script, "only the affected layers are deployed"
        assert "--skip-preview" not in script


def test_pull_request_jobs_with_aws_access_never_run_for_forks():
    for path in (WORKFLOWS_DIR / "pull-request.yml", WORKFLOWS_DIR / "preview-environment.yml"):
        for name, job in jobs(path).items():
            if uses(job, AWS_CREDENTIALS):
                assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"], f"{path.name}:{name}"


def test_drift_runs_on_a_schedule_per_environment_with_read_only_environments():
    drift = load(WORKFLOWS_DIR / "drift.yml")
    assert drift["on"]["schedule"]
    job = drift["jobs"]["drift"]
    assert job["strategy"]["matrix"]["env"] == list(STANDARD_ENVIRONMENTS)
    assert job["environment"] == "${{ matrix.env }}-read"
    assert job["concurrency"] == {"group": "drift-${{ matrix.env }}", "cancel-in-progress": False}
    assert any('invoke drift --env "$ENVIRONMENT"' in str(s.get("run")) for s in job["steps"])


def test_the_pull_request_pipeline_installs_as_the_readme_does_and_publishes_check_cost_and_diff():
    readme = (REPO_ROOT / "README.md").read_text()
    install = "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[dev]'"
    assert install in readme
    checks = jobs(WORKFLOWS_DIR / "pull-request.yml")["checks"]
    scripts = [str(s.get("run", "")) for s in checks["steps"]]
    assert install in scripts and ".venv/bin/python -m pytest" in scripts
    joined = "\n".join(scripts)
    for command in ("invoke check --env all", "invoke cost --env all", 'invoke diff --env all --base "origin/$BASE_REF"'):
        assert command in joined
    assert joined.count("GITHUB_STEP_SUMMARY") >= 3
    preview = jobs(WORKFLOWS_DIR / "pull-request.yml")["preview"]
    assert "vars.PULUMI_PREVIEWS == 'true'" in preview["if"], "cloud previews only when credentials are configured"
    assert "invoke preview --env dev --layer" in "\n".join(str(s.get("run", "")) for s in preview["steps"])
