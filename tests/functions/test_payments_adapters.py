"""Each module on its own: settings, the database layer (rows, TLS),
the payment API client (header, timeout, status mapping) and the stores (conditional put, audit key)."""

from __future__ import annotations

import dataclasses
import ssl
import time
import uuid
from datetime import datetime, timezone

import pytest

from payments.contract import EnvVar
from payments.errors import (
    ConfigurationError,
    DatabaseUnavailable,
    PaymentApiError,
    PaymentApiUnavailable,
    StoreConflict,
)
from payments.models import PaymentRequest


def request(key: str | None = None, amount: int = 700) -> PaymentRequest:
    return PaymentRequest(key or f"key-{uuid.uuid4()}", amount, "EUR", "m_7", "tok_abcdefgh12")


# -- settings ------------------------------------------------------------------------------------


def test_settings_from_env(env):
    from payments.settings import Settings

    settings = Settings.from_env()
    assert settings.payment_api_timeout_seconds == 1.0 and settings.max_amount_minor == 1_000_000
    assert settings.db_tls is True  # TLS is on unless code says otherwise: no env switch turns it off
    assert settings.idempotency_expiry_seconds >= 86400
    # every remote call has a timeout and together they fit well inside an API-facing Lambda timeout
    assert settings.worst_case_seconds() < 29


@pytest.mark.parametrize(
    "var, value",
    [(EnvVar.DB_HOST, ""), (EnvVar.MAX_AMOUNT_MINOR, "ten"), (EnvVar.MAX_AMOUNT_MINOR, "0"),
     (EnvVar.PAYMENT_API_TIMEOUT_SECONDS, "-1"), (EnvVar.PAYMENT_API_ENDPOINT, "ftp://x")],
)  # fmt: skip
def test_settings_refuse_bad_environment(env, monkeypatch, var, value):
    from payments.settings import Settings

    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigurationError, match=str(var)):
        Settings.from_env()


# -- database (credentials, roles and migrations: test_payments_database.py) ----------------------


