"""The same sources render the same plan, byte for byte: in separate processes, with different hash
seeds, and whether the environments render in parallel worker processes or one after another."""

from __future__ import annotations

import io
import os
import subprocess
import sysconfig

from platform_tools.plan.progress import Progress
from shared.paths import REPO_ROOT

INVOKE = os.path.join(sysconfig.get_path("scripts"), "invoke")


def _plan(seed: str, json_path: str, *extra: str) -> tuple[str, str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "120"}
    result = subprocess.run(
        [INVOKE, "plan", "--env", "all", "--json", json_path, *extra],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    with open(json_path, "rb") as handle:
        return result.stdout, result.stderr, handle.read()


def test_plan_text_and_json_are_identical_across_processes_seeds_and_worker_processes(tmp_path):
    path = str(tmp_path / "plan.json")
    parallel_text, parallel_err, parallel_json = _plan("1", path)  # one worker process per environment
    serial_text, _, serial_json = _plan("2024", path, "--jobs", "1")  # all three in this process
    assert parallel_json == serial_json
    assert parallel_text == serial_text
    assert parallel_text.index("network / dev") < parallel_text.index("network / staging") < parallel_text.index("network / prod")
    assert parallel_text.count("\n") > 300  # the tables, not just an error line
    assert parallel_err == ""  # no progress line when stderr is not a terminal


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
