"""The daily consistency check on real PostgreSQL and moto: it names each payment that is missing
from a store or differs between stores, and reports nothing when the stores agree."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import pytest
from payments_testkit import AUDIT_BUCKET, TRANSACTIONS_TABLE_NAME, FakeContext

from test_reconcile import emitted_metrics

PAYMENTS = [
    ("EUR", 1250, "m_0001"), ("EUR", 990, "m_0002"), ("USD", 5013, "m_0001"),  # 5013: declined
    ("USD", 700, "m_0003"), ("GBP", 42, "m_0002"),
]  # fmt: skip


def pay_all(app) -> dict[str, dict]:
    """payment id -> the record answered to the client."""
    records = {}
    for currency, amount, merchant in PAYMENTS:
        body = {"amount": amount, "currency": currency, "merchant_id": merchant, "payment_source": "tok_abcdefgh"}
        code, record = app.pay(body, f"key-{uuid.uuid4()}", merchant=merchant)
        assert code in (200, 402), record
        records[record["payment_id"]] = record
    return records


def today(app) -> date:
    return app.pg_admin.run("SELECT (now() AT TIME ZONE 'UTC')::date")[0][0]


def check(app, day=None):
    from payments.consistency import ConsistencyCheck

    rt = app.reconciler
    return ConsistencyCheck(
        rt.database, lambda: rt.aws.dynamodb, lambda: rt.aws.s3, rt.settings.transactions_table, rt.settings.audit_bucket
    ).run(day or today(app))


def test_agreeing_stores_report_nothing(app):
    pay_all(app)
    report = check(app)
    assert report.differences == []
    expected = {"EUR": {"count": 2, "amount": 2240}, "GBP": {"count": 1, "amount": 42}, "USD": {"count": 2, "amount": 5713}}
    assert report.totals == {"postgresql": expected, "dynamodb": expected, "s3": expected}
    assert report.summary()["payments"] == {"postgresql": 5, "dynamodb": 5, "s3": 5}
    # another day holds none of them
    assert check(app, date(2001, 1, 1)).totals == {"postgresql": {}, "dynamodb": {}, "s3": {}}


def test_deleted_audit_object_and_altered_amount_are_named(app):
    from payments.stores import audit_key

    records = pay_all(app)
    deleted, altered = sorted(records)[:2]
    app.s3.delete_object(Bucket=AUDIT_BUCKET, Key=audit_key(records[deleted]["merchant_id"], deleted))
    app.dynamodb.update_item(
        TableName=TRANSACTIONS_TABLE_NAME,
        Key={"payment_id": {"S": altered}},
        UpdateExpression="SET amount = :a",
        ExpressionAttributeValues={":a": {"N": str(records[altered]["amount"] + 1)}},
    )
    report = check(app)
    by_id = {d.payment_id: d for d in report.differences}
    assert set(by_id) == {deleted, altered}
    assert by_id[deleted].kind == "missing" and by_id[deleted].missing_from == ("s3",)
    assert by_id[altered].kind == "mismatch"
    assert by_id[altered].values["dynamodb"]["amount"] == records[altered]["amount"] + 1
    assert by_id[altered].values["postgresql"]["amount"] == by_id[altered].values["s3"]["amount"] == records[altered]["amount"]
    currencies = {records[deleted]["currency"], records[altered]["currency"]}
    assert report.currencies_disagreeing == sorted(currencies)
    assert report.totals["s3"][records[deleted]["currency"]]["count"] == report.totals["postgresql"][records[deleted]["currency"]]["count"] - 1


def test_altered_ledger_amount_and_a_stuck_payment_are_named(app):
    from payments_testkit import SimulatedCrash

    records = pay_all(app)
    altered = sorted(records)[-1]
    app.pg_admin.run("UPDATE payments SET amount_minor = amount_minor * 10 WHERE payment_id = CAST(:p AS uuid)", p=altered)
    app.faults.arm("api.charge", "crash_after")
    with pytest.raises(SimulatedCrash):
        app.pay({"amount": 300, "currency": "EUR", "merchant_id": "m_0001", "payment_source": "tok_abcdefgh"}, "key-stuck-0001", merchant="m_0001")
    report = check(app)
    kinds = {d.payment_id: (d.kind, d.missing_from) for d in report.differences}
    from payments.models import payment_id_for

    assert kinds == {altered: ("mismatch", ()), payment_id_for("m_0001", "key-stuck-0001"): ("missing", ("dynamodb", "s3"))}


def test_previous_utc_day_and_day_parsing():
    from payments.consistency import parse_day, previous_utc_day
    from payments.errors import ConfigurationError

    assert previous_utc_day(datetime(2026, 3, 1, 0, 30, tzinfo=timezone.utc)) == date(2026, 2, 28)
    # 01:30 in UTC+02:00 is still the 28th in UTC: the day before is the 27th
    from datetime import timedelta

    assert previous_utc_day(datetime(2026, 3, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))) == date(2026, 2, 27)
    assert parse_day("2026-02-28") == date(2026, 2, 28)
    for bad in ("2026-2-28", "yesterday", 20260228, "2026-02-30"):
        with pytest.raises(ConfigurationError, match="event field 'day' must be a date as YYYY-MM-DD"):
            parse_day(bad)


def test_handler_logs_each_difference_and_raises_the_metric(app, capsys, log_stream):
    import json

    from payments.handlers.reconcile import lambda_handler
    from payments.stores import audit_key

    records = pay_all(app)
    deleted = sorted(records)[0]
    context = FakeContext(function_name="payments-test-reconcile")
    with app.as_reconciler():
        capsys.readouterr()
        result = lambda_handler({"job": "consistency-check", "day": today(app).isoformat()}, context)
        assert result["differences"] == 0 and emitted_metrics(capsys.readouterr().out)["ConsistencyDifferences"] == 0

        app.s3.delete_object(Bucket=AUDIT_BUCKET, Key=audit_key(records[deleted]["merchant_id"], deleted))
        result = lambda_handler({"job": "consistency-check", "day": today(app).isoformat()}, context)
        out = capsys.readouterr().out
        assert result["differences"] == 1 and emitted_metrics(out)["ConsistencyDifferences"] == 1
        lines = [json.loads(line) for line in (out + log_stream.getvalue()).splitlines() if line.startswith("{")]
        logged = [line for line in lines if line.get("message") == "stores disagree on a payment"]
        assert [(line["payment_id"], line["missing_from"]) for line in logged] == [(deleted, ["s3"])]
        # the scheduled event (no day) checks the previous UTC day: none of today's payments
        assert lambda_handler({"job": "consistency-check"}, context)["payments"] == {"postgresql": 0, "dynamodb": 0, "s3": 0}
