"""The database as Aurora sets it up, on the local test server: a master user that is not a superuser,
the `rds_iam` role, databases owned by the master user, and the functions' login roles with passwords
standing in for IAM auth tokens (same role names; `RolePasswords` plays `boto3.client("rds")`)."""

from __future__ import annotations

import uuid
from typing import Any

from payments.contract import DATABASE_USERS, OWNER_ROLE

# Stands in for the Aurora master user: CREATEROLE CREATEDB (as RDS creates it), owner of the database,
# member of rds_iam with the right to grant it (rds_superuser can), and not a superuser.
MASTER_USER = "payments_master"
LOGIN_ROLES = tuple(sorted({role.name for role in DATABASE_USERS.values()}))
ALL_ROLES = tuple(sorted((*LOGIN_ROLES, OWNER_ROLE.name)))


def _exists(admin: Any, role: str) -> bool:
    return bool(admin.run("SELECT 1 FROM pg_roles WHERE rolname = :name", name=role))


def prepare_cluster(admin: Any) -> str:
    """Create `rds_iam` (Aurora has it) and the master stand-in; return the master's password.
    Done here, by the test setup, never by a migration."""
    if not _exists(admin, "rds_iam"):
        admin.run("CREATE ROLE rds_iam NOLOGIN")
    password = uuid.uuid4().hex
    if not _exists(admin, MASTER_USER):
        admin.run(f"CREATE ROLE {MASTER_USER} LOGIN CREATEROLE CREATEDB")
    admin.run(f"ALTER ROLE {MASTER_USER} PASSWORD '{password}'")
    admin.run(f"GRANT rds_iam TO {MASTER_USER} WITH ADMIN OPTION")
    return password


def create_database(admin: Any, name: str) -> None:
    admin.run(f"CREATE DATABASE {name} OWNER {MASTER_USER}")


def set_login_passwords(admin: Any) -> dict[str, str]:
    """Give the login roles the migrations created a password each (tests only; on Aurora they have none)."""
    passwords = {}
    for role in LOGIN_ROLES:
        passwords[role] = uuid.uuid4().hex
        admin.run(f"ALTER ROLE {role} PASSWORD '{passwords[role]}'")
    return passwords


class RolePasswords:
    """A fake `boto3.client("rds")`: the "IAM auth token" of a role is its test password. Counts calls."""

    def __init__(self, passwords: dict[str, str]) -> None:
        self.passwords = passwords
        self.calls: list[tuple[str, int, str]] = []

    def generate_db_auth_token(self, DBHostname: str, Port: int, DBUsername: str, Region: str | None = None) -> str:  # noqa: N803
        self.calls.append((DBHostname, Port, DBUsername))
        return self.passwords.get(DBUsername, "not-a-valid-token")


class StaticCredentials:
    """A credential source with fixed credentials (the master stand-in in tests)."""

    def __init__(self, username: str, password: str) -> None:
        from payments.secrets import DbCredentials

        self.value = DbCredentials(username, password)

    def get(self):
        return self.value

    def refresh(self):
        return self.value


def connect_as(server: Any, user: str, password: str, database: str) -> Any:
    import pg8000.native

    return pg8000.native.Connection(
        user=user, password=password, host="127.0.0.1", port=server.port, database=database, timeout=10
    )


def _grantee(column: str) -> str:
    return f"CASE WHEN {column} = 0 THEN 'PUBLIC' ELSE {column}::regrole::text END"


def describe_grants(conn: Any) -> dict[str, Any]:
    """The roles and privileges the migrations leave, read from the catalogs (sorted, comparable)."""
    names = list(ALL_ROLES)
    roles = {
        row[0]: {"login": row[1], "superuser": row[2], "createrole": row[3], "createdb": row[4]}
        for row in conn.run(
            "SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
            " WHERE rolname = ANY(CAST(:names AS text[]))", names=names,
        )  # fmt: skip
    }
    for member, role in conn.run(
        "SELECT r.rolname, g.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member"
        " JOIN pg_roles g ON g.oid = m.roleid WHERE r.rolname = ANY(CAST(:names AS text[]))", names=names,
    ):  # fmt: skip
        roles[member].setdefault("member_of", []).append(role)
    for role, config in conn.run(
        "SELECT r.rolname, s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
        " WHERE s.setdatabase = 0 AND r.rolname = ANY(CAST(:names AS text[]))", names=names,
    ):  # fmt: skip
        roles[role]["settings"] = sorted(config)
    for spec in roles.values():
        spec["member_of"] = sorted(spec.get("member_of", []))

    def acl(sql: str, **params: Any) -> list[str]:
        return sorted(f"{grantee}: {privilege}" for grantee, privilege in conn.run(sql, **params))

    return {
        "roles": roles,
        "schema payments owner": conn.run("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'payments'")[0][0],
        "schema payments": acl(f"SELECT {_grantee('a.grantee')}, a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'payments'"),
        "schema public": acl(f"SELECT {_grantee('a.grantee')}, a.privilege_type FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public'"),
        "database": acl(f"SELECT {_grantee('a.grantee')}, a.privilege_type FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database()"),
        "table payments.payments owner": conn.run("SELECT relowner::regrole::text FROM pg_class WHERE oid = 'payments.payments'::regclass")[0][0],
        "table payments.payments": acl(f"SELECT {_grantee('a.grantee')}, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'payments.payments'::regclass"),
        "columns of payments.payments": sorted(
            f"{grantee}: {privilege} ({column})"
            for column, grantee, privilege in conn.run(
                f"SELECT t.attname, {_grantee('a.grantee')}, a.privilege_type FROM pg_attribute t, aclexplode(t.attacl) a"
                " WHERE t.attrelid = 'payments.payments'::regclass"
            )
        ),
        "table public.schema_migrations": acl(f"SELECT {_grantee('a.grantee')}, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'public.schema_migrations'::regclass"),
    }
