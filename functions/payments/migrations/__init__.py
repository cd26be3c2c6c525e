"""Versioned schema migrations: the `NNNN_name.sql` files of this folder, applied in version order.

They run as a deploy step (the migration function, `payments.handlers.migrate`, as the master user),
never on a payment function's cold start. The runner:

- takes `pg_advisory_xact_lock(LOCK_ID)` in each transaction and re-reads what is applied under it,
  so two concurrent runs apply every migration once (the second waits, then finds it done);
- applies each pending migration in its own transaction with its row in `public.schema_migrations`
  (version, name, sha256 of the file, time): a failing migration leaves no trace, the ones before it
  stay applied, and a re-run continues from there;
- refuses a file that changed after it was applied, and a new file numbered below the applied version
  (it would run after newer ones on existing databases, before them on new ones);
- sets `search_path` to the `payments` schema, then `public` (where versions 1 and 2 find the table),
  so migration SQL names tables unqualified, like the function code.

The payment functions only read the applied version (`current_version`) and refuse to serve when it
is below `latest_version()`: the code is tested against exactly the migrations shipped with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pg8000.exceptions import DatabaseError

from payments.contract import SCHEMA

MIGRATIONS_DIR = Path(__file__).parent
LOCK_ID = 7_311_002_417  # arbitrary, constant: the advisory-lock key every migration run takes
VERSION_TABLE = "public.schema_migrations"
_FILE_NAME = re.compile(r"(?P<version>\d{4})_(?P<name>[a-z0-9]+(?:_[a-z0-9]+)*)\.sql")


class MigrationError(Exception):
    """A migration could not be loaded or applied; the message says which and why."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"

    @property
    def checksum(self) -> str:
        import hashlib  # not at import time: payment functions load this module on every cold start

        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MigrationResult:
    applied: tuple[Migration, ...]
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {"applied": [m.file_name for m in self.applied], "version": self.version}


def _versions(directory: Path) -> dict[int, tuple[str, Path]]:
    found: dict[int, tuple[str, Path]] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.fullmatch(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: a migration file is named NNNN_lower_snake_name.sql")
        version = int(match["version"])
        if version == 0:
            raise MigrationError(f"{path.name}: versions start at 0001")
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is also {found[version][1].name}")
        found[version] = (match["name"], path)
    if not found:
        raise MigrationError(f"no migrations in {directory}")
    return found


def load(directory: Path = MIGRATIONS_DIR) -> tuple[Migration, ...]:
    """Every migration of `directory`, by version."""
    return tuple(
        Migration(version, name, path.read_text(encoding="utf-8"))
        for version, (name, path) in sorted(_versions(directory).items())
    )


@lru_cache(maxsize=8)
def latest_version(directory: Path = MIGRATIONS_DIR) -> int:
    """The schema version the shipped code needs (file names only: cheap on a cold start)."""
    return max(_versions(directory))


def current_version(conn: Any) -> int:
    """The highest applied version; 0 on a database that was never migrated."""
    if conn.run(f"SELECT to_regclass('{VERSION_TABLE}') IS NULL")[0][0]:
        return 0
    return conn.run(f"SELECT coalesce(max(version), 0) FROM {VERSION_TABLE}")[0][0]


def _sqlstate(exc: DatabaseError) -> tuple[str, str]:
    detail = exc.args[0] if exc.args else None
    if isinstance(detail, dict):
        return detail.get("C", ""), detail.get("M", "")
    return "", str(exc)


def _in_transaction(conn: Any, work: Callable[[], Any]) -> Any:
    conn.run("START TRANSACTION")
    try:
        conn.run("SELECT pg_advisory_xact_lock(:lock_id)", lock_id=LOCK_ID)
        result = work()
        conn.run("COMMIT")
        return result
    except BaseException:
        try:
            conn.run("ROLLBACK")
        except Exception:  # noqa: BLE001 - the connection may be gone; the server rolls back then
            pass
        raise


def _applied(conn: Any, migrations: tuple[Migration, ...]) -> dict[int, str | None]:
    """Applied version -> checksum (None for rows from before checksums); refuses changed files."""
    conn.run(
        f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
        " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    # Databases migrated by the first runner have neither column.
    conn.run(f"ALTER TABLE {VERSION_TABLE} ADD COLUMN IF NOT EXISTS name text, ADD COLUMN IF NOT EXISTS checksum text")
    applied = {row[0]: row[1] for row in conn.run(f"SELECT version, checksum FROM {VERSION_TABLE}")}
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None and recorded != migration.checksum:
            raise MigrationError(
                f"{migration.file_name} changed after it was applied: add a new migration instead of editing it"
            )
    return applied


def apply(conn: Any, migrations: tuple[Migration, ...] | None = None) -> MigrationResult:
    """Apply the pending migrations (see the module docstring); return them and the resulting version."""
    migrations = load() if migrations is None else migrations

    def pending_now() -> list[Migration]:
        applied = _applied(conn, migrations)
        newest = max(applied, default=0)
        pending = [m for m in migrations if m.version not in applied]
        for migration in pending:
            if migration.version < newest:
                raise MigrationError(
                    f"{migration.file_name} is numbered below the applied version {newest}: renumber it above {newest}"
                )
        # Rows written before checksums were recorded get them now (once).
        for migration in migrations:
            if migration.version in applied and applied[migration.version] is None:
                conn.run(
                    f"UPDATE {VERSION_TABLE} SET name = :name, checksum = :checksum WHERE version = :version",
                    name=migration.name, checksum=migration.checksum, version=migration.version,
                )  # fmt: skip
        return pending

    done: list[Migration] = []
    for migration in _in_transaction(conn, pending_now):

        def apply_one(migration: Migration = migration) -> bool:
            if migration not in pending_now():  # another run applied it while this one waited
                return False
            conn.run(f"SET LOCAL search_path TO {SCHEMA}, public")
            try:
                conn.run(migration.sql)
            except DatabaseError as exc:
                code, message = _sqlstate(exc)
                raise MigrationError(f"{migration.file_name} failed and was rolled back: {message} (SQLSTATE {code})") from None
            conn.run(
                f"INSERT INTO {VERSION_TABLE} (version, name, checksum) VALUES (:version, :name, :checksum)",
                version=migration.version, name=migration.name, checksum=migration.checksum,
            )  # fmt: skip
            return True

        if _in_transaction(conn, apply_one):
            done.append(migration)
    return MigrationResult(applied=tuple(done), version=current_version(conn))
