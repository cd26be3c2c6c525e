"""End-to-end cases through the handlers with HTTP API events carrying a JWT authorizer's claims for
two merchants, asserting every store afterwards."""

from __future__ import annotations

import uuid

import pytest
from payments_testkit import MERCHANT_A, MERCHANT_B

from payments.models import payment_id_for

VALID = {"amount": 1250, "currency": "EUR", "payment_source": "tok_visa4242abcd"}


def key() -> str:
    return f"key-{uuid.uuid4()}"


def pid(k: str, merchant: str = MERCHANT_A) -> str:
    return payment_id_for(merchant, k)


def hold_for_long(app) -> None:
    """A request held at the stub API stays held (and its client waits) until `release()`, however
    long the other threads take on a loaded machine (the suite's default client timeout is 1 s)."""
    app.new_container(payment_api_timeout_seconds=25.0)
    app.stub.hang_seconds = 25.0  # the next test's `stub.reset()` restores it; the fixture releases the hold


def test_payment_recorded_once_in_all_three_stores(app):
    k = key()
    status, body = app.pay(VALID, k)
    assert status == 200, body
    assert body["status"] == "succeeded" and body["amount"] == 1250 and body["currency"] == "EUR"
    row = app.assert_recorded_once(k, VALID, body)
    assert row["source_token"] == VALID["payment_source"]
    # the API got the payment id as its idempotency key (unique per merchant and key) and in the body
    assert body["payment_id"] == pid(k) and body["merchant_id"] == MERCHANT_A
    assert app.stub.requests == [(pid(k), {"amount": 1250, "currency": "EUR", "merchant_id": MERCHANT_A,
                                           "source": VALID["payment_source"], "payment_id": pid(k)})]
    # the idempotency record is complete and lives at least a day
    (record,) = app.idempotency_items()
    assert record["status"]["S"] == "COMPLETED"
    import time
    assert int(record["expiration"]["N"]) - time.time() >= 86400 - 60


def test_declined_payment_is_recorded_as_declined(app):
    k, body_in = key(), {**VALID, "amount": 5013}
    status, body = app.pay(body_in, k)
    assert status == 402 and body["status"] == "declined"
    app.assert_recorded_once(k, body_in, body)


def test_api_rejection_is_a_final_failed_payment(app):
    app.stub.script("reject")
    k = key()
    status, body = app.pay(VALID, k)
    assert status == 402 and body["status"] == "failed"
    assert app.pg_rows()[body["payment_id"]]["status"] == "failed"
    assert app.ddb_items()[body["payment_id"]] == body
    assert app.stub.charges[pid(k)] == 0


def test_same_request_twice_charges_once_and_returns_same_result(app):
    k = key()
    first = app.pay(VALID, k)
    second = app.pay(VALID, k)
    assert first == second and first[0] == 200
    assert len(app.stub.requests) == 1  # the replay never reached the flow
    app.assert_recorded_once(k, VALID, first[1])
    assert len(app.pg_rows()) == len(app.ddb_items()) == len(app.s3_records()) == 1


def test_same_request_concurrently_charges_once(app):
    """Eight simultaneous requests with one key: one runs, the others are told it is in progress;
    retried after it finished, every one returns the same result. One charge, one row/item/object."""
    import threading

    k = key()
    hold_for_long(app)
    app.stub.script("hold")  # the first request to reach the API waits there until released
    barrier = threading.Barrier(8)
    results: list = [None] * 8

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = app.pay(VALID, k)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    import time

    deadline = time.monotonic() + 20
    while sum(r is not None for r in results) < 7 and time.monotonic() < deadline:
        time.sleep(0.01)
    app.stub.release()
    for t in threads:
        t.join(10)
    statuses = sorted(r[0] for r in results)
    assert statuses == [200] + [409] * 7, statuses
    assert all(r[1]["error"]["code"] == "request_in_progress" for r in results if r[0] == 409)
    winner = next(r for r in results if r[0] == 200)
    for _ in range(7):
        assert app.pay(VALID, k) == winner
    assert len(app.stub.requests) == 1
    app.assert_recorded_once(k, VALID, winner[1])


