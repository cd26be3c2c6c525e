"""The Lambda package: real pip install for Linux arm64 (network to PyPI), built twice per session."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import pulumi
import pytest

from platform_tools.packaging import FIXED_DATE_TIME, BuildResult, build_lambda_zip, source_files
from shared.function_code import ArtifactMissing, lambda_code


@pytest.fixture(scope="session")
def builds(tmp_path_factory, once_per_run) -> tuple[BuildResult, BuildResult]:
    """Two independent builds of the real functions/ tree (separate pip installs), once per run."""

    def build_twice() -> tuple[BuildResult, BuildResult]:
        first = build_lambda_zip(tmp_path_factory.mktemp("first") / "payments-lambda.zip")
        second = build_lambda_zip(tmp_path_factory.mktemp("second") / "payments-lambda.zip")
        return first, second

    return once_per_run("lambda-builds", build_twice)


def names(result: BuildResult) -> list[str]:
    with zipfile.ZipFile(result.path) as archive:
        return archive.namelist()


def test_building_twice_gives_identical_bytes(builds):
    first, second = builds
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256_base64 == base64.b64encode(hashlib.sha256(first.path.read_bytes()).digest()).decode()


def test_zip_holds_the_handlers_and_their_dependencies(builds):
    entries = set(names(builds[0]))
    for required in (
        "payments/__init__.py",
        "payments/contract.py",
        "payments/handlers/process_payment.py",
        "payments/handlers/get_payment.py",
        "payments/handlers/migrate.py",
        "payments/certs/rds-global-bundle.pem",
        "payments/migrations/__init__.py",
        "pg8000/__init__.py",
        "aws_lambda_powertools/__init__.py",
    ):
        assert required in entries, required


def test_zip_holds_nothing_from_tests_the_sdk_or_this_machine(builds):
    for name in names(builds[0]):
        top = name.split("/", 1)[0].lower()
        assert not top.startswith(("boto3", "botocore", "s3transfer", "pulumi", "tests", "bin")), name
        assert "__pycache__" not in name and not name.endswith(".pyc"), name
        assert "/tests/" not in name and not Path(name).name.startswith("test_"), name


def test_zip_holds_every_migration_the_runner_loads(builds):
    """The migration function applies the SQL files it finds next to the runner: all must ship."""
    from payments.migrations import MIGRATIONS_DIR, load

    entries = set(names(builds[0]))
    shipped = {f"payments/migrations/{m.file_name}" for m in load(MIGRATIONS_DIR)}
    assert shipped and shipped <= entries
    assert {n for n in entries if n.startswith("payments/migrations/") and n.endswith(".sql")} == shipped


def test_entries_are_sorted_with_fixed_times_and_modes(builds):
    with zipfile.ZipFile(builds[0].path) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    for info in infos:
        assert info.date_time == FIXED_DATE_TIME, info.filename
        assert info.external_attr >> 16 == 0o100644, info.filename
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename


def test_sources_skip_tests_caches_and_non_package_files(tmp_path):
    package = tmp_path / "payments"
    for relative in ("__init__.py", "handlers/a.py", "certs/ca.pem", "migrations/0001_a.sql", "tests/test_a.py",
                     "tests/0002_b.sql", "test_b.py", "__pycache__/a.cpython-311.pyc", "notes.md",
                     "handlers/__pycache__/a.cpython-313.pyc"):  # fmt: skip
        path = package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    assert sorted(source_files(tmp_path)) == [
        "payments/__init__.py", "payments/certs/ca.pem", "payments/handlers/a.py", "payments/migrations/0001_a.sql",
    ]  # fmt: skip


def test_program_fails_clearly_without_the_artifact(tmp_path):
    with pytest.raises(ArtifactMissing, match="run `invoke build` first"):
        lambda_code(tmp_path / "payments-lambda.zip", offline=False)


def test_offline_plan_warns_and_uses_a_placeholder(tmp_path):
    warnings: list[str] = []
    code = lambda_code(tmp_path / "payments-lambda.zip", offline=True, warn=warnings.append)
    assert isinstance(code.archive, pulumi.AssetArchive)
    assert len(warnings) == 1 and "invoke build" in warnings[0]


def test_existing_artifact_is_used_with_its_hash(builds):
    code = lambda_code(builds[0].path, offline=False)
    assert isinstance(code.archive, pulumi.FileArchive) and code.archive.path == str(builds[0].path)
    assert code.sha256_base64 == builds[0].sha256_base64
