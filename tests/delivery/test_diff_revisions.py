"""`invoke diff` on two real revisions of a scratch copy of the repository (git, subprocess plans)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from invoke import Context, Exit

import tasks
from platform_tools.diff.cli import compute_diff
from platform_tools.diff.revision import DiffError
from shared.paths import REPO_ROOT

GIT = ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]


def _git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """This repository's files (tracked and new, as they are on disk), committed, then one stack value changed."""
    repo = tmp_path_factory.mktemp("scratch")
    tracked = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"], check=True, capture_output=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    _git(repo, "init", "--quiet", "--initial-branch=main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "base")
    stack_file = repo / "projects/compute/Pulumi.staging.yaml"
    text = stack_file.read_text()
    assert "compute:lambdaMemoryMb: 1024" in text
    stack_file.write_text(text.replace("compute:lambdaMemoryMb: 1024", "compute:lambdaMemoryMb: 2048"))
    _git(repo, "commit", "--quiet", "-am", "staging functions get 2 GiB")
    return repo


@pytest.fixture(scope="module")
def memory_change(scratch):
    """The working tree against the commit before the memory change (two plans, in subprocesses)."""
    return compute_diff("staging", "HEAD~1", scratch)


@pytest.fixture(scope="module")
def no_change(scratch):
    """The working tree against its own commit."""
    return compute_diff("staging", "HEAD", scratch)


@pytest.mark.heavy(cpu_seconds=5)
def test_one_stack_value_shows_exactly_that_input_on_exactly_the_affected_resources(scratch, memory_change):
    result = memory_change
    (staging,) = result.environments
    assert staging.environment == "staging"
    changed = [(layer.project, r) for layer in staging.layers for r in layer.resources]
    assert changed, "the memory change must show"
    assert {(project, r.type, r.kind) for project, r in changed} == {("compute", "aws:lambda/function:Function", "changed")}
    assert len(changed) == 2  # process-payment and get-payment
    for _, r in changed:
        assert [(c.key, c.old, c.new) for c in r.inputs] == [("memorySize", 1024, 2048)], r.urn
    assert staging.affected == ("compute",)
    assert staging.deploy == ("compute", "observability")
    assert not Path(result.base_commit).exists() and len(result.base_commit) == 40
    assert "payments-diff-" not in _git(scratch, "worktree", "list")  # the temporary worktree is gone


@pytest.mark.heavy(cpu_seconds=5)
def test_an_unchanged_tree_shows_nothing(no_change):
    result = no_change
    assert not result.changed
    assert all(not layer.resources for layer in result.environments[0].layers)


def test_an_unknown_revision_is_a_readable_error():
    with pytest.raises(DiffError, match="'no-such-branch' is not a commit"):
        compute_diff("staging", "no-such-branch", REPO_ROOT)  # refused before anything is planned


@pytest.mark.heavy(cpu_seconds=10)  # both diffs, when it runs first
def test_the_task_exits_non_zero_only_when_asked_to_gate_on_changes(tmp_path, monkeypatch, memory_change, no_change):
    # The task around the diffs computed above (the scratch repository, one with a change and one
    # without); any other base goes to the real computation, in this repository.
    import json

    import platform_tools.diff.cli as diff_cli

    computed = {"HEAD~1": memory_change, "HEAD": no_change}
    real = diff_cli.compute_diff
    monkeypatch.setattr(diff_cli, "compute_diff", lambda env, base, *rest: computed[base] if base in computed else real(env, base, *rest))
    target = tmp_path / "diff.json"
    with pytest.raises(Exit) as gated:
        tasks.diff.body(Context(), env="staging", base="HEAD~1", json=str(target), summary=None, fail_on_change=True)
    assert gated.value.code == 2 and gated.value.message == "changes found (--fail-on-change)"
    document = json.loads(target.read_text())
    assert document["changed"] is True and [e["environment"] for e in document["environments"]] == ["staging"]
    tasks.diff.body(Context(), env="staging", base="HEAD~1", json=str(target), summary=None, fail_on_change=False)
    tasks.diff.body(Context(), env="staging", base="HEAD", json=str(target), summary=None, fail_on_change=True)
    assert json.loads(target.read_text())["changed"] is False
    with pytest.raises(Exit) as caught:
        tasks.diff.body(Context(), env="dev", base="no-such-ref", json=None, summary=None, fail_on_change=False)
    assert caught.value.code == 1 and str(caught.value.message).startswith("diff failed: --base 'no-such-ref'")