def test_same_key_different_amount_is_refused_and_writes_nothing(app):
    k = key()
    first = app.pay(VALID, k)
    before = (app.pg_rows(), app.ddb_items(), app.s3_records(), app.idempotency_items())
    for change in ({"amount": 999}, {"currency": "USD"}, {"amount": 999, "currency": "USD"}):
        status, body = app.pay({**VALID, **change}, k)
        assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert (app.pg_rows(), app.ddb_items(), app.s3_records(), app.idempotency_items()) == before
    assert len(app.stub.requests) == 1
    app.assert_recorded_once(k, VALID, first[1])


def test_key_reused_after_idempotency_record_expired_is_refused_by_postgres(app):
    """Past the idempotency layer's expiry the unique key in PostgreSQL still refuses another payload."""
    k = key()
    app.pay(VALID, k)
    table = app.dynamodb
    for item in app.idempotency_items():
        table.delete_item(TableName="payments-test-idempotency", Key={"id": item["id"]})
    status, body = app.pay({**VALID, "amount": 77}, k)
    assert status == 409 and body["error"]["code"] == "idempotency_key_reused"
    assert len(app.pg_rows()) == 1 and next(iter(app.pg_rows().values()))["amount"] == VALID["amount"]
    assert app.idempotency_items() == []
    # the same payload again is a replay of the stored payment, without a new charge
    status, body = app.pay(VALID, k)
    assert status == 200
    app.assert_recorded_once(k, VALID, body)


def test_payment_api_timeout_then_retry_completes_once(app):
    """The API charged but the answer never came: 503, payment pending, nothing in DynamoDB/S3; the
    retry sends the same key, the API replays its result, the payment completes with one charge."""
    app.stub.script("hang_after_charge")
    k = key()
    status, body = app.pay(VALID, k)
    assert status == 503 and body["error"]["code"] == "payment_api_unavailable" and body["error"]["retryable"]
    (row,) = app.pg_rows().values()
    assert row["status"] == "pending"
    assert app.ddb_items() == {} and app.s3_records() == {} and app.idempotency_items() == []
    app.stub.release()
    status, body = app.pay(VALID, k)
    assert status == 200
    assert [r[0] for r in app.stub.requests] == [pid(k), pid(k)]
    app.assert_recorded_once(k, VALID, body)


def test_payment_api_hanging_without_charge_then_retry(app):
    app.stub.script("hang")
    k = key()
    assert app.pay(VALID, k)[0] == 503
    assert app.stub.charges[pid(k)] == 0
    status, body = app.pay(VALID, k)
    assert status == 200
    app.assert_recorded_once(k, VALID, body)


@pytest.mark.parametrize("mode", ["fail", "fail_after_charge"])
def test_payment_api_failing_then_retry(app, mode):
    app.stub.script(mode)
    k = key()
    status, body = app.pay(VALID, k)
    assert status == 502 and body["error"]["code"] == "payment_api_error"
    assert next(iter(app.pg_rows().values()))["status"] == "pending"
    assert app.ddb_items() == {} and app.s3_records() == {} and app.idempotency_items() == []
    status, body = app.pay(VALID, k)
    assert status == 200
    app.assert_recorded_once(k, VALID, body)


def test_not_enough_time_left_never_calls_the_api(app):
    from payments_testkit import FakeContext

    k = key()
    status, body = app.pay(VALID, k, context=FakeContext(timeout_ms=400))  # reserve is 0.5 s
    assert status == 503
    assert app.stub.requests == []
    assert next(iter(app.pg_rows().values()))["status"] == "pending"
    status, body = app.pay(VALID, k)
    app.assert_recorded_once(k, VALID, body)


def test_postgres_unreachable(app):
    from payments_testkit import free_port

    good_port = app.settings.db_port
    app.new_container(db_port=free_port())  # nothing listens there
    k = key()
    status, body = app.pay(VALID, k)
    assert status == 503 and body["error"]["code"] == "database_unavailable"
    app.assert_nothing_written()
    # the database comes back: the retry completes
    app.new_container(db_port=good_port)
    status, body = app.pay(VALID, k)
    assert status == 200
    app.assert_recorded_once(k, VALID, body)


