"""The same sources render the same plan, byte for byte: in separate processes, with different hash
seeds, and whether the environments render in parallel worker processes or one after another."""

from __future__ import annotations

import io
import os
import subprocess
import sysconfig

import pytest

from platform_tools.plan.cli import STANDARD_ENVIRONMENTS, report_plans
from platform_tools.plan.progress import Progress
from platform_tools.text import make_console
from shared.paths import REPO_ROOT

INVOKE = os.path.join(sysconfig.get_path("scripts"), "invoke")


@pytest.mark.heavy(cpu_seconds=4)
def test_plan_text_and_json_are_identical_across_processes_seeds_and_worker_processes(tmp_path, plans):
    """`invoke plan --env all` in a new process (one worker process per environment, a fixed hash
    seed) against the plans one process of this test run rendered one after another (with a
    random hash seed, or another fixed one), printed and written the way the task does."""
    path = str(tmp_path / "plan.json")
    seed = "2024" if os.environ.get("PYTHONHASHSEED") != "2024" else "7"
    result = subprocess.run(
        [INVOKE, "plan", "--env", "all", "--json", path],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "120"},
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    with open(path, "rb") as handle:
        parallel_json = handle.read()
    text = io.StringIO()
    report_plans([plans[env] for env in STANDARD_ENVIRONMENTS], "all", path, True, make_console(text, width=120))
    with open(path, "rb") as handle:
        serial_json = handle.read()
    assert parallel_json == serial_json
    assert result.stdout == text.getvalue()
    assert result.stdout.index("network / dev") < result.stdout.index("network / staging") < result.stdout.index("network / prod")
    assert result.stdout.count("\n") > 300  # the tables, not just an error line
    assert result.stderr == ""  # no progress line when stderr is not a terminal


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_layer_and_environment_on_a_terminal_only():
    piped = io.StringIO()
    progress = Progress(piped)
    progress("network", "dev")
    progress.done()
    assert piped.getvalue() == ""
    terminal = _Terminal()
    progress = Progress(terminal)
    progress("data", "prod")
    assert "rendering prod: data" in terminal.getvalue()
    progress.done()
    assert terminal.getvalue().endswith("\r\033[K")
