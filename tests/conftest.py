"""Shared fixtures: the offline plan of every environment, rendered once per test session."""

from __future__ import annotations

import pytest

from platform_tools.plan.cli import STANDARD_ENVIRONMENTS
from platform_tools.plan.engine import EnvironmentPlan, plan_environment

_PLANS: dict[str, EnvironmentPlan] = {}


def environment_plan(stack: str) -> EnvironmentPlan:
    """The plan of one environment (all existing layers), cached for the session."""
    if stack not in _PLANS:
        _PLANS[stack] = plan_environment(stack)
    return _PLANS[stack]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Heavy tests first, costliest first, then the rest in collected order. With `-n auto` each
    worker holds two queued tests and takes the next from the front as it finishes one
    (`--maxschedchunk 1`): the costliest test starts at once on one worker with one light test
    queued behind it (moved to second place), and the other worker takes the other heavy tests."""

    def cost(item: pytest.Item) -> int:
        heavy = item.get_closest_marker("heavy")
        return heavy.kwargs["cpu_seconds"] if heavy else 0

    items.sort(key=cost, reverse=True)  # stable: equal costs keep their collected order
    light = next((i for i, item in enumerate(items) if cost(item) == 0), None)
    if light is not None and light > 1:
        items.insert(1, items.pop(light))


@pytest.fixture(scope="session")
def plans() -> dict[str, EnvironmentPlan]:
    return {env: environment_plan(env) for env in STANDARD_ENVIRONMENTS}


@pytest.fixture(params=STANDARD_ENVIRONMENTS)
def env_plan(request) -> EnvironmentPlan:
    """Parametrizes a test over dev, staging and prod."""
    return environment_plan(request.param)