@pytest.mark.parametrize("step", ["db.insert_pending", "api.charge", "db.record_outcome", "tx_log.put", "audit.put"])
def test_crash_after_each_step_then_retry_completes_exactly_once(app, step):
    from payments_testkit import SimulatedCrash

    k = key()
    app.faults.arm(step, "crash_after")
    with pytest.raises(SimulatedCrash):
        app.pay(VALID, k)
    # until the crashed invocation's timeout has passed, a retry is told the request is in progress
    status, body = app.pay(VALID, k)
    assert status == 409 and body["error"]["code"] == "request_in_progress" and body["error"]["retryable"]
    assert app.expire_in_progress(k)
    app.new_container()  # the retry lands on a new execution environment
    status, body = app.pay(VALID, k)
    assert status == 200, body
    app.assert_recorded_once(k, VALID, body)
    assert app.s3_version_count() == 1
    (record,) = app.idempotency_items()
    assert record["status"]["S"] == "COMPLETED"


def test_audit_write_failing_transiently(app):
    """S3 fails once (a real botocore error on the real client): 503, then the retry completes and
    the audit object is written once at the payment's key; DynamoDB was not written twice."""
    from botocore.exceptions import EndpointConnectionError

    s3 = app.runtime.aws.s3  # shared by the tests: the hook is removed below
    calls = {"n": 0}

    def fail_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise EndpointConnectionError(endpoint_url="https://s3.example")

    s3.meta.events.register("before-send.s3.PutObject", fail_once)
    k = key()
    try:
        status, body = app.pay(VALID, k)
    finally:
        s3.meta.events.unregister("before-send.s3.PutObject", fail_once)
    assert status == 503 and body["error"]["code"] == "store_unavailable"
    assert calls["n"] == 1  # one attempt: no retry inside the function
    assert app.s3_records() == {} and len(app.ddb_items()) == 1 and app.idempotency_items() == []
    status, body = app.pay(VALID, k)
    assert status == 200
    app.assert_recorded_once(k, VALID, body)


def test_transaction_log_never_overwritten(app):
    """A different item already under the payment id is a conflict, not an overwrite."""
    k = key()
    app.dynamodb.put_item(TableName="payments-test-transactions", Item={
        "payment_id": {"S": pid(k)}, "merchant_id": {"S": "other"}, "created_at": {"S": "2020-01-01T00:00:00.000000Z"},
        "amount": {"N": "1"}, "currency": {"S": "EUR"}, "status": {"S": "succeeded"}})
    status, body = app.pay(VALID, k)
    assert status == 500 and body["error"]["code"] == "store_conflict"
    assert app.ddb_items()[pid(k)]["merchant_id"] == "other"
    assert app.s3_records() == {}


def test_get_payment(app):
    k = key()
    _, paid = app.pay(VALID, k)
    assert app.get(paid["payment_id"]) == (200, paid)
    assert app.get(str(uuid.uuid4()))[0] == 404
    status, body = app.get("not-a-uuid")
    assert status == 400 and body["error"]["fields"][0]["field"] == "paymentId"


# -- identity and merchant scope (issue 18) ----------------------------------------------------------


def test_no_identity_is_401_before_any_store_is_touched(app):
    """Without authorizer context both functions answer 401, and they do so before anything is read
    or written: here every store is unusable (no database listening, no idempotency table), so
    touching one would give a 503 instead."""
    from payments_testkit import free_port

    app.new_container(db_port=free_port(), idempotency_table="no-such-table", transactions_table="no-such-table")
    status, body = app.pay(VALID, key(), merchant=None)
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    assert app.last_result["headers"]["WWW-Authenticate"] == "Bearer"
    status, body = app.get(str(uuid.uuid4()), merchant=None)
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    app.assert_nothing_written()


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"scope": "payments/payments.write"}, {"client_id": "", "scope": "payments/payments.write"},
     {"client_id": "m:1", "scope": "payments/payments.write"}, {"client_id": ["m1"], "scope": "payments/payments.write"}],
)  # fmt: skip
def test_unusable_identity_is_401(app, claims):
    """An authorizer context without a well-formed merchant claim is no identity (fail closed)."""
    from payments_testkit import FakeContext, payment_event

    from payments.handlers.process_payment import lambda_handler

    event = payment_event(VALID, key())
    event["requestContext"]["authorizer"] = {"jwt": {"claims": claims}} if claims is not None else {"jwt": None}
    assert lambda_handler(event, FakeContext())["statusCode"] == 401
    app.assert_nothing_written()


