"""The payment functions' deployment package, as the compute program uses it.

`invoke build` (platform_tools/packaging.py) writes the archive; this module only reads it: the
`pulumi.FileArchive` and the hash that makes `pulumi up` update the code only when the bytes
changed. Only under the offline plan (the Pulumi mock engine, which no real deploy uses) does a
missing artifact become a warning and a placeholder.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.paths import BUILD_DIR

PYTHON_VERSION = "3.13"
LAMBDA_ARCHITECTURE = "arm64"
LAMBDA_ZIP = BUILD_DIR / "payments-lambda.zip"

PLACEHOLDER_NOTE = "offline plan: {path} is missing, so the functions use a placeholder package; run `invoke build` before a deploy"


class ArtifactMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class FunctionCode:
    """The deployment package (a `pulumi.Archive`) and the hash that makes `pulumi up` update the
    code only when the bytes changed."""

    archive: Any
    sha256_base64: str


def sha256_base64(path: Path) -> str:
    """Lambda's CodeSha256 format: base64 of the SHA-256 digest of the zip's bytes."""
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def running_under_mocks() -> bool:
    """True only when the program runs on the Pulumi mock engine (offline plan, unit tests).

    Deliberately not an environment variable: nothing a user sets can make a real `pulumi up`
    deploy a placeholder instead of failing.
    """
    from pulumi.runtime import mocks, settings

    return isinstance(settings.get_monitor(), mocks.MockMonitor)


def lambda_code(path: Path = LAMBDA_ZIP, offline: bool | None = None, warn: Callable[[str], None] | None = None) -> FunctionCode:
    """The function code as a `pulumi.FileArchive` and its base64 SHA-256, or ArtifactMissing saying what to do."""
    import pulumi

    if path.is_file():
        return FunctionCode(pulumi.FileArchive(str(path)), sha256_base64(path))
    if offline is None:
        offline = running_under_mocks()
    if not offline:
        raise ArtifactMissing(f"the Lambda package {path} does not exist: run `invoke build` first, then deploy")
    (warn or pulumi.log.warn)(PLACEHOLDER_NOTE.format(path=display_path(path)))
    placeholder = b"placeholder: run `invoke build`"
    return FunctionCode(
        pulumi.AssetArchive({"PLACEHOLDER.txt": pulumi.StringAsset(placeholder.decode())}),
        base64.b64encode(hashlib.sha256(placeholder).digest()).decode(),
    )


def display_path(path: Path) -> str:
    try:
        return path.relative_to(BUILD_DIR.parent).as_posix()
    except ValueError:
        return str(path)
