"""Building the payment functions' deployment package (`invoke build`); the compute layer reads it through
`shared/function_code.py`.

`build_lambda_zip` installs `functions/requirements.txt` as wheels for the Lambda platform (Linux
arm64, CPython 3.13; never this machine's), adds the `payments` package sources, and writes a
deterministic zip: entries sorted, timestamps fixed at 1980-01-01, permissions fixed, one deflate
level. The same sources and pins therefore give the same bytes, the same `source_code_hash`, and
`pulumi up` shows no change when nothing changed.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.function_code import LAMBDA_ZIP, PYTHON_VERSION, display_path, sha256_base64
from shared.paths import FUNCTIONS_DIR

PIP_PLATFORM = "manylinux2014_aarch64"  # the wheels Lambda arm64 (Amazon Linux 2023) can load

REQUIREMENTS = FUNCTIONS_DIR / "requirements.txt"
PACKAGE = "payments"

# Package files shipped besides Python sources: the RDS CA bundle the database client verifies with,
# and the schema migrations (`payments/migrations/NNNN_name.sql`) the migration function applies.
PACKAGE_DATA_SUFFIXES = (".py", ".pem", ".sql")
EXCLUDED_PARTS = frozenset({"tests", "test", "__pycache__", "conftest.py", "bin"})
# Provided by the Lambda Python runtime, or never needed at runtime: dropped if a pin drags them in.
EXCLUDED_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "pulumi", "pulumi_aws", "pip", "setuptools")

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
DEFLATE_LEVEL = 9


class BuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class BuildResult:
    path: Path
    size_bytes: int
    seconds: float
    entries: int
    sha256_base64: str


def _excluded(relative: Path) -> bool:
    if any(part in EXCLUDED_PARTS for part in relative.parts):
        return True
    if relative.suffix in (".pyc", ".pyo"):
        return True
    top = relative.parts[0]
    name = top.split("-", 1)[0].lower() if top.endswith((".dist-info", ".data")) else top.lower()
    return name in EXCLUDED_DISTRIBUTIONS


def source_files(functions_dir: Path = FUNCTIONS_DIR) -> dict[str, Path]:
    """`payments/**` sources to ship: Python modules, the CA bundle, the SQL migrations; no tests, no caches."""
    root = functions_dir / PACKAGE
    files = {}
    for path in root.rglob("*"):
        relative = path.relative_to(functions_dir)
        if path.is_file() and path.suffix in PACKAGE_DATA_SUFFIXES and not _excluded(relative):
            if path.name.startswith("test_"):
                continue
            files[relative.as_posix()] = path
    return files


def dependency_files(target: Path) -> dict[str, Path]:
    files = {}
    for path in target.rglob("*"):
        relative = path.relative_to(target)
        if path.is_file() and not _excluded(relative):
            files[relative.as_posix()] = path
    return files


def install_dependencies(requirements: Path, target: Path, run: Callable[..., object] = subprocess.run) -> None:
    if not requirements.exists():
        raise BuildError(f"{requirements} is missing: it pins the functions' runtime dependencies")
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(target),
        "--platform", PIP_PLATFORM,
        "--implementation", "cp",
        "--python-version", PYTHON_VERSION,
        "--only-binary=:all:",
        "-r", str(requirements),
    ]  # fmt: skip
    try:
        run(command, check=True)
    except subprocess.CalledProcessError as error:
        raise BuildError(f"pip could not install {requirements} for {PIP_PLATFORM} / CPython {PYTHON_VERSION} (exit {error.returncode})") from None


def write_deterministic_zip(files: dict[str, Path], output: Path) -> int:
    """Write `files` (archive name -> path) sorted, with fixed times and modes; return the entry count."""
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so external_attr carries the mode
            info.external_attr = (0o100000 | FILE_MODE) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=DEFLATE_LEVEL)
    partial.replace(output)  # never leave a half-written artifact under the real name
    return len(files)


def build_lambda_zip(
    output: Path = LAMBDA_ZIP,
    functions_dir: Path = FUNCTIONS_DIR,
    requirements: Path | None = None,
    install: Callable[[Path, Path], None] = install_dependencies,
) -> BuildResult:
    """Build the deployment package of every payment function (they share one artifact)."""
    started = time.monotonic()
    requirements = requirements or functions_dir / REQUIREMENTS.name
    sources = source_files(functions_dir)
    if f"{PACKAGE}/__init__.py" not in sources:
        raise BuildError(f"{functions_dir / PACKAGE} is not a Python package")
    with tempfile.TemporaryDirectory(prefix="payments-lambda-") as tmp:
        target = Path(tmp)
        install(requirements, target)
        dependencies = dependency_files(target)
        clash = sorted(n for n in dependencies if n.split("/", 1)[0] == PACKAGE)
        if clash:
            raise BuildError(f"a dependency installs files into the {PACKAGE!r} package: {clash[:3]}")
        entries = write_deterministic_zip({**dependencies, **sources}, output)
    return BuildResult(output, output.stat().st_size, time.monotonic() - started, entries, sha256_base64(output))


def sha256_hex(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def describe(result: BuildResult) -> str:
    return (
        f"{display_path(result.path)}: {result.size_bytes / 1e6:.2f} MB, {result.entries} files, "
        f"built in {result.seconds:.1f} s, sha256 {sha256_hex(result.path)} (compare with `sha256sum`; "
        f"Lambda's CodeSha256 is its base64: {result.sha256_base64})"
    )
