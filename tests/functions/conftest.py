"""Fixtures for the payment function tests: a real PostgreSQL server (session), moto (per test), the
payment API stub (session, reset per test) and `app`, which wires the handlers to all three."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pytest

from payments_testkit import (
    AUDIT_BUCKET,
    DB_NAME,
    IDEMPOTENCY_TABLE_NAME,
    MERCHANT_A,
    REGION,
    TRANSACTIONS_TABLE_NAME,
    FakeContext,
    Faults,
    PostgresServer,
    StubPaymentApi,
    create_aws_resources,
    expire_in_progress,
    get_event,
    payment_event,
    with_faults,
)

# Read by Powertools when the handler modules are imported; fake credentials for moto.
for _name, _value in {
    "POWERTOOLS_SERVICE_NAME": "payments",
    "POWERTOOLS_METRICS_NAMESPACE": "PaymentsTest",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}.items():
    os.environ.setdefault(_name, _value)
os.environ["AWS_DEFAULT_REGION"] = REGION

MAX_AMOUNT = 1_000_000


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_admin(pg_server):
    conn = pg_server.connect()
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def db_cluster(pg_server, pg_admin):
    """The test database as the deploy leaves it: owned by a non-superuser master user, migrated by it
    (`payments.migrations`), the functions' login roles with test passwords for their "tokens"."""
    from payments_dbkit import MASTER_USER, RolePasswords, StaticCredentials, connect_as, prepare_cluster, set_login_passwords

    from payments import migrations

    master_password = prepare_cluster(pg_admin)
    pg_admin.run(f"ALTER DATABASE {DB_NAME} OWNER TO {MASTER_USER}")
    master = connect_as(pg_server, MASTER_USER, master_password, DB_NAME)
    try:
        migrations.apply(master)
    finally:
        master.close()
    # The tests' view of the stores reads the tables as the functions name them.
    pg_admin.run("SET search_path TO payments, public")
    return DbCluster(StaticCredentials(MASTER_USER, master_password), RolePasswords(set_login_passwords(pg_admin)))


class DbCluster:
    def __init__(self, master: Any, tokens: Any) -> None:
        self.master = master  # credentials of the master stand-in
        self.tokens = tokens  # the fake `rds` client: role -> password as its auth token


@pytest.fixture(scope="session")
def stub_api():
    stub = StubPaymentApi().start()
    yield stub
    stub.stop()


@pytest.fixture(scope="session")
def boto_session():
    import boto3
    import moto  # noqa: F401 - imported before any client is created, so moto can intercept them

    return boto3.session.Session(region_name=REGION)


@pytest.fixture(scope="session")
def shared_aws(boto_session):
    """Clients reused by every test (creating botocore clients costs ~50 ms each); moto intercepts
    them in whichever mock is active, and each test's mock starts from empty backends."""
    from payments.aws import AwsClients

    return AwsClients(_client_settings(), session=boto_session)


def _client_settings():
    from payments.settings import Settings

    return Settings(
        environment="test", transactions_table="-", idempotency_table="-", audit_bucket="-", db_host="-",
        db_port=1, db_name="-", db_user="-", payment_api_endpoint="http://-", max_amount_minor=1,
    )  # fmt: skip


@pytest.fixture
def aws(boto_session):
    from moto import mock_aws

    with mock_aws():
        yield boto_session


