"""Shared fixtures: the offline plan of every environment, rendered once per test run."""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from typing import TypeVar

import pytest

from platform_tools.plan.cli import STANDARD_ENVIRONMENTS
from platform_tools.plan.engine import EnvironmentPlan, plan_environment

T = TypeVar("T")


def computed_once(tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], T]) -> T:
    """compute() once per test run. Under pytest-xdist the first worker to ask computes it and
    pickles it into the run's temporary folder, which all workers share; the others wait on a lock
    and read it. The folder is new for every run, so nothing is read from an earlier one."""
    if "PYTEST_XDIST_WORKER" not in os.environ:  # not distributed: the session is the run
        return compute()
    shared = tmp_path_factory.getbasetemp().parent
    stored = shared / f"{name}.pickle"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if stored.exists():
            return pickle.loads(stored.read_bytes())
        value = compute()
        stored.write_bytes(pickle.dumps(value))
        return value


def pytest_configure(config: pytest.Config) -> None:
    """With pytest-xdist, hand out one test at a time (`--maxschedchunk 1`, unless given): each
    worker keeps two tests queued and takes the next as it finishes one, instead of being committed
    to a quarter of the suite up front. Set here rather than in addopts, so that pytest still runs
    with xdist disabled."""
    if getattr(config.option, "maxschedchunk", 0) is None:
        config.option.maxschedchunk = 1


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
def once_per_run(tmp_path_factory) -> Callable[[str, Callable[[], T]], T]:
    """`once_per_run(name, compute)`: compute's value, computed by one process of the run."""
    return lambda name, compute: computed_once(tmp_path_factory, name, compute)


@pytest.fixture(scope="session")
def plans(once_per_run) -> dict[str, EnvironmentPlan]:
    """dev, staging and prod, rendered by one process of the run (they render the same anywhere:
    tests/foundation/test_plan_determinism.py)."""

    return once_per_run("plans", lambda: {env: plan_environment(env) for env in STANDARD_ENVIRONMENTS})


@pytest.fixture(params=STANDARD_ENVIRONMENTS)
def env_plan(request, plans) -> EnvironmentPlan:
    """Parametrizes a test over dev, staging and prod."""
    return plans[request.param]
