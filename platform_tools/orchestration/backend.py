"""Which Pulumi backend a run uses: the one the user is logged in to, or `--local` file state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platform_tools.orchestration.errors import OrchestrationError
from shared.paths import REPO_ROOT

# Git-ignored (see .gitignore): a file backend inside the repo, for trying everything without Pulumi Cloud.
LOCAL_STATE_DIR = REPO_ROOT / ".pulumi-state"
PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
INSTALL_URL = "https://www.pulumi.com/docs/iac/download-install/"


@dataclass(frozen=True)
class Backend:
    local: bool
    env: Mapping[str, str] = field(default_factory=dict)  # added to every pulumi command's environment

    @property
    def label(self) -> str:
        return self.env.get("PULUMI_BACKEND_URL", "the backend you are logged in to (pulumi whoami)")


def local_backend_url(state_dir: Path = LOCAL_STATE_DIR) -> str:
    return f"file://{state_dir}"


def resolve_backend(local: bool, environ: Mapping[str, str], state_dir: Path = LOCAL_STATE_DIR) -> Backend:
    """`--local` selects the in-repo file backend; its stacks encrypt secrets with a passphrase you choose."""
    if not local:
        return Backend(local=False)
    if not any(environ.get(name) for name in PASSPHRASE_VARS):
        raise OrchestrationError(
            "--local keeps state in .pulumi-state/ and encrypts stack secrets with a passphrase that only you "
            "know; set it first, e.g. `export PULUMI_CONFIG_PASSPHRASE='<a passphrase of your choice>'` "
            "(or PULUMI_CONFIG_PASSPHRASE_FILE=<path>), and use the same one every time for these stacks"
        )
    state_dir.mkdir(parents=True, exist_ok=True)  # the file backend does not create its root folder
    return Backend(local=True, env={"PULUMI_BACKEND_URL": local_backend_url(state_dir)})


def missing_cli_message() -> str:
    return (
        "the Pulumi CLI (`pulumi`) is not on PATH. Install it from "
        f"{INSTALL_URL} (e.g. `curl -fsSL https://get.pulumi.com | sh` or `brew install pulumi/tap/pulumi`), "
        "then open a new shell and run `pulumi version`"
    )


def not_logged_in_message(detail: str) -> str:
    return (
        f"no Pulumi backend is selected (`pulumi whoami` failed: {detail.strip() or 'no detail'}). "
        "Run `pulumi login` (Pulumi Cloud) or `pulumi login s3://<bucket>` (self-managed), "
        "or add --local to keep state in .pulumi-state/ inside this repo"
    )
