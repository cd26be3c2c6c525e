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


@pytest.fixture(scope="session")
def plans() -> dict[str, EnvironmentPlan]:
    return {env: environment_plan(env) for env in STANDARD_ENVIRONMENTS}


@pytest.fixture(params=STANDARD_ENVIRONMENTS)
def env_plan(request) -> EnvironmentPlan:
    """Parametrizes a test over dev, staging and prod."""
    return environment_plan(request.param)