def test_missing_scope_is_403(app):
    from payments.contract import READ_SCOPE, WRITE_SCOPE

    status, body = app.pay(VALID, key(), scopes=(READ_SCOPE,))
    assert status == 403 and body["error"]["code"] == "insufficient_scope"
    app.assert_nothing_written()
    _, paid = app.pay(VALID, key())
    status, body = app.get(paid["payment_id"], scopes=(WRITE_SCOPE,))
    assert status == 403 and body["error"]["code"] == "insufficient_scope"
    assert app.get(paid["payment_id"], scopes=(READ_SCOPE, WRITE_SCOPE))[0] == 200


def test_body_naming_another_merchant_is_refused(app):
    k = key()
    for named in (MERCHANT_B, "", None):
        status, body = app.pay({**VALID, "merchant_id": named}, k)
        assert status == 403 and body["error"]["code"] == "merchant_mismatch" and not body["error"]["retryable"]
    app.assert_nothing_written()
    # naming oneself is allowed (and changes nothing): the payment is the caller's
    status, body = app.pay({**VALID, "merchant_id": MERCHANT_A}, k)
    assert status == 200 and body["merchant_id"] == MERCHANT_A
    app.assert_recorded_once(k, VALID, body)


def test_same_key_from_two_merchants_makes_two_payments(app):
    k = key()
    body_a, body_b = VALID, {**VALID, "amount": 777, "currency": "USD"}
    status_a, paid_a = app.pay(body_a, k, merchant=MERCHANT_A)
    status_b, paid_b = app.pay(body_b, k, merchant=MERCHANT_B)
    assert status_a == status_b == 200 and paid_a["payment_id"] != paid_b["payment_id"]
    app.assert_recorded_once(k, body_a, paid_a, merchant=MERCHANT_A)
    app.assert_recorded_once(k, body_b, paid_b, merchant=MERCHANT_B)
    assert len(app.pg_rows()) == len(app.ddb_items()) == len(app.s3_records()) == 2
    assert len(app.idempotency_items()) == 2
    # each replay returns the merchant's own payment; a 409 only concerns the caller's own key
    assert app.pay(body_a, k, merchant=MERCHANT_A) == (200, paid_a)
    assert app.pay(body_b, k, merchant=MERCHANT_B) == (200, paid_b)
    status, conflict = app.pay({**body_a, "amount": 1}, k, merchant=MERCHANT_A)
    assert status == 409 and conflict["error"]["code"] == "idempotency_key_reused"
    assert len(app.stub.requests) == 2


def test_same_key_from_two_merchants_at_the_same_time(app):
    """Both requests are in flight together (held at the payment API): neither is told the other's
    request is in progress, and each is charged once under its own payment id."""
    import threading

    k = key()
    hold_for_long(app)
    app.stub.script("hold", "hold")
    results = {}

    def pay(merchant):
        results[merchant] = app.pay(VALID, k, merchant=merchant)

    threads = [threading.Thread(target=pay, args=(m,)) for m in (MERCHANT_A, MERCHANT_B)]
    for t in threads:
        t.start()
    import time

    deadline = time.monotonic() + 20
    while len(app.stub.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    app.stub.release()
    for t in threads:
        t.join(10)
    assert [results[m][0] for m in (MERCHANT_A, MERCHANT_B)] == [200, 200]
    for merchant in (MERCHANT_A, MERCHANT_B):
        app.assert_recorded_once(k, VALID, results[merchant][1], merchant=merchant)


def test_other_merchants_payment_is_404_like_an_unknown_one(app):
    _, paid = app.pay(VALID, key(), merchant=MERCHANT_A)
    assert app.get(paid["payment_id"], merchant=MERCHANT_A) == (200, paid)
    other = app.get(paid["payment_id"], merchant=MERCHANT_B)
    unknown = app.get(str(uuid.uuid4()), merchant=MERCHANT_B)
    assert other[0] == unknown[0] == 404 and other[1] == unknown[1]  # nothing tells them apart