def test_migration_2_scopes_rows_of_the_old_schema_per_merchant(app, pg_server, pg_admin, db_cluster):
    """A database built by migration 1 only, holding payments written by the old code (global keys,
    ids uuid5(key), the API charged under the raw key), migrated to the current schema by the runner:
    the rows keep their ids and stay reachable by their merchant only; a pending one is finished
    without a second charge, by its client's retry or by reconciliation; another merchant may now
    use the same key."""
    from pg8000.exceptions import DatabaseError
    from test_payments_database import FreshDatabase

    from payments import migrations
    from payments.models import legacy_payment_id_for, payment_id_for
    from payments_testkit import DB_NAME, MERCHANT_A, MERCHANT_B

    db = FreshDatabase(pg_server, pg_admin, db_cluster.master)
    conn = db.connect()
    try:
        assert [m.version for m in migrations.apply(conn, migrations.load()[:1]).applied] == [1]
        k1, k2, k3, k4 = (f"old-key-{i}-{uuid.uuid4().hex[:8]}" for i in range(4))
        old_insert = (
            "INSERT INTO payments (payment_id, idempotency_key, merchant_id, amount_minor, currency, source_token,"
            " status, provider_reference) VALUES (CAST(:pid AS uuid), :key, :merchant, :amount, :currency, 'tok_oldtoken1',"
            " :status, :ref)"
        )
        for key, merchant, amount, currency, status, ref in [
            (k1, MERCHANT_A, 1000, "EUR", "succeeded", "ref_old_1"),
            (k2, MERCHANT_A, 2000, "EUR", "pending", None),  # charged, outcome never recorded; retried
            (k3, MERCHANT_B, 3000, "USD", "succeeded", "ref_old_3"),
            (k4, MERCHANT_B, 4000, "USD", "pending", None),  # charged, never retried: reconciliation's
        ]:
            conn.run(old_insert, pid=legacy_payment_id_for(key), key=key, merchant=merchant, amount=amount,
                     currency=currency, status=status, ref=ref)  # fmt: skip
        with pytest.raises(DatabaseError, match="payments_idempotency_key_key"):  # the old shape: keys are global
            conn.run(old_insert, pid=str(uuid.uuid4()), key=k1, merchant=MERCHANT_B, amount=1, currency="EUR",
                     status="pending", ref=None)  # fmt: skip
        app.stub._charge(k2, {"amount": 2000, "currency": "EUR"})  # the old code charged under the raw key
        app.stub._charge(k4, {"amount": 4000, "currency": "USD"})
        shape = "SELECT payment_id::text, idempotency_key, merchant_id, amount_minor, status FROM payments ORDER BY 2"
        before = conn.run(shape)

        applied = migrations.apply(conn).applied
        assert [m.version for m in applied] == [m.version for m in migrations.load() if m.version > 1]
        conn.run("SET search_path TO payments, public")
        assert conn.run(shape) == before
        assert conn.run("SELECT count(*) FROM payments WHERE charge_key IS NOT NULL") == [[0]]
        assert conn.run("SELECT count(*) FROM pg_indexes WHERE indexname = 'payments_idempotency_key_key'") == [[0]]
        assert conn.run("SELECT indexdef FROM pg_indexes WHERE indexname = 'payments_merchant_idempotency_key'") == [
            ["CREATE UNIQUE INDEX payments_merchant_idempotency_key ON payments.payments USING btree (merchant_id, idempotency_key)"]
        ]

        # the functions, each as its own database user, on the migrated database
        app.new_container(db_name=db.name)
        status, body = app.pay({"amount": 2000, "currency": "EUR", "payment_source": "tok_oldtoken1"}, k2)
        assert status == 200 and body["payment_id"] == legacy_payment_id_for(k2) and body["merchant_id"] == MERCHANT_A
        assert app.stub.requests[-1][0] == k2 and app.stub.charges[k2] == 1  # the API replayed: one charge
        assert app.ddb_items()[body["payment_id"]] == body
        assert app.s3_records()[f"payments/{MERCHANT_A}/{body['payment_id']}.json"] == body

        status, old = app.get(legacy_payment_id_for(k1), merchant=MERCHANT_A)
        assert status == 200 and old["amount"] == 1000 and old["provider_reference"] == "ref_old_1"
        assert app.get(legacy_payment_id_for(k1), merchant=MERCHANT_B)[0] == 404
        assert app.get(legacy_payment_id_for(k3), merchant=MERCHANT_A)[0] == 404

        status, again = app.pay({"amount": 1000, "currency": "EUR", "payment_source": "tok_oldtoken1"}, k1)
        assert status == 200 and again == old  # the old payment, replayed, not charged again
        status, body = app.pay({"amount": 999, "currency": "EUR", "payment_source": "tok_oldtoken1"}, k1)
        assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
        status, body = app.pay({"amount": 500, "currency": "EUR", "payment_source": "tok_newtoken1"}, k1, merchant=MERCHANT_B)
        assert status == 200 and body["payment_id"] == payment_id_for(MERCHANT_B, k1)
        assert conn.run("SELECT count(*) FROM payments WHERE idempotency_key = :k", k=k1) == [[2]]

        # reconciliation asks the API under the key the old code charged with, and finishes k4
        from payments.reconcile import ReconcileSettings, Reconciler, ReconcileStore

        rt = app.reconciler
        report = Reconciler(ReconcileStore(rt.database), rt.service, rt.service.api,
                            ReconcileSettings(pending_threshold_seconds=0.001, batch_size=10, max_attempts=3)
                            ).run(time.monotonic() + 30)  # fmt: skip
        assert report.reconciled == [legacy_payment_id_for(k4)] and app.stub.lookups[k4] == 1
        assert app.ddb_items()[legacy_payment_id_for(k4)]["status"] == "succeeded"
        assert set(app.stub.charges) == {k2, k4, payment_id_for(MERCHANT_B, k1)}
        assert all(count == 1 for count in app.stub.charges.values())
    finally:
        app.new_container(db_name=DB_NAME)  # back to the suite's database, closing the connections
        db.drop()


