"""Request validation: the typed model on its own, and every kind of invalid input through the handler
(refused with a 4xx naming the field, nothing written anywhere, no card number in any log line)."""

from __future__ import annotations

import json
import uuid

import pytest
from payments_testkit import MERCHANT_A, MERCHANT_B

from payments.models import (
    ISO_4217,
    is_merchant_id,
    legacy_payment_id_for,
    looks_like_pan,
    merchant_mismatch,
    parse_payment_id,
    parse_payment_request,
    payment_id_for,
)

VALID = {"amount": 1250, "currency": "EUR", "payment_source": "tok_visa4242abcd"}
KEY = "key-0123456789"
PAN = "4111111111111111"


def fields(body, key=KEY, max_amount=1_000_000, merchant=MERCHANT_A):
    request, errors = parse_payment_request(body, key, merchant_id=merchant, max_amount_minor=max_amount)
    assert (request is None) == bool(errors)
    return sorted(e.field for e in errors)


def test_valid_request_parses():
    request, errors = parse_payment_request(VALID, KEY, merchant_id=MERCHANT_A, max_amount_minor=1_000_000)
    assert errors == [] and request.amount == 1250 and request.idempotency_key == KEY
    assert request.merchant_id == MERCHANT_A
    assert request.payment_id == str(uuid.uuid5(uuid.UUID("5b0e3c52-2f4e-5a8f-8d1c-6e2b7a9c4d10"), f"{MERCHANT_A}:{KEY}"))


def test_payment_ids_are_per_merchant_and_apart_from_legacy_ids():
    assert payment_id_for(MERCHANT_A, KEY) != payment_id_for(MERCHANT_B, KEY)
    assert payment_id_for(MERCHANT_A, KEY) == payment_id_for(MERCHANT_A, KEY)
    # before migration 2 a payment's id was uuid5(legacy namespace, key): those ids stay valid, and a
    # new id never equals one, even for a legacy key that looks like "merchant:key"
    assert legacy_payment_id_for(KEY) == str(uuid.uuid5(uuid.UUID("8f4b1f1e-6c1a-5d2e-9a57-3c0d3b1f0a11"), KEY))
    assert payment_id_for(MERCHANT_A, KEY) != legacy_payment_id_for(f"{MERCHANT_A}:{KEY}")


@pytest.mark.parametrize("amount", [0, -1, 1_000_001, 12.5, 10.0, True, "100", None, [1]])
def test_amount(amount):
    assert fields({**VALID, "amount": amount}) == ["amount"]


def test_amount_limit_is_inclusive():
    assert fields({**VALID, "amount": 5000}, max_amount=5000) == []
    assert fields({**VALID, "amount": 5001}, max_amount=5000) == ["amount"]


@pytest.mark.parametrize("currency", ["eur", "EURO", "XXX", "ABC", "", 978, None])
def test_currency(currency):
    assert fields({**VALID, "currency": currency}) == ["currency"]


def test_iso_4217_list():
    assert {"EUR", "USD", "GBP", "JPY", "CHF"} <= ISO_4217 and all(len(c) == 3 and c.isupper() for c in ISO_4217)


def test_merchant_in_the_body_may_only_repeat_the_caller():
    assert fields({**VALID, "merchant_id": MERCHANT_A}) == []
    for other in (MERCHANT_B, "", None, 12, MERCHANT_A.upper()):
        assert merchant_mismatch({**VALID, "merchant_id": other}, MERCHANT_A)
        assert fields({**VALID, "merchant_id": other}) == ["merchant_id"]
    assert not merchant_mismatch(VALID, MERCHANT_A) and not merchant_mismatch([VALID], MERCHANT_A)


@pytest.mark.parametrize("merchant", ["", "-m", "m/1", "m 1", "m:1", "m" * 65, 12, None, "../etc"])
def test_merchant_id_format(merchant):
    assert not is_merchant_id(merchant)
    assert is_merchant_id(MERCHANT_A) and is_merchant_id("m_0001")


@pytest.mark.parametrize("key", [None, "", "short", "k" * 129, "key with spaces", "key/slash!", 12345678])
def test_idempotency_key(key):
    assert fields(VALID, key=key) == ["idempotency_key"]


@pytest.mark.parametrize(
    "source",
    [PAN, "4111 1111 1111 1111", "4111-1111-1111-1111", "tok_4111111111111111", "378282246310005",
     "card", "tok_short", "TOK_abcdefghij", "", 4111111111111111, None],
)  # fmt: skip
def test_payment_source_is_a_token_never_a_card_number(source):
    assert fields({**VALID, "payment_source": source}) == ["payment_source"]


