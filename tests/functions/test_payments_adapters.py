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
    assert settings.payment_api_timeout_seconds == 0.3 and settings.max_amount_minor == 1_000_000
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


def test_database_rows_are_written_once(app):
    db = app.runtime.database
    req = request()
    row, created = db.insert_pending(req)
    assert created and row.status == "pending" and row.payment_id == req.payment_id
    again, created = db.insert_pending(req)
    assert not created and again == row
    final = db.record_outcome(row.payment_id, "succeeded", "ref_1")
    assert final.status == "succeeded" and final.provider_reference == "ref_1"
    # the first outcome wins
    assert db.record_outcome(row.payment_id, "declined", "ref_2") == final
    assert db.get(row.payment_id) == final and db.get(str(uuid.uuid4())) is None
    from payments.errors import IdempotencyConflict

    with pytest.raises(IdempotencyConflict):
        db.insert_pending(dataclasses.replace(req, amount=req.amount + 1))
    assert len(app.pg_rows()) == 1


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


def test_api_client_sends_idempotency_key(stub_api):
    from payments.payment_api import PaymentApiClient

    stub_api.reset()
    client = PaymentApiClient(stub_api.url, 1.0)
    req = request(amount=1013)
    assert client.charge(req, "pid").status == "declined"
    assert client.charge(req, "pid") == client.charge(req, "pid")
    assert stub_api.charges[req.idempotency_key] == 1
    assert {k for k, _ in stub_api.requests} == {req.idempotency_key}


def test_api_client_timeout(stub_api):
    from payments.payment_api import PaymentApiClient

    stub_api.reset()
    stub_api.script("hang")
    client = PaymentApiClient(stub_api.url, 5.0)
    started = time.monotonic()
    with pytest.raises(PaymentApiUnavailable):
        client.charge(request(), "pid", timeout_seconds=0.2)  # the caller's budget caps the timeout
    assert time.monotonic() - started < 1.0
    stub_api.release()


def test_api_client_unreachable():
    from payments.payment_api import PaymentApiClient
    from payments_testkit import free_port

    with pytest.raises(PaymentApiUnavailable):
        PaymentApiClient(f"http://127.0.0.1:{free_port()}/charges", 0.5).charge(request(), "pid")


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
                     datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 1, 1, tzinfo=timezone.utc))  # fmt: skip
    audit = AuditLog(app.settings.audit_bucket, lambda: app.aws.s3)
    record = payment_record(row)
    assert audit.put(record) == audit.put(record) == f"payments/m_7/{row.payment_id}.json"
    assert app.s3_records() == {f"payments/m_7/{row.payment_id}.json": record}
