"""`invoke check` and `invoke cost`: thin tasks over the tested modules; check fails on a violation."""

from __future__ import annotations

import copy

import pytest
from invoke import Context, Exit

import tasks


@pytest.fixture
def cached_plans(monkeypatch, plans):
    """The tasks render through `platform_tools.plan.cli.render_environments`; reuse the run's plans."""
    planned = {}

    def plan(stack):
        return planned.setdefault(stack, copy.deepcopy(plans[stack]))

    def render(stacks, jobs=None, progress=None):
        return [plan(stack) for stack in stacks]

    monkeypatch.setattr("platform_tools.plan.cli.render_environments", render)
    return plan


def test_check_passes_on_the_real_plans(cached_plans, capsys):
    tasks.check(Context(), "all")
    assert "all guardrails pass" in capsys.readouterr().out


def test_check_fails_on_a_violation(cached_plans):
    cluster = cached_plans("dev").layer("data").one("aws:rds/cluster:Cluster")
    cluster.protect = True
    with pytest.raises(Exit) as raised:
        tasks.check(Context(), "dev")
    assert raised.value.code == 1 and "1 policy violation" in str(raised.value.message)


def test_cost_prints_one_total_per_environment(cached_plans, capsys):
    tasks.cost(Context(), "all", details=False)
    out = capsys.readouterr().out
    assert all(env in out for env in ("dev", "staging", "prod")) and "total" in out