def test_pan_detection():
    assert looks_like_pan("5555 5555 5555 4444") and looks_like_pan("x4000056655665556y")
    assert not looks_like_pan("tok_12345678901") and not looks_like_pan("tok_visa4242abcd")


def test_unknown_fields_and_non_objects():
    assert fields({**VALID, "card_number": PAN}) == ["card_number"]
    assert fields({**VALID, PAN: 1}) == ["body"]  # a field name that is a card number is not echoed
    for body in ([VALID], "x", None, 3):
        assert fields(body) == ["body"]


def test_all_errors_at_once():
    assert fields({"amount": 0, "currency": "eur"}, key=None) == [
        "amount", "currency", "idempotency_key", "payment_source",
    ]  # fmt: skip


def test_error_messages_never_echo_values():
    request, errors = parse_payment_request(
        {"amount": PAN, "currency": PAN, "merchant_id": PAN + "/", "payment_source": PAN, "cvv": PAN}, PAN + "!",
        merchant_id=MERCHANT_A, max_amount_minor=10,
    )  # fmt: skip
    assert request is None and PAN not in json.dumps([e.as_dict() for e in errors])


def test_payment_id_parsing():
    pid = str(uuid.uuid4())
    assert parse_payment_id(pid.upper()) == (pid, [])
    assert parse_payment_id("nope")[1][0].field == "payment_id"
    assert parse_payment_id(None)[1][0].field == "payment_id"


INVALID_REQUESTS = [
    ({**VALID, "amount": 0}, KEY, 422, ["amount"]),
    ({**VALID, "amount": 1_000_001}, KEY, 422, ["amount"]),
    ({**VALID, "amount": "12.50"}, KEY, 422, ["amount"]),
    ({**VALID, "currency": "usd"}, KEY, 422, ["currency"]),
    ({**VALID, "payment_source": PAN}, KEY, 422, ["payment_source"]),
    ({**VALID, "payment_source": "4111 1111 1111 1111"}, KEY, 422, ["payment_source"]),
    ({**VALID, "card_number": PAN}, KEY, 422, ["card_number"]),
    (VALID, None, 422, ["idempotency_key"]),
    (VALID, "k" * 200, 422, ["idempotency_key"]),
    ({}, KEY, 422, ["amount", "currency", "payment_source"]),
    ([VALID], KEY, 400, ["body"]),
    ("not json", KEY, 400, ["body"]),
]


@pytest.mark.parametrize("body, key, status, named", INVALID_REQUESTS)
def test_invalid_input_refused_and_nothing_written(app, capsys, log_stream, body, key, status, named):
    raw = body if body == "not json" else None
    got_status, got = app.pay(body, key, raw_body=raw)
    assert got_status == status
    assert got["error"]["retryable"] is False
    assert sorted(f["field"] for f in got["error"]["fields"]) == named
    app.assert_nothing_written()
    assert app.stub.requests == []
    out = capsys.readouterr()
    logged = log_stream.getvalue() + out.out + out.err
    assert "payment request rejected" in logged
    assert PAN not in logged and "4111 1111" not in logged
    assert PAN not in json.dumps(got)


def test_logs_carry_correlation_id_and_no_secrets(app, capsys, log_stream):
    status, body = app.pay(VALID, KEY + "-logs", correlation_id="corr-1234")
    assert status == 200
    out = capsys.readouterr().out + log_stream.getvalue()
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert lines, out
    assert all(line["correlation_id"] == "corr-1234" for line in lines)
    processed = next(line for line in lines if line["message"] == "payment processed")
    assert processed["payment_id"] == body["payment_id"] and processed["status"] == "succeeded"
    for secret in (VALID["payment_source"], app.runtime.credentials.get().password, KEY + "-logs"):
        assert secret not in out
    # metrics were emitted (EMF) with the outcome
    assert '"PaymentSucceeded"' in out


def test_correlation_id_falls_back_to_the_request_id(app, log_stream):
    from payments_testkit import payment_event

    from payments.handlers.process_payment import lambda_handler
    from payments_testkit import FakeContext

    event = payment_event(VALID, None, correlation_id="bad id with spaces")
    result = lambda_handler(event, FakeContext())
    assert result["statusCode"] == 422
    assert result["headers"]["X-Correlation-Id"] == event["requestContext"]["requestId"]
    (line,) = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert line["correlation_id"] == event["requestContext"]["requestId"]
    assert line["invalid_fields"] == ["idempotency_key"]
