"""The same sources render the same plan, byte for byte, in separate processes with different hash seeds."""

from __future__ import annotations

import os
import subprocess
import sysconfig

from shared.paths import REPO_ROOT

INVOKE = os.path.join(sysconfig.get_path("scripts"), "invoke")


def _plan(seed: str, json_path: str) -> tuple[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "COLUMNS": "120"}
    result = subprocess.run(
        [INVOKE, "plan", "--env", "prod", "--json", json_path],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    with open(json_path, "rb") as handle:
        return result.stdout, handle.read()


def test_plan_text_and_json_are_identical_across_processes_and_hash_seeds(tmp_path):
    path = str(tmp_path / "plan.json")
    first_text, first_json = _plan("1", path)
    second_text, second_json = _plan("2024", path)
    assert first_json == second_json
    assert first_text == second_text
    assert first_text.count("\n") > 100  # the tables, not just an error line