@pytest.fixture
def env(monkeypatch, pg_server, stub_api, aws, shared_aws):
    """The compute layer's environment variables, pointing at the local servers."""
    from payments.contract import PROCESS_PAYMENT, DATABASE_USERS, EnvVar

    create_aws_resources(shared_aws, pg_server)
    values = {
        EnvVar.ENVIRONMENT: "test",
        EnvVar.TRANSACTIONS_TABLE: TRANSACTIONS_TABLE_NAME,
        EnvVar.IDEMPOTENCY_TABLE: IDEMPOTENCY_TABLE_NAME,
        EnvVar.AUDIT_BUCKET: AUDIT_BUCKET,
        EnvVar.DB_HOST: "127.0.0.1",
        EnvVar.DB_PORT: str(pg_server.port),
        EnvVar.DB_NAME: DB_NAME,
        EnvVar.DB_USER: DATABASE_USERS[PROCESS_PAYMENT.name].name,
        EnvVar.PAYMENT_API_ENDPOINT: stub_api.url,
        # Short enough that a test of a hanging API (the stub hangs 3 s) waits little, long enough
        # that a busy machine (the suite runs beside 8-process runs) does not time out a normal call.
        EnvVar.PAYMENT_API_TIMEOUT_SECONDS: "1.0",
        EnvVar.MAX_AMOUNT_MINOR: str(MAX_AMOUNT),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_settings(**overrides: Any):
    """Settings for the local servers: from the environment, TLS off (the local server has none)."""
    import dataclasses

    from payments.settings import Settings

    base = dict(db_tls=False, db_connect_timeout_seconds=5.0, post_charge_reserve_seconds=0.5)
    base.update(overrides)
    return dataclasses.replace(Settings.from_env(), **base)


class App:
    """The two handlers wired to local PostgreSQL, moto and the stub, plus views of every store. Each
    handler has its own runtime (execution environment), connected as its own database user."""

    def __init__(self, session: Any, pg_admin: Any, stub: StubPaymentApi, settings: Any, aws: Any, tokens: Any) -> None:
        self.aws = aws
        self.tokens = tokens
        self.session = session
        self.pg_admin = pg_admin
        self.stub = stub
        self.settings = settings
        self.faults = Faults()
        self.dynamodb = aws.dynamodb
        self.s3 = aws.s3
        self.new_container()

    def new_container(self, **overrides: Any):
        """A fresh execution environment (cold start): new connections, clients and caches."""
        import dataclasses

        from payments import runtime
        from payments.contract import GET_PAYMENT, RECONCILE

        if overrides:
            self.settings = dataclasses.replace(self.settings, **overrides)
        self.runtime = runtime.configure(self.settings, wrap=with_faults(self.faults), aws=self.aws, token_client=self.tokens)
        self.close_others()
        self.reader = self.function_runtime(GET_PAYMENT)
        self.reconciler = self.function_runtime(RECONCILE)
        return self.runtime

    def function_runtime(self, function: Any, **overrides: Any):
        """Another function's execution environment: these settings, that function's database user."""
        import dataclasses

        from payments import runtime
        from payments.contract import DATABASE_USERS

        settings = dataclasses.replace(self.settings, db_user=DATABASE_USERS[function.name].name, **overrides)
        return runtime.build(settings, wrap=with_faults(self.faults), aws=self.aws, token_client=self.tokens)

    def close_others(self) -> None:
        for name in ("reader", "reconciler"):
            other = getattr(self, name, None)
            if other is not None:
                other.database.close()

    def as_reconciler(self):
        """`with app.as_reconciler():` the reconcile handler runs in its own environment and role."""
        from payments import runtime

        return runtime.using(self.reconciler)

    # -- invoking --------------------------------------------------------------------------------

    def pay(self, body: Any, key: str | None, *, context: FakeContext | None = None, **event_kwargs: Any):
        """process-payment through its handler; `merchant=` picks the caller (None: no identity)."""
        from payments.handlers.process_payment import lambda_handler

        self.last_result = lambda_handler(payment_event(body, key, **event_kwargs), context or FakeContext())
        return self.last_result["statusCode"], json.loads(self.last_result["body"])

    def pay_ok(self) -> bool:
        import uuid

        body = {"amount": 100, "currency": "EUR", "payment_source": "tok_abcdefgh"}
        status, result = self.pay(body, f"key-{uuid.uuid4()}")
        return status == 200 and result["status"] == "succeeded"

    def get(self, payment_id: str, **event_kwargs: Any):
        """get-payment through its handler (as its reader role); `merchant=` picks the caller (None: no identity)."""
        from payments import runtime
        from payments.handlers.get_payment import lambda_handler

        with runtime.using(self.reader):
            self.last_result = lambda_handler(
                get_event(payment_id, **event_kwargs), FakeContext(function_name="payments-test-get-payment")
            )
        return self.last_result["statusCode"], json.loads(self.last_result["body"])

    # -- the stores ------------------------------------------------------------------------------

    def pg_rows(self) -> dict[str, dict[str, Any]]:
        rows = self.pg_admin.run(
            "SELECT payment_id::text, idempotency_key, merchant_id, amount_minor, currency, status,"
            " provider_reference, source_token, charge_key FROM payments"
        )
        names = ("payment_id", "idempotency_key", "merchant_id", "amount", "currency", "status", "provider_reference",
                 "source_token", "charge_key")  # fmt: skip
        return {row[0]: dict(zip(names, row)) for row in rows}

    def _scan(self, table: str) -> list[dict[str, Any]]:
        items, kwargs = [], {"TableName": table, "ConsistentRead": True}
        while True:
            page = self.dynamodb.scan(**kwargs)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def ddb_items(self) -> dict[str, dict[str, Any]]:
        from payments.stores import _from_item

        return {item["payment_id"]["S"]: _from_item(item) for item in self._scan(TRANSACTIONS_TABLE_NAME)}

    def idempotency_items(self) -> list[dict[str, Any]]:
        return self._scan(IDEMPOTENCY_TABLE_NAME)

    def s3_records(self) -> dict[str, dict[str, Any]]:
        records, kwargs = {}, {"Bucket": AUDIT_BUCKET}
        while True:
            page = self.s3.list_objects_v2(**kwargs)
            for obj in page.get("Contents", []):
                body = json.loads(self.s3.get_object(Bucket=AUDIT_BUCKET, Key=obj["Key"])["Body"].read())
                records[obj["Key"]] = body
            if not page.get("IsTruncated"):
                return records
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def s3_etags(self) -> dict[str, str]:
        """Key -> MD5 of the body (the ETag of a single-part upload), without downloading each object."""
        etags, kwargs = {}, {"Bucket": AUDIT_BUCKET}
        while True:
            page = self.s3.list_objects_v2(**kwargs)
            etags.update({obj["Key"]: obj["ETag"].strip('"') for obj in page.get("Contents", [])})
            if not page.get("IsTruncated"):
                return etags
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def s3_version_count(self) -> int:
        return len(self.s3.list_objects_v2(Bucket=AUDIT_BUCKET).get("Contents", []))

    def expire_in_progress(self, key: str, merchant: str = MERCHANT_A) -> bool:
        """Let the Lambda timeout of a crashed invocation elapse: its in-progress record expires."""
        return expire_in_progress(self.dynamodb, IDEMPOTENCY_TABLE_NAME, merchant, key)

    def assert_nothing_written(self) -> None:
        assert self.pg_rows() == {}
        assert self.ddb_items() == {}
        assert self.s3_records() == {}
        assert self.idempotency_items() == []
        assert sum(self.stub.charges.values()) == 0

    def assert_recorded_once(
        self, key: str, body: dict[str, Any], response: dict[str, Any], merchant: str = MERCHANT_A
    ) -> dict[str, Any]:
        """The merchant's payment is in all three stores exactly once, they agree, and the API charged
        it once under its payment id."""
        from payments.models import payment_id_for
        from payments.stores import audit_key

        payment_id = payment_id_for(merchant, key)
        rows = [r for r in self.pg_rows().values() if (r["merchant_id"], r["idempotency_key"]) == (merchant, key)]
        assert len(rows) == 1
        row = rows[0]
        assert row["payment_id"] == payment_id == row["charge_key"]
        assert (row["amount"], row["currency"], row["merchant_id"]) == (body["amount"], body["currency"], merchant)
        assert row["status"] != "pending"
        item = self.ddb_items()[payment_id]
        audit = self.s3_records()[audit_key(merchant, payment_id)]
        assert item == audit == response
        assert response["merchant_id"] == merchant
        assert response["status"] == row["status"] and response.get("provider_reference") == row["provider_reference"]
        assert self.stub.charges[payment_id] == 1
        return row


@pytest.fixture
def log_stream():
    """Everything the handlers log (their JSON lines), captured from the Powertools handler."""
    import io

    from payments.handlers.process_payment import logger

    stream = io.StringIO()
    handler = logger.registered_handler
    previous, handler.stream = handler.stream, stream  # no flush of the previous (capture) stream
    try:
        yield stream
    finally:
        handler.stream = previous


@pytest.fixture
def app(env, aws, pg_admin, stub_api, shared_aws, db_cluster):
    from payments import runtime

    pg_admin.run("TRUNCATE payments")
    stub_api.reset()
    application = App(aws, pg_admin, stub_api, test_settings(), shared_aws, db_cluster.tokens)
    yield application
    stub_api.release()
    application.close_others()
    runtime.reset()
