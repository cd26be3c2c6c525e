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


def test_one_stack_value_shows_exactly_that_input_on_exactly_the_affected_resources(scratch):
    result = compute_diff("staging", "HEAD~1", scratch)
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


def test_an_unchanged_tree_shows_nothing(scratch):
    result = compute_diff("staging", "HEAD", scratch)
    assert not result.changed
    assert all(not layer.resources for layer in result.environments[0].layers)


def test_an_unknown_revision_is_a_readable_error(scratch):
    with pytest.raises(DiffError, match="'no-such-branch' is not a commit"):
        compute_diff("staging", "no-such-branch", scratch)


def test_the_task_exits_non_zero_only_when_asked_to_gate_on_changes(tmp_path, capsys):
    # The repository itself against its own HEAD: uncommitted edits may differ, so compare JSON to the flag.
    target = tmp_path / "diff.json"
    try:
        tasks.diff.body(Context(), env="dev", base="HEAD", json=str(target), summary=None, fail_on_change=True)
        gated = False
    except Exit as exit_:
        assert exit_.code == 2
        gated = True
    import json

    document = json.loads(target.read_text())
    assert document["changed"] is gated
    assert [e["environment"] for e in document["environments"]] == ["dev"]
    with pytest.raises(Exit) as caught:
        tasks.diff.body(Context(), env="dev", base="no-such-ref", json=None, summary=None, fail_on_change=False)
    assert caught.value.code == 1 and str(caught.value.message).startswith("diff failed: --base 'no-such-ref'")
