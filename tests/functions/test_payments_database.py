"""The database side of issue 15 on a real PostgreSQL: the migrations (files, runner, advisory lock,
roles and grants), what each login role can and cannot do, the functions connecting as their own
roles with (stand-in) IAM auth tokens, the schema-version check, and the migration function."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from pathlib import Path

import pytest
from payments_dbkit import MASTER_USER, ALL_ROLES, LOGIN_ROLES, connect_as, create_database, describe_grants
from pg8000.exceptions import DatabaseError

from payments import migrations
from payments.contract import (
    DATABASE_USERS,
    GET_PAYMENT,
    OWNER_ROLE,
    PROCESS_PAYMENT,
    READER_ROLE,
    RECONCILE,
    RECONCILER_ROLE,
    SCHEMA,
    WRITER_ROLE,
    EnvVar,
)
from payments.errors import ConfigurationError, DatabaseUnavailable, SchemaTooOld


# -- fixtures ------------------------------------------------------------------------------------


class FreshDatabase:
    """A new database owned by the master stand-in (as RDS creates it), dropped afterwards."""

    def __init__(self, server, admin, master) -> None:
        self.server, self.admin, self.master = server, admin, master
        self.name = f"mig_{uuid.uuid4().hex[:10]}"
        self._open: list = []
        create_database(admin, self.name)

    def connect(self, user: str | None = None, password: str | None = None):
        creds = self.master.get()
        conn = connect_as(self.server, user or creds.username, password or creds.password, self.name)
        self._open.append(conn)
        return conn

    def drop(self) -> None:
        for conn in self._open:
            try:
                conn.close()
            except Exception:  # noqa: BLE001
                pass
        self.admin.run(f"DROP DATABASE {self.name} WITH (FORCE)")


@pytest.fixture
def fresh_db(pg_server, pg_admin, db_cluster):
    db = FreshDatabase(pg_server, pg_admin, db_cluster.master)
    yield db
    db.drop()


@pytest.fixture
def migrated(fresh_db, db_cluster):
    migrations.apply(fresh_db.connect())
    return fresh_db


def as_role(db: FreshDatabase, role: str, db_cluster):
    return db.connect(role, db_cluster.tokens.passwords[role])


def sqlstate(exc: DatabaseError) -> str:
    return exc.args[0]["C"]


def refused(conn, sql: str) -> str:
    with pytest.raises(DatabaseError) as caught:
        conn.run(sql)
    return sqlstate(caught.value)


def write_migrations(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


INSERT = (
    "INSERT INTO payments (payment_id, idempotency_key, merchant_id, amount_minor, currency, source_token)"
    " VALUES (gen_random_uuid(), 'k-{n}', 'm', 100, 'EUR', 'tok_x')"
)


# -- the migration files -------------------------------------------------------------------------


def test_shipped_migrations_are_numbered_files_the_functions_require_the_newest():
    shipped = migrations.load()
    assert [m.version for m in shipped] == sorted({m.version for m in shipped})
    assert {1, 3} <= {m.version for m in shipped}
    assert migrations.latest_version() == shipped[-1].version
    for m in shipped:
        assert (migrations.MIGRATIONS_DIR / m.file_name).read_text() == m.sql


@pytest.mark.parametrize(
    "files, message",
    [({"1_a.sql": ""}, "NNNN_lower_snake_name.sql"), ({"0001_A.sql": ""}, "NNNN_lower_snake_name.sql"),
     ({"0000_a.sql": ""}, "start at 0001"), ({"0001_a.sql": "", "0001_b.sql": ""}, "version 1 is also"),
     ({}, "no migrations")],
)  # fmt: skip
def test_badly_named_migrations_are_refused(tmp_path, files, message):
    with pytest.raises(migrations.MigrationError, match=message):
        migrations.load(write_migrations(tmp_path / "m", files))


def test_role_names_in_the_sql_are_the_contract_names():
    """The SQL files cannot import the contract: this holds them to it."""
    sql = "\n".join(m.sql for m in migrations.load())
    for role in (OWNER_ROLE, WRITER_ROLE, READER_ROLE, RECONCILER_ROLE):
        assert f"'{role.name}', {'true' if role.login else 'false'}" in sql
    assert f"CREATE SCHEMA IF NOT EXISTS {SCHEMA} AUTHORIZATION {OWNER_ROLE.name}" in sql
    assert set(DATABASE_USERS) >= {PROCESS_PAYMENT.name, GET_PAYMENT.name, RECONCILE.name}


# -- roles and grants ----------------------------------------------------------------------------

EXPECTED_GRANTS = {
    "roles": {
        OWNER_ROLE.name: {"login": False, "superuser": False, "createrole": False, "createdb": False,
                          "member_of": [], "settings": ["search_path=payments"]},
        **{role.name: {"login": True, "superuser": False, "createrole": False, "createdb": False,
                       "member_of": ["rds_iam"], "settings": ["search_path=payments"]}
           for role in (WRITER_ROLE, READER_ROLE, RECONCILER_ROLE)},
    },
    "schema payments owner": "payments_owner",
    "schema payments": ["payments_owner: CREATE", "payments_owner: USAGE", "payments_reader: USAGE",
                        "payments_reconciler: USAGE", "payments_writer: USAGE"],
    "schema public": ["PUBLIC: USAGE", "pg_database_owner: CREATE", "pg_database_owner: USAGE"],
    "database": ["PUBLIC: CONNECT", f"{MASTER_USER}: CONNECT", f"{MASTER_USER}: CREATE", f"{MASTER_USER}: TEMPORARY"],
    "table payments.payments owner": "payments_owner",
    "table payments.payments": [
        *(f"payments_owner: {p}" for p in ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE")),
        "payments_reader: SELECT", "payments_reconciler: SELECT", "payments_writer: INSERT", "payments_writer: SELECT",
    ],
    "columns of payments.payments": sorted(
        [f"payments_writer: UPDATE ({c})" for c in ("failure_reason", "provider_reference", "published_at", "status", "updated_at")]
        + [f"payments_reconciler: UPDATE ({c})" for c in ("failure_reason", "provider_reference", "published_at",
                                                           "reconcile_attempts", "reconcile_lease_until", "status", "updated_at")]
    ),
    "table public.schema_migrations": [
        *(f"{MASTER_USER}: {p}" for p in ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE")),
        "payments_reader: SELECT", "payments_reconciler: SELECT", "payments_writer: SELECT",
    ],
}  # fmt: skip


def test_migrations_create_the_roles_and_exactly_these_grants(migrated):
    conn = migrated.connect()
    grants = describe_grants(conn)
    print("\n[database roles and grants]\n" + json.dumps(grants, indent=1, sort_keys=True))  # shown with -s
    assert grants == EXPECTED_GRANTS
    assert sorted(grants["roles"]) == sorted(ALL_ROLES)
    # the table moved into the schema; nothing of ours is left in public but the version table
    assert conn.run("SELECT to_regclass('public.payments')") == [[None]]
    tables = conn.run("SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_schema IN ('public', 'payments') ORDER BY 1")
    assert tables == [["payments.payments"], ["public.schema_migrations"]]


def test_writer_writes_its_table_and_nothing_else(migrated, db_cluster):
    writer = as_role(migrated, WRITER_ROLE.name, db_cluster)
    assert writer.run("SELECT current_user, current_setting('search_path')") == [[WRITER_ROLE.name, "payments"]]
    writer.run(INSERT.format(n=1))
    writer.run("UPDATE payments SET status = 'succeeded', provider_reference = 'r', updated_at = now() WHERE idempotency_key = 'k-1'")
    assert writer.run("SELECT status FROM payments") == [["succeeded"]]
    denied = {
        "ddl in its schema": "CREATE TABLE payments.extra (id int)",
        "ddl in public": "CREATE TABLE public.extra (id int)",
        "temporary table": "CREATE TEMP TABLE extra (id int)",
        "schema": "CREATE SCHEMA extra",
        "alter": "ALTER TABLE payments ADD COLUMN extra int",
        "index": "CREATE INDEX extra ON payments (currency)",
        "drop": "DROP TABLE payments",
        "truncate": "TRUNCATE payments",
        "delete": "DELETE FROM payments",
        "update amount": "UPDATE payments SET amount_minor = 1",
        "update merchant": "UPDATE payments SET merchant_id = 'other'",
        "version table": "INSERT INTO public.schema_migrations (version) VALUES (99)",
        "role": "CREATE ROLE extra",
    }
    codes = {what: refused(writer, sql) for what, sql in denied.items()}
    assert set(codes.values()) == {"42501"}, codes  # insufficient_privilege, every one
    assert writer.run("SELECT count(*) FROM payments") == [[1]]
    writer.run("GRANT SELECT ON payments TO PUBLIC")  # without grant option: a warning, and nothing granted
    assert not any(g.startswith("PUBLIC") for g in describe_grants(migrated.connect())["table payments.payments"])


def test_reader_can_only_read(migrated, db_cluster):
    as_role(migrated, WRITER_ROLE.name, db_cluster).run(INSERT.format(n=1))
    reader = as_role(migrated, READER_ROLE.name, db_cluster)
    assert reader.run("SELECT idempotency_key FROM payments") == [["k-1"]]
    for sql in (INSERT.format(n=2), "UPDATE payments SET status = 'failed'", "DELETE FROM payments", "TRUNCATE payments",
                "CREATE TABLE payments.extra (id int)", "CREATE TEMP TABLE extra (id int)", "DROP TABLE payments",
                "UPDATE public.schema_migrations SET version = version"):  # fmt: skip
        assert refused(reader, sql) == "42501", sql
    assert reader.run("SELECT status FROM payments") == [["pending"]]


def test_reconciler_reads_and_settles_payments_only(migrated, db_cluster):
    as_role(migrated, WRITER_ROLE.name, db_cluster).run(INSERT.format(n=1))
    reconciler = as_role(migrated, RECONCILER_ROLE.name, db_cluster)
    reconciler.run("UPDATE payments SET status = 'failed', updated_at = now() WHERE status = 'pending'")
    assert reconciler.run("SELECT status FROM payments") == [["failed"]]
    for sql in (INSERT.format(n=2), "DELETE FROM payments", "UPDATE payments SET amount_minor = 1",
                "CREATE TABLE payments.extra (id int)", "TRUNCATE payments"):  # fmt: skip
        assert refused(reconciler, sql) == "42501", sql


def test_owner_role_cannot_log_in(migrated, pg_admin):
    pg_admin.run(f"ALTER ROLE {OWNER_ROLE.name} PASSWORD 'owner-pw'")
    try:
        with pytest.raises(DatabaseError) as caught:
            connect_as(migrated.server, OWNER_ROLE.name, "owner-pw", migrated.name)
        assert "not permitted to log in" in caught.value.args[0]["M"]
    finally:
        pg_admin.run(f"ALTER ROLE {OWNER_ROLE.name} PASSWORD NULL")


# -- the runner ----------------------------------------------------------------------------------


def _snapshot(conn) -> dict:
    return {
        "grants": describe_grants(conn),
        "versions": conn.run("SELECT version, name, checksum, applied_at FROM public.schema_migrations ORDER BY version"),
        "columns": conn.run("SELECT table_schema, table_name, column_name, data_type, column_default FROM information_schema.columns WHERE table_schema IN ('public', 'payments') ORDER BY 1, 2, 3"),
        "indexes": conn.run("SELECT schemaname, indexname, indexdef FROM pg_indexes WHERE schemaname IN ('public', 'payments') ORDER BY 1, 2"),
    }  # fmt: skip


def test_rerunning_the_migrations_changes_nothing(migrated):
    conn = migrated.connect()
    before = _snapshot(conn)
    result = migrations.apply(conn)
    assert result.applied == () and result.version == migrations.latest_version()
    assert _snapshot(conn) == before


def test_two_concurrent_runs_apply_each_migration_once(fresh_db):
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(i: int, conn) -> None:
        barrier.wait()
        results[i] = migrations.apply(conn)

    conns = [fresh_db.connect(), fresh_db.connect()]
    threads = [threading.Thread(target=run, args=(i, conns[i])) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    applied = sorted(m.version for r in results for m in r.applied)
    assert applied == [m.version for m in migrations.load()]  # each once, between the two runs
    assert results[0].version == results[1].version == migrations.latest_version()
    assert conns[0].run("SELECT version, count(*) FROM public.schema_migrations GROUP BY version HAVING count(*) > 1") == []


def test_concurrent_runs_wait_for_each_other_under_the_lock(fresh_db, tmp_path):
    """Slow migrations force the overlap: the second run waits, then applies nothing twice."""
    directory = write_migrations(tmp_path / "m", {
        "0001_slow.sql": "SELECT pg_sleep(0.3); CREATE TABLE slow_one (id int);",
        "0002_slower.sql": "SELECT pg_sleep(0.3); CREATE TABLE slow_two (id int);",
    })  # fmt: skip
    shipped = migrations.load(directory)
    barrier = threading.Barrier(3)
    results: list = []

    def run() -> None:
        conn = fresh_db.connect()
        barrier.wait()
        results.append(migrations.apply(conn, shipped))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(m.version for r in results for m in r.applied) == [1, 2]
    assert [r.version for r in results] == [2, 2, 2]


def test_a_failing_migration_is_rolled_back_and_named(fresh_db, tmp_path):
    directory = write_migrations(tmp_path / "m", {
        "0001_ok.sql": "CREATE TABLE kept (id int);",
        "0002_broken.sql": "CREATE TABLE half (id int); SELECT no_such_column FROM kept;",
    })  # fmt: skip
    conn = fresh_db.connect()
    with pytest.raises(migrations.MigrationError, match=r"0002_broken.sql failed and was rolled back: .*no_such_column.*42703"):
        migrations.apply(conn, migrations.load(directory))
    assert migrations.current_version(conn) == 1
    assert conn.run("SELECT to_regclass('half'), to_regclass('kept') IS NOT NULL") == [[None, True]]
    (directory / "0002_broken.sql").write_text("CREATE TABLE half (id int);")
    assert [m.version for m in migrations.apply(conn, migrations.load(directory)).applied] == [2]


def test_an_applied_migration_that_changed_is_refused(fresh_db, tmp_path):
    directory = write_migrations(tmp_path / "m", {"0001_a.sql": "CREATE TABLE a (id int);"})
    conn = fresh_db.connect()
    migrations.apply(conn, migrations.load(directory))
    (directory / "0001_a.sql").write_text("CREATE TABLE a (id bigint);")
    with pytest.raises(migrations.MigrationError, match="0001_a.sql changed after it was applied"):
        migrations.apply(conn, migrations.load(directory))


def test_a_new_migration_numbered_below_the_applied_version_is_refused(fresh_db, tmp_path):
    directory = write_migrations(tmp_path / "m", {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 3;"})
    conn = fresh_db.connect()
    migrations.apply(conn, migrations.load(directory))
    write_migrations(directory, {"0002_b.sql": "SELECT 2;"})
    with pytest.raises(migrations.MigrationError, match="0002_b.sql is numbered below the applied version 3"):
        migrations.apply(conn, migrations.load(directory))


def test_a_database_migrated_by_the_first_runner_is_upgraded(fresh_db):
    """Deployed databases: version 1 applied by the old cold-start code (no name/checksum columns),
    a payment in public.payments. The runner moves it into the schema and backfills the checksum."""
    conn = fresh_db.connect()
    conn.run("CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
    conn.run(migrations.load()[0].sql)
    conn.run("INSERT INTO schema_migrations (version) VALUES (1)")
    conn.run(INSERT.format(n="old"))
    result = migrations.apply(conn)
    assert 1 not in [m.version for m in result.applied] and result.version == migrations.latest_version()
    assert conn.run("SELECT idempotency_key FROM payments.payments") == [["k-old"]]
    assert conn.run("SELECT name, checksum FROM public.schema_migrations WHERE version = 1") == [
        [migrations.load()[0].name, migrations.load()[0].checksum]
    ]


# -- the functions as their own database users ---------------------------------------------------


def test_each_function_connects_as_its_own_role(app):
    assert app.pay_ok()
    writer = app.runtime.database.connection().run("SELECT current_user")
    reader = app.reader.database.connection().run("SELECT current_user")
    assert (writer, reader) == ([[DATABASE_USERS[PROCESS_PAYMENT.name].name]], [[DATABASE_USERS[GET_PAYMENT.name].name]])
    assert app.tokens.calls[0][2] == WRITER_ROLE.name


def test_an_expired_token_gets_one_new_token_and_one_retry(app, monkeypatch):
    """The first token is refused (expired or revoked): one new token, one reconnect, success."""
    good = app.tokens.passwords[WRITER_ROLE.name]
    tokens = iter(["expired-token", good, good])
    monkeypatch.setattr(app.tokens, "generate_db_auth_token", lambda **kw: next(tokens))
    app.new_container()
    assert app.pay_ok()
    assert app.runtime.credentials.issue_count == 2


def test_a_refused_token_after_the_retry_is_unavailable_and_writes_nothing(app, monkeypatch):
    monkeypatch.setattr(app.tokens, "generate_db_auth_token", lambda **kw: "never-valid")
    app.new_container()
    status, body = app.pay({"amount": 5, "currency": "EUR", "payment_source": "tok_abcdefgh"}, "key-badtoken")
    assert status == 503 and body["error"]["code"] == "database_unavailable"
    assert app.runtime.credentials.issue_count == 2  # the first token and exactly one new one
    app.assert_nothing_written()


def test_a_schema_older_than_the_code_fails_clearly_with_a_metric(app, pg_admin, capsys):
    """No migration on a cold start: 503 schema_too_old and the SchemaTooOld metric, until the
    migration step has run; then the same execution environment serves again."""
    latest = migrations.latest_version()
    row = pg_admin.run("SELECT version, name, checksum, applied_at FROM public.schema_migrations WHERE version = :v", v=latest)[0]
    pg_admin.run("DELETE FROM public.schema_migrations WHERE version = :v", v=latest)
    try:
        app.new_container()
        body = {"amount": 5, "currency": "EUR", "payment_source": "tok_abcdefgh"}
        status, answer = app.pay(body, "key-oldschema")
        assert status == 503 and answer["error"]["code"] == "schema_too_old" and answer["error"]["retryable"]
        assert f"needs {latest}" in answer["error"]["message"]
        out = capsys.readouterr().out
        emf = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
        assert any(doc.get("SchemaTooOld") == [1.0] or doc.get("SchemaTooOld") == 1.0 for doc in emf), out
        assert app.pg_rows() == {}
        assert app.get(str(uuid.uuid4()))[1]["error"]["code"] == "schema_too_old"
    finally:
        pg_admin.run(
            "INSERT INTO public.schema_migrations (version, name, checksum, applied_at) VALUES (:v, :n, :c, :a)",
            v=row[0], n=row[1], c=row[2], a=row[3],
        )  # fmt: skip
    assert app.pay_ok()  # checked again on the next call, not cached as failed


def test_the_schema_version_is_read_once_per_execution_environment(app):
    assert app.pay_ok()
    conn = app.runtime.database.connection()
    calls = []
    original = conn.run
    conn.run = lambda sql, **kw: (calls.append(sql), original(sql, **kw))[1]
    try:
        assert app.pay_ok()
    finally:
        del conn.run
    assert not any("schema_migrations" in sql for sql in calls)


# -- the token provider --------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingTokens:
    def __init__(self) -> None:
        self.calls: list[dict] = []

    def generate_db_auth_token(self, **kwargs) -> str:
        self.calls.append(kwargs)
        return f"token-{len(self.calls)}"


def test_token_is_cached_and_renewed_before_it_expires():
    from payments.secrets import IamAuthToken

    clock, client = FakeClock(), CountingTokens()
    tokens = IamAuthToken("db.example", 5432, "payments_writer", lambda: client, refresh_after_seconds=600, clock=clock)
    assert tokens.get().password == "token-1"
    clock.now += 599
    assert tokens.get().password == "token-1"  # cached: no new signature per connection
    clock.now += 1
    assert tokens.get().password == "token-2"  # 10 minutes: renewed, 5 minutes before it expires
    assert tokens.refresh().password == "token-3"  # refused by the server: a new one at once
    assert tokens.get().password == "token-3"
    assert client.calls[0] == {"DBHostname": "db.example", "Port": 5432, "DBUsername": "payments_writer"}
    assert tokens.issue_count == 3 and "token" not in repr(tokens.get())


def test_token_must_be_renewed_within_its_lifetime():
    from payments.secrets import IamAuthToken

    with pytest.raises(ConfigurationError, match="15 minutes"):
        IamAuthToken("h", 1, "u", CountingTokens, refresh_after_seconds=900)


def test_the_real_rds_client_signs_a_connect_token_for_the_user(monkeypatch):
    """boto3 signs locally (no call to AWS): the token names the user and lives 900 s."""
    import boto3

    from payments.secrets import IamAuthToken

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    client = boto3.session.Session(region_name="us-east-1").client("rds")
    token = IamAuthToken("c.cluster-x.us-east-1.rds.amazonaws.com", 5432, "payments_reader", lambda: client).get().password
    assert token.startswith("c.cluster-x.us-east-1.rds.amazonaws.com:5432/?Action=connect&DBUser=payments_reader")
    assert "X-Amz-Expires=900" in token


def test_no_credentials_for_a_token_is_a_clear_dependency_error(monkeypatch):
    from botocore.exceptions import NoCredentialsError

    from payments.secrets import AuthTokenUnavailable, IamAuthToken

    class NoCredentials:
        def generate_db_auth_token(self, **kwargs):
            raise NoCredentialsError()

    with pytest.raises(AuthTokenUnavailable, match="payments_writer"):
        IamAuthToken("h", 1, "payments_writer", NoCredentials).get()


# -- settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "var, value, message",
    [(EnvVar.DB_USER, "", "PAYMENTS_DB_USER is not set"), (EnvVar.DB_PORT, "", "PAYMENTS_DB_PORT is not set"),
     (EnvVar.DB_PORT, "5432x", "PAYMENTS_DB_PORT is not a valid int"), (EnvVar.DB_PORT, "70000", "PAYMENTS_DB_PORT must be a TCP port")],
)  # fmt: skip
def test_payment_settings_need_the_user_and_the_exported_port(env, monkeypatch, var, value, message):
    from payments.settings import Settings

    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env()


def test_payment_functions_do_not_read_the_master_secret(env, monkeypatch):
    from payments.settings import Settings

    monkeypatch.setenv(EnvVar.DB_SECRET_ARN, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x")
    settings = Settings.from_env()
    assert not any("secret" in f.name for f in dataclasses.fields(settings))
    assert settings.db_user == WRITER_ROLE.name


# -- the migration function ----------------------------------------------------------------------


@pytest.fixture
def migrate_env(monkeypatch, fresh_db, aws, shared_aws, pg_server):
    def configure(password: str | None = None) -> None:
        creds = fresh_db.master.get()
        secret = shared_aws.secretsmanager.create_secret(
            Name=f"migrate-{uuid.uuid4().hex[:6]}",
            SecretString=json.dumps({"username": creds.username, "password": password or creds.password}),
        )
        for var, value in {EnvVar.ENVIRONMENT: "test", EnvVar.DB_HOST: "127.0.0.1", EnvVar.DB_PORT: str(pg_server.port),
                           EnvVar.DB_NAME: fresh_db.name, EnvVar.DB_SECRET_ARN: secret["ARN"]}.items():  # fmt: skip
            monkeypatch.setenv(var, value)

    return configure


def _invoke_migrate(event, monkeypatch, shared_aws):
    from payments_testkit import FakeContext

    from payments.handlers import migrate
    from payments.settings import MigrationSettings

    # TLS off for the local server (settings built in code, as in every test), the moto clients reused.
    monkeypatch.setattr(migrate, "MigrationSettings", _LocalMigrationSettings)
    monkeypatch.setattr(migrate, "AwsClients", lambda settings: shared_aws)
    assert MigrationSettings.db_tls is True  # the default a deployed function runs with
    return migrate.lambda_handler(event, FakeContext(function_name="payments-test-migrate"))


class _LocalMigrationSettings:
    @staticmethod
    def from_env():
        from payments.settings import MigrationSettings

        return dataclasses.replace(MigrationSettings.from_env(), db_tls=False)


def test_the_migration_function_applies_pending_migrations_once(migrate_env, monkeypatch, shared_aws, fresh_db):
    migrate_env()
    names = [m.file_name for m in migrations.load()]
    assert _invoke_migrate({"dryRun": True}, monkeypatch, shared_aws) == {
        "environment": "test", "pending": names, "version": 0, "dryRun": True,
    }  # fmt: skip
    first = _invoke_migrate({}, monkeypatch, shared_aws)
    assert first == {"environment": "test", "applied": names, "version": migrations.latest_version(), "dryRun": False}
    assert _invoke_migrate({}, monkeypatch, shared_aws)["applied"] == []
    assert migrations.current_version(fresh_db.connect()) == migrations.latest_version()


def test_the_migration_function_fails_clearly(migrate_env, monkeypatch, shared_aws):
    from payments.handlers.migrate import MigrationFailed

    migrate_env(password="wrong")
    with pytest.raises(MigrationFailed, match=r"DatabaseUnavailable: database refused the connection \(SQLSTATE 28P01\)"):
        _invoke_migrate({}, monkeypatch, shared_aws)
    monkeypatch.delenv(EnvVar.DB_SECRET_ARN)
    with pytest.raises(MigrationFailed, match="PAYMENTS_DB_SECRET_ARN is not set"):
        _invoke_migrate({}, monkeypatch, shared_aws)


def test_a_failing_migration_is_reported_with_the_resulting_version(fresh_db, tmp_path):
    from payments.handlers.migrate import MigrationFailed, run
    from payments.settings import MigrationSettings

    directory = write_migrations(tmp_path / "m", {"0001_ok.sql": "SELECT 1;", "0002_bad.sql": "SELECT nope;"})
    settings = MigrationSettings(environment="test", db_host="127.0.0.1", db_port=fresh_db.server.port,
                                 db_name=fresh_db.name, db_secret_arn="-", db_tls=False)  # fmt: skip
    with pytest.raises(MigrationFailed, match=r"0002_bad.sql failed .* the schema is at version 1$"):
        run(settings, fresh_db.master, directory=directory)


def test_master_secret_is_refetched_once_after_a_rotation(fresh_db, aws, shared_aws):
    """The migration function's secret: a refused password is fetched again once, then it gives up."""
    from payments.db import connect
    from payments.secrets import MasterSecret
    from payments.settings import MigrationSettings

    creds = fresh_db.master.get()
    arn = shared_aws.secretsmanager.create_secret(
        Name=f"rot-{uuid.uuid4().hex[:6]}", SecretString=json.dumps({"username": creds.username, "password": "old"})
    )["ARN"]
    settings = MigrationSettings(environment="test", db_host="127.0.0.1", db_port=fresh_db.server.port,
                                 db_name=fresh_db.name, db_secret_arn=arn, db_tls=False)  # fmt: skip
    secret = MasterSecret(arn, lambda: shared_aws.secretsmanager)
    with pytest.raises(DatabaseUnavailable):
        connect(settings, secret)
    assert secret.fetch_count == 2
    shared_aws.secretsmanager.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": creds.username, "password": creds.password})
    )
    connect(settings, secret).close()
    assert secret.fetch_count == 3


def test_secret_repr_hides_password():
    from payments.secrets import DbCredentials

    assert "hunter2" not in repr(DbCredentials("u", "hunter2"))


def test_schema_too_old_is_a_retryable_database_error():
    assert issubclass(SchemaTooOld, DatabaseUnavailable) and SchemaTooOld.retryable and SchemaTooOld.status_code == 503
