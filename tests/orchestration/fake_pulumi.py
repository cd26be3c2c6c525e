"""A fake `pulumi` CLI for the orchestration tests: it records every call and answers from a state file.

Used two ways: `install(tmp_path)` writes an executable `pulumi` into a temp dir (put first on PATH)
that calls `cli()`; MockContext tests call `respond()` directly. The state file (JSON) holds
`{"stacks": {project: {stack: {"outputs": {...}, "secretOutputs": [keys], "resources": n}}}, "afterUp": {project: outputs}}`;
`up` replaces a stack's outputs with `afterUp[project]`. The project is the basename of the cwd.
Env: FAKE_PULUMI_STATE (state file), FAKE_PULUMI_LOG (JSON lines: argv, cwd, backend),
FAKE_PULUMI_FAIL_LAYER (preview/up/destroy/refresh fail in that project), FAKE_PULUMI_LOGGED_OUT,
FAKE_PULUMI_DRIFT_LAYERS (comma-separated: `refresh --expect-no-changes` fails there as the CLI does on drift).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

MUTATING = ("preview", "up", "destroy", "refresh")
HERE = Path(__file__).resolve().parent


def _flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def respond(argv: list[str], cwd: str, environ: dict[str, str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `pulumi <argv>` run in `cwd`."""
    with open(environ["FAKE_PULUMI_LOG"], "a") as log:
        log.write(json.dumps({"argv": argv, "cwd": cwd, "backend": environ.get("PULUMI_BACKEND_URL")}) + "\n")
    state_file = Path(environ["FAKE_PULUMI_STATE"])
    state = json.loads(state_file.read_text())
    project = Path(cwd).name
    stacks = state.setdefault("stacks", {}).setdefault(project, {})
    stack = _flag(argv, "--stack")
    command = argv[0] if argv else ""

    def save() -> None:
        state_file.write_text(json.dumps(state, indent=2))

    if command == "version":
        return 0, "v3.272.0\n", ""
    if command == "whoami":
        if environ.get("FAKE_PULUMI_LOGGED_OUT"):
            return 255, "", "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n"
        return 0, "User: tester\nOrganizations: tester\nBackend URL: https://fake.pulumi.test\n", ""
    if argv[:3] == ["stack", "ls", "--json"]:
        listing = [{"name": name, "current": False, "resourceCount": s["resources"]} for name, s in stacks.items()]
        return 0, json.dumps(listing), ""
    if argv[:2] == ["stack", "init"]:
        if stack in stacks:
            return 255, "", f"error: stack '{stack}' already exists\n"
        stacks[stack] = {"outputs": {}, "resources": 0}
        save()
        return 0, f"Created stack '{stack}'\n", ""
    if stack not in stacks:
        return 255, "", f"error: no stack named '{stack}' found\n"
    if argv[:2] == ["stack", "output"]:
        # Secret outputs print as "[secret]" unless --show-secrets, as the real CLI does.
        hidden = set(stacks[stack].get("secretOutputs", [])) if "--show-secrets" not in argv else set()
        return 0, json.dumps({k: "[secret]" if k in hidden else v for k, v in stacks[stack]["outputs"].items()}), ""
    if command in MUTATING and environ.get("FAKE_PULUMI_FAIL_LAYER") == project:
        return 255, "", f"error: {project}: update failed (told to fail)\n"
    if argv[:2] == ["stack", "rm"]:
        if stacks[stack]["resources"] and "--force" not in argv:
            return 255, "", f"error: '{stack}' still has resources; removal rejected. Possible actions:\n"
        del stacks[stack]
        save()
        return 0, f"Stack '{stack}' has been removed!\n", ""
    drifting = environ.get("FAKE_PULUMI_DRIFT_LAYERS", "").split(",")
    if command == "refresh" and "--expect-no-changes" in argv and project in drifting:
        return 255, "Resources:\n    ~ 1 to update\n", "error: no changes were expected but changes occurred\n"
    if command == "up":
        stacks[stack] = {"outputs": state.get("afterUp", {}).get(project, {}), "resources": 7}
        save()
        return 0, "Resources: 7 created\n", ""
    if command == "destroy" and "--yes" in argv:
        stacks[stack] = {"outputs": {}, "resources": 0}
        save()
        return 0, "Resources: 7 deleted\n", ""
    if command in MUTATING:
        return 0, f"{command} of {project}/{stack}: ok\n", ""
    return 2, "", f"fake pulumi: unsupported command {argv}\n"


def cli() -> int:
    code, out, err = respond(sys.argv[1:], os.getcwd(), dict(os.environ))
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


def install(bin_dir: Path) -> Path:
    """Write an executable `pulumi` into `bin_dir` that runs this fake."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "pulumi"
    script.write_text(
        f"#!{sys.executable} -IS\n"  # isolated, no site-packages: it needs the standard library only
        "import sys\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from fake_pulumi import cli\n"
        "sys.exit(cli())\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return script
