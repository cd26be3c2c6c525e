"""`invoke drift` and `invoke env delete` through the fake `pulumi` executable (real invoke Context)."""

from __future__ import annotations

import io
import shutil

import pytest
from invoke import Context, Exit
from rich.console import Console

import tasks
from conftest import PROJECTS
from platform_tools.delivery import environments
from platform_tools.delivery.environments import plan_create, write
from shared.paths import PROJECTS_DIR

REVERSED = tuple(reversed(PROJECTS))


@pytest.fixture
def quiet(monkeypatch) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(tasks, "console", Console(file=out, width=200))
    return out


def test_drift_refreshes_each_layer_as_a_preview_and_passes_when_nothing_drifted(fake, quiet):
    fake.reset({"prod": PROJECTS})
    tasks.drift.body(Context(), env="prod")
    assert fake.mutating() == [f"projects/{p} $ pulumi refresh --stack prod --preview-only --expect-no-changes" for p in PROJECTS]
    assert "no drift in network, data, compute, observability of prod" in quiet.getvalue()


def test_drift_in_one_layer_exits_3_naming_it_and_still_checks_the_others(fake, quiet, monkeypatch):
    fake.reset({"staging": PROJECTS})
    monkeypatch.setenv("FAKE_PULUMI_DRIFT_LAYERS", "data")
    with pytest.raises(Exit) as caught:
        tasks.drift.body(Context(), env="staging")
    assert caught.value.code == 3
    assert caught.value.message == "drift in data of staging: AWS differs from the Pulumi state"
    assert len(fake.mutating()) == 4


def test_a_failing_refresh_is_an_error_not_drift(fake, quiet, monkeypatch):
    fake.reset({"dev": PROJECTS})
    monkeypatch.setenv("FAKE_PULUMI_FAIL_LAYER", "compute")
    with pytest.raises(Exit) as caught:
        tasks.drift.body(Context(), env="dev")
    assert caught.value.code == 1 and "layer compute failed" in str(caught.value.message)


def test_drift_skips_layers_without_a_stack(fake, quiet):
    fake.reset({"dev": ("network",)})
    tasks.drift.body(Context(), env="dev")
    assert fake.mutating() == ["projects/network $ pulumi refresh --stack dev --preview-only --expect-no-changes"]
    assert "data has no stack dev" in quiet.getvalue()


@pytest.fixture
def ephemeral(tmp_path, monkeypatch):
    copy = tmp_path / "projects-copy"
    shutil.copytree(PROJECTS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(environments, "PROJECTS_DIR", copy)
    write(plan_create("dev-pr42", "dev", copy))
    return copy


def test_env_delete_destroys_in_reverse_order_removes_the_stacks_then_the_files(fake, quiet, ephemeral):
    fake.reset({"dev-pr42": PROJECTS, "dev": PROJECTS})
    tasks.env.body(Context(), action="delete", name="dev-pr42", confirm="dev-pr42")
    calls = fake.mutating()
    assert calls == [f"projects/{p} $ pulumi destroy --stack dev-pr42 --yes" for p in REVERSED]
    removals = [c for c in fake.calls() if " stack rm " in c]
    assert removals == [f"projects/{p} $ pulumi stack rm --stack dev-pr42 --yes --preserve-config" for p in REVERSED]
    assert all("dev-pr42" not in fake.stacks()[p] for p in PROJECTS)
    assert all(fake.stacks()[p]["dev"]["resources"] == 7 for p in PROJECTS)  # its profile is untouched
    assert not list(ephemeral.glob("*/Pulumi.dev-pr42.yaml"))


def test_env_delete_with_the_wrong_confirmation_destroys_nothing_and_keeps_the_files(fake, quiet, ephemeral):
    fake.reset({"dev-pr42": PROJECTS})
    with pytest.raises(Exit) as caught:
        tasks.env.body(Context(), action="delete", name="dev-pr42", confirm="dev")
    assert caught.value.code == 1 and "does not match" in str(caught.value.message)
    assert fake.mutating() == [] and len(list(ephemeral.glob("*/Pulumi.dev-pr42.yaml"))) == 4


def test_env_create_writes_the_files_and_refuses_a_profile_name(quiet, tmp_path, monkeypatch):
    copy = tmp_path / "projects-copy"
    shutil.copytree(PROJECTS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(environments, "PROJECTS_DIR", copy)
    tasks.env.body(Context(), action="create", name="dev-pr7", from_="dev")
    assert len(list(copy.glob("*/Pulumi.dev-pr7.yaml"))) == 4
    assert "wrote projects-copy/network/Pulumi.dev-pr7.yaml" in quiet.getvalue()
    with pytest.raises(Exit) as caught:
        tasks.env.body(Context(), action="create", name="staging", from_="dev")
    assert str(caught.value.message) == "env create failed: --name 'staging' is a profile; an ephemeral environment needs its own name, e.g. dev-pr42"
