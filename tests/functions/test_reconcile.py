"""Reconciliation on real PostgreSQL, moto and the stub payment API: payments whose request died and
was never retried are finished exactly once, through the flow's own code path."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from payments_testkit import MERCHANT_A, FakeContext, SimulatedCrash

from payments.models import payment_id_for

# The merchant is the caller (the token's client id); naming it in the body is allowed.
VALID = {"amount": 1250, "currency": "EUR", "merchant_id": MERCHANT_A, "payment_source": "tok_visa4242abcd"}


def key() -> str:
    return f"key-{uuid.uuid4()}"


def reconciler(app, runtime=None, *, threshold=0.001, batch_size=100, max_attempts=3, log=None):
    from payments.reconcile import ReconcileSettings, Reconciler, ReconcileStore

    rt = runtime or app.reconciler  # its own environment, as payments_reconciler
    settings = ReconcileSettings(pending_threshold_seconds=threshold, batch_size=batch_size, max_attempts=max_attempts)
    return Reconciler(ReconcileStore(rt.database), rt.service, rt.service.api, settings, log=log)


def run(app, **kwargs):
    return reconciler(app, **kwargs).run(time.monotonic() + 30)


def stuck_payment(app, step: str, body=None) -> tuple[str, dict]:
    """A request whose invocation dies right after `step`; its client never retries."""
    k, body = key(), body or dict(VALID)
    app.faults.arm(step, "crash_after")
    with pytest.raises(SimulatedCrash):
        app.pay(body, k)
    app.expire_in_progress(k)  # the dead invocation's timeout elapses (long before reconciliation)
    app.new_container()  # and its environment is gone with its connections
    return k, body


def reconcile_columns(app, payment_id: str) -> dict:
    row = app.pg_admin.run(
        "SELECT status, failure_reason, published_at IS NOT NULL, reconcile_attempts, reconcile_lease_until IS NOT NULL"
        " FROM payments WHERE payment_id = CAST(:pid AS uuid)",
        pid=payment_id,
    )[0]
    return dict(zip(("status", "failure_reason", "published", "attempts", "leased"), row))


def assert_stores_agree(app, key_, body, status):
    from payments.stores import audit_key

    pid = payment_id_for(MERCHANT_A, key_)
    row = app.pg_rows()[pid]
    assert row["status"] == status
    assert (row["amount"], row["currency"], row["merchant_id"]) == (body["amount"], body["currency"], body["merchant_id"])
    item = app.ddb_items()[pid]
    assert item == app.s3_records()[audit_key(body["merchant_id"], pid)]
    assert item["status"] == status and item["amount"] == body["amount"]
    assert item.get("provider_reference") == row["provider_reference"]
    assert reconcile_columns(app, pid)["published"]
    return item


@pytest.mark.parametrize(("amount", "status"), [(1250, "succeeded"), (5013, "declined")])
def test_crash_after_charge_without_retry_is_finished_once(app, amount, status):

    k, body = stuck_payment(app, "api.charge", {**VALID, "amount": amount})
    pid = payment_id_for(MERCHANT_A, k)
    assert app.pg_rows()[pid]["status"] == "pending" and app.ddb_items() == {} and app.s3_records() == {}
    assert app.stub.charges[payment_id_for(MERCHANT_A, k)] == 1

    report = run(app)
    assert report.claimed == report.reconciled == [pid] and report.failed == [] and report.still_pending == 0
    assert app.stub.charges[payment_id_for(MERCHANT_A, k)] == 1 and app.stub.lookups[payment_id_for(MERCHANT_A, k)] == 1  # asked, never charged again
    item = assert_stores_agree(app, k, body, status)
    assert reconcile_columns(app, pid) == {"status": status, "failure_reason": None, "published": True, "attempts": 1, "leased": False}

    # idempotent across runs: nothing left to claim, nothing written again
    again = run(app)
    assert again.claimed == [] and app.stub.lookups[payment_id_for(MERCHANT_A, k)] == 1 and app.ddb_items()[pid] == item
    # the client's late retry gets the same outcome, no new charge
    code, result = app.pay(body, k)
    assert (code, result) == ({"succeeded": 200, "declined": 402}[status], item)
    assert app.stub.charges[payment_id_for(MERCHANT_A, k)] == 1


def test_key_never_seen_by_the_api_fails_after_max_attempts(app):

    k, body = stuck_payment(app, "db.insert_pending")
    pid = payment_id_for(MERCHANT_A, k)
    for attempt in (1, 2):
        report = run(app, max_attempts=3)
        assert report.left_pending == [pid] and report.failed == [] and report.still_pending == 1
        assert reconcile_columns(app, pid) == {"status": "pending", "failure_reason": None, "published": False, "attempts": attempt, "leased": False}
    assert app.ddb_items() == {}

    report = run(app, max_attempts=3)
    assert report.failed == [pid] and report.still_pending == 0 and report.oldest_pending_age_seconds == 0
    columns = reconcile_columns(app, pid)
    assert columns["status"] == "failed" and columns["attempts"] == 3 and columns["published"]
    assert columns["failure_reason"] == "payment API has no charge for this idempotency key after 3 reconciliation attempts"
    item = assert_stores_agree(app, k, body, "failed")
    assert app.stub.lookups[payment_id_for(MERCHANT_A, k)] == 3 and app.stub.charges[payment_id_for(MERCHANT_A, k)] == 0 and app.stub.requests == []
    # a late client retry is answered with the failure, and the API is not called
    assert app.pay(body, k) == (402, item)
    assert app.stub.charges[payment_id_for(MERCHANT_A, k)] == 0


def test_api_that_cannot_answer_never_fails_a_payment(app):

    k, body = stuck_payment(app, "api.charge")
    pid = payment_id_for(MERCHANT_A, k)
    for _ in range(4):  # beyond max_attempts: the API may have charged, so the payment waits
        app.stub.script_lookup("fail")
        report = run(app, max_attempts=2)
        assert report.left_pending == [pid] and report.failed == [] and report.still_pending == 1
    assert reconcile_columns(app, pid)["status"] == "pending"
    report = run(app, max_attempts=2)  # the API answers again
    assert report.reconciled == [pid]
    assert_stores_agree(app, k, body, "succeeded")
    assert app.stub.charges[payment_id_for(MERCHANT_A, k)] == 1 and reconcile_columns(app, pid)["attempts"] == 5


@pytest.mark.parametrize("step", ["db.record_outcome", "tx_log.put"])
def test_outcome_recorded_but_not_published_is_republished(app, step):

    k, body = stuck_payment(app, step)
    pid = payment_id_for(MERCHANT_A, k)
    assert app.pg_rows()[pid]["status"] == "succeeded" and not reconcile_columns(app, pid)["published"]
    report = run(app)
    assert report.reconciled == [pid]
    assert app.stub.lookups[payment_id_for(MERCHANT_A, k)] == 0  # the outcome was known: no question to the API
    assert_stores_agree(app, k, body, "succeeded")
    assert app.stub.charges[payment_id_for(MERCHANT_A, k)] == 1


def test_recent_payments_and_finished_ones_are_left_alone(app):
    stuck_payment(app, "api.charge")
    assert app.pay_ok()
    report = run(app, threshold=3600)  # the stuck one is younger than the threshold
    assert report.claimed == [] and report.still_pending == 0
    assert report.oldest_pending_age_seconds > 0  # but it is unfinished, and its age shows


def test_batch_is_bounded_and_oldest_first(app):

    keys = [stuck_payment(app, "api.charge")[0] for _ in range(5)]
    report = run(app, batch_size=2)
    assert report.claimed == [payment_id_for(MERCHANT_A, k) for k in keys[:2]] and report.still_pending == 3
    assert run(app, batch_size=2).claimed == [payment_id_for(MERCHANT_A, k) for k in keys[2:4]]
    assert run(app, batch_size=2).claimed == [payment_id_for(MERCHANT_A, keys[4])]
    assert all(app.stub.lookups[payment_id_for(MERCHANT_A, k)] == 1 for k in keys)


def test_claim_of_a_dead_run_is_skipped_until_its_lease_ends(app):
    from payments.reconcile import ReconcileStore

    k, _ = stuck_payment(app, "api.charge")
    pid = payment_id_for(MERCHANT_A, k)
    store = ReconcileStore(app.reconciler.database)
    assert [c.payment_id for c in store.claim(threshold_seconds=0.001, batch_size=10, lease_seconds=600)] == [pid]
    # that run dies here; the next scheduled run must not touch the payment while the lease lasts
    assert run(app).claimed == []
    app.pg_admin.run("UPDATE payments SET reconcile_lease_until = now() - interval '1 second'")
    report = run(app)
    assert report.reconciled == [pid] and reconcile_columns(app, pid)["attempts"] == 2


def test_time_running_out_stops_the_run_and_leaves_the_rest_claimed(app):
    keys = [stuck_payment(app, "api.charge")[0] for _ in range(3)]
    report = reconciler(app).run(time.monotonic() + 5)  # less than the reserve: nothing is started
    assert report.stopped_early and len(report.left_pending) == 3 and report.reconciled == []
    assert sum(app.stub.lookups[payment_id_for(MERCHANT_A, k)] for k in keys) == 0


@pytest.mark.heavy(cpu_seconds=4)
def test_two_runs_at_once_finish_each_payment_once(app):
    """Two runs, each its own execution environment (own PostgreSQL connection), claiming at the
    same moment; the first lookups hold until both have claimed, so their work overlaps."""
    from payments.contract import RECONCILE

    keys = [stuck_payment(app, "api.charge")[0] for _ in range(30)]
    # each as payments_reconciler; a held lookup waits
    environments = [app.function_runtime(RECONCILE, payment_api_timeout_seconds=5.0) for _ in range(2)]
    app.stub.script_lookup("hold", "hold")
    start = threading.Barrier(2)
    reports, errors = [None, None], []

    def work(index: int) -> None:
        try:
            start.wait()
            reports[index] = reconciler(app, environments[index], batch_size=20).run(time.monotonic() + 30)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    app.stub.release()
    for thread in threads:
        thread.join(20)
    for environment in environments:
        environment.database.close()
    assert errors == []
    first, second = (set(r.claimed) for r in reports)
    assert first.isdisjoint(second) and first | second == {payment_id_for(MERCHANT_A, k) for k in keys}
    # each within its batch; how the 30 split depends on how the two scans interleave
    assert all(len(r.claimed) <= 20 for r in reports) and len(first) + len(second) == 30
    assert len(reports[0].reconciled) + len(reports[1].reconciled) == 30
    assert all(app.stub.lookups[payment_id_for(MERCHANT_A, k)] == 1 and app.stub.charges[payment_id_for(MERCHANT_A, k)] == 1 for k in keys)
    for k in keys:
        assert_stores_agree(app, k, VALID, "succeeded")
    assert all(reconcile_columns(app, payment_id_for(MERCHANT_A, k))["attempts"] == 1 for k in keys)
    assert run(app).claimed == []


# -- the handler -----------------------------------------------------------------------------------


def emitted_metrics(output: str) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            for definition in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[definition["Name"]]
                values[definition["Name"]] = value[0] if isinstance(value, list) else value
    return values


@pytest.fixture
def reconcile_env(monkeypatch, app):
    from payments.contract import EnvVar

    monkeypatch.setenv(EnvVar.PENDING_THRESHOLD_SECONDS, "300")
    monkeypatch.setenv(EnvVar.RECONCILE_BATCH_SIZE, "50")
    monkeypatch.setenv(EnvVar.RECONCILE_MAX_ATTEMPTS, "3")
    return app


def test_handler_reconciles_and_emits_the_metrics(reconcile_env, capsys):
    from payments.handlers.reconcile import lambda_handler

    app = reconcile_env
    done, _ = stuck_payment(app, "api.charge")
    never, _ = stuck_payment(app, "db.insert_pending")
    young, _ = stuck_payment(app, "api.charge")
    app.pg_admin.run(
        "UPDATE payments SET created_at = created_at - interval '1 hour' WHERE payment_id IN"
        " (CAST(:a AS uuid), CAST(:b AS uuid))",
        a=payment_id_for(MERCHANT_A, done),
        b=payment_id_for(MERCHANT_A, never),
    )
    capsys.readouterr()
    with app.as_reconciler():
        result = lambda_handler({"job": "reconcile"}, FakeContext(function_name="payments-test-reconcile"))
    assert result["claimed"] == 2 and result["reconciled"] == 1 and result["left_pending"] == 1
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["PaymentsReconciled"] == 1.0 and metrics["PaymentsFailedByReconciliation"] == 0.0
    assert metrics["PaymentsStillPending"] == 1.0  # `never` waits for its next attempts; `young` is young
    assert 3600 <= metrics["OldestPendingAgeSeconds"] < 3700
    assert app.stub.lookups[payment_id_for(MERCHANT_A, young)] == 0


def test_handler_refuses_an_unknown_job_and_a_threshold_below_the_flows_worst_case(reconcile_env, monkeypatch):
    from payments.contract import EnvVar
    from payments.errors import ConfigurationError
    from payments.handlers.reconcile import lambda_handler

    with pytest.raises(ConfigurationError, match="event field 'job' must be one of: reconcile, consistency-check"):
        lambda_handler({"job": "reconcile-all"}, FakeContext())
    monkeypatch.setenv(EnvVar.PENDING_THRESHOLD_SECONDS, "5")
    with pytest.raises(ConfigurationError, match="PAYMENTS_PENDING_THRESHOLD_SECONDS must exceed the payment function's worst case"):
        lambda_handler({"job": "reconcile"}, FakeContext())


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("PAYMENTS_RECONCILE_BATCH_SIZE", "0", "PAYMENTS_RECONCILE_BATCH_SIZE must be between 1 and 1000"),
        ("PAYMENTS_RECONCILE_MAX_ATTEMPTS", "x", "environment variable PAYMENTS_RECONCILE_MAX_ATTEMPTS must be an integer"),
        ("PAYMENTS_PENDING_THRESHOLD_SECONDS", "", "environment variable PAYMENTS_PENDING_THRESHOLD_SECONDS is not set"),
    ],
)
def test_reconcile_settings_name_the_bad_variable(var, value, message):
    from payments.errors import ConfigurationError
    from payments.reconcile import ReconcileSettings

    environ = {"PAYMENTS_PENDING_THRESHOLD_SECONDS": "300", "PAYMENTS_RECONCILE_BATCH_SIZE": "50",
               "PAYMENTS_RECONCILE_MAX_ATTEMPTS": "3", var: value}  # fmt: skip
    with pytest.raises(ConfigurationError) as caught:
        ReconcileSettings.from_env(environ)
    assert str(caught.value) == message


def test_handler_fails_the_invocation_when_a_store_conflict_needs_a_human(reconcile_env, capsys):
    from payments.handlers.reconcile import ReconciliationIncomplete, lambda_handler
    from payments_testkit import TRANSACTIONS_TABLE_NAME

    app = reconcile_env
    k, _ = stuck_payment(app, "db.record_outcome")
    pid = payment_id_for(MERCHANT_A, k)
    app.pg_admin.run("UPDATE payments SET created_at = created_at - interval '1 hour'")
    # someone wrote another record for this payment into the transaction log: never overwritten
    app.dynamodb.put_item(TableName=TRANSACTIONS_TABLE_NAME, Item={"payment_id": {"S": pid}, "amount": {"N": "1"}})
    capsys.readouterr()
    with app.as_reconciler(), pytest.raises(ReconciliationIncomplete, match=r"1 payment\(s\) could not be finished: \['store_conflict'\]"):
        lambda_handler({"job": "reconcile"}, FakeContext(function_name="payments-test-reconcile"))
    metrics = emitted_metrics(capsys.readouterr().out)  # published all the same
    assert metrics["PaymentsReconciled"] == 0 and metrics["PaymentsStillPending"] == 1
    assert reconcile_columns(app, pid)["published"] is False and app.s3_records() == {}