def test_database_rows_are_written_once(app):
    db = app.runtime.database
    req = request()
    row, created = db.insert_pending(req)
    assert created and row.status == "pending" and row.payment_id == req.payment_id == row.charge_key
    again, created = db.insert_pending(req)
    assert not created and again == row
    final = db.record_outcome(row.payment_id, "succeeded", "ref_1")
    assert final.status == "succeeded" and final.provider_reference == "ref_1"
    # the first outcome wins
    assert db.record_outcome(row.payment_id, "declined", "ref_2") == final
    assert db.get(row.payment_id, req.merchant_id) == final and db.get(str(uuid.uuid4()), req.merchant_id) is None
    assert db.get(row.payment_id, "m_other") is None  # another merchant's: not found
    from payments.errors import IdempotencyConflict

    with pytest.raises(IdempotencyConflict):
        db.insert_pending(dataclasses.replace(req, amount=req.amount + 1))
    assert len(app.pg_rows()) == 1
    # the same key for another merchant is another payment
    other, created = db.insert_pending(dataclasses.replace(req, merchant_id="m_other", amount=req.amount + 1))
    assert created and other.payment_id != row.payment_id and len(app.pg_rows()) == 2


def test_with_tls_off_the_connection_asks_for_no_tls_at_all(app):
    """db_tls off (the local test server) means a plain startup message, not pg8000's default of
    first asking for TLS and using it unverified."""
    import socket
    import struct
    import threading

    from payments.db import connect

    first_message: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_once() -> None:
        conn, _ = listener.accept()
        with conn:
            first_message.append(conn.recv(8))  # then close: the client fails, which is fine here

    server = threading.Thread(target=accept_once)
    server.start()
    settings = app.settings.__class__(**{**dataclasses.asdict(app.settings), "db_port": port, "db_connect_timeout_seconds": 5.0})
    with pytest.raises(DatabaseUnavailable):
        connect(settings, app.runtime.credentials)
    server.join(5)
    listener.close()
    length, code = struct.unpack("!ii", first_message[0])
    assert code == 196608  # StartupMessage, protocol 3.0; an SSLRequest is code 80877103


def test_tls_is_required_when_enabled(app):
    """With TLS on, a server without TLS is refused, never silently used in clear text."""
    from payments.db import tls_context

    context = tls_context(app.settings.__class__(**{**dataclasses.asdict(app.settings), "db_tls": True}))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert tls_context(app.settings) is None
    app.new_container(db_tls=True)
    with pytest.raises(DatabaseUnavailable):
        app.runtime.database.insert_pending(request())
    assert app.pg_rows() == {}


def test_tls_trusts_the_shipped_rds_roots_of_the_region():
    """The bundled CA file is what verifies Aurora (ca_cert_identifier rds-ca-rsa2048-g1 in the data layer)."""
    from payments.db import _BUNDLED_CA

    context = ssl.create_default_context(cafile=_BUNDLED_CA)
    subjects = [dict(part[0] for part in cert["subject"]).get("commonName") for cert in context.get_ca_certs()]
    assert "Amazon RDS us-east-1 Root CA RSA2048 G1" in subjects
    assert all(cert["notAfter"] for cert in context.get_ca_certs())
    now = time.time()
    assert all(ssl.cert_time_to_seconds(cert["notAfter"]) > now for cert in context.get_ca_certs()), "expired CA shipped"


# -- payment API client --------------------------------------------------------------------------


def test_api_client_sends_the_charge_key(stub_api):
    from payments.payment_api import PaymentApiClient

    stub_api.reset()
    client = PaymentApiClient(stub_api.url, 1.0)
    req = request(amount=1013)
    assert client.charge(req, req.payment_id, req.payment_id).status == "declined"
    assert client.charge(req, req.payment_id, req.payment_id) == client.charge(req, req.payment_id, req.payment_id)
    assert stub_api.charges[req.payment_id] == 1
    assert {k for k, _ in stub_api.requests} == {req.payment_id}


def test_api_client_timeout(stub_api):
    from payments.payment_api import PaymentApiClient

    stub_api.reset()
    stub_api.script("hang")
    client = PaymentApiClient(stub_api.url, 5.0)
    started = time.monotonic()
    with pytest.raises(PaymentApiUnavailable):
        client.charge(request(), "pid", "pid", timeout_seconds=0.2)  # the caller's budget caps the timeout
    assert time.monotonic() - started < 1.0
    stub_api.release()


def test_api_client_unreachable():
    from payments.payment_api import PaymentApiClient
    from payments_testkit import free_port

    with pytest.raises(PaymentApiUnavailable):
        PaymentApiClient(f"http://127.0.0.1:{free_port()}/charges", 0.5).charge(request(), "pid", "pid")


@pytest.mark.parametrize(
    "status, raw, outcome",
    [(200, b'{"status": "succeeded", "reference": "r"}', "succeeded"), (201, b'{"status": "declined"}', "declined"),
     (402, b"", "declined"), (400, b"{}", "failed"), (422, b"garbage", "failed"),
     (500, b"", PaymentApiError), (503, b"", PaymentApiError), (429, b"", PaymentApiError),
     (409, b"", PaymentApiError), (200, b"garbage", PaymentApiError), (200, b'{"status": "maybe"}', PaymentApiError)],
)  # fmt: skip
def test_api_status_mapping(status, raw, outcome):
    from payments.payment_api import _interpret

    if isinstance(outcome, str):
        assert _interpret(status, raw).status == outcome
    else:
        with pytest.raises(outcome):
            _interpret(status, raw)


# -- stores --------------------------------------------------------------------------------------


def _record(**changes):
    record = {"payment_id": str(uuid.uuid4()), "merchant_id": "m_7", "amount": 700, "currency": "EUR",
              "status": "succeeded", "created_at": "2025-01-01T00:00:00.000000Z", "provider_reference": "r"}  # fmt: skip
    record.update(changes)
    return record


def test_transaction_log_put_once(app):
    from payments.stores import TransactionLog

    log = TransactionLog(app.settings.transactions_table, lambda: app.aws.dynamodb)
    record = _record()
    assert log.put(record) is True
    assert log.put(record) is False  # the same item: a retry, accepted, not rewritten
    with pytest.raises(StoreConflict):
        log.put({**record, "amount": 701})
    assert app.ddb_items() == {record["payment_id"]: record}
    # the merchant index from the contract is there and queryable
    from payments.contract import MERCHANT_INDEX

    found = app.aws.dynamodb.query(
        TableName=app.settings.transactions_table, IndexName=MERCHANT_INDEX,
        KeyConditionExpression="merchant_id = :m", ExpressionAttributeValues={":m": {"S": "m_7"}},
    )  # fmt: skip
    assert found["Count"] == 1


def test_audit_key_is_deterministic(app):
    from payments.db import PaymentRow
    from payments.stores import AuditLog, payment_record

    row = PaymentRow(str(uuid.uuid4()), "k", "m_7", 700, "EUR", "succeeded", None,
                     datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 1, tzinfo=timezone.utc), "k")  # fmt: skip
    audit = AuditLog(app.settings.audit_bucket, lambda: app.aws.s3)
    record = payment_record(row)
    assert audit.put(record) == audit.put(record) == f"payments/m_7/{row.payment_id}.json"
    assert app.s3_records() == {f"payments/m_7/{row.payment_id}.json": record}
