"""A randomized run: 1,000 requests, 20% of them repeats of earlier ones (some with a changed amount),
faults injected at random steps (crashes, transient errors, payment API failures), each request retried
by its client until it gets a final answer. Then the stores are reconciled.

The seed is fixed and printed; set PAYMENTS_RANDOM_SEED to replay another run."""

from __future__ import annotations

import hashlib
import json
import os
import random
import string
import uuid
from collections import Counter, defaultdict

from payments_testkit import AUDIT_BUCKET, STEPS, SimulatedCrash

from payments.models import payment_id_for
from payments.stores import AuditLog, audit_key

SEED = int(os.environ.get("PAYMENTS_RANDOM_SEED", "60606"))
REQUESTS = 1000
DUPLICATE_RATE = 0.20
CONFLICT_SHARE = 0.10  # of the repeats: same key, different amount (must be refused)
FAULT_RATE = 0.12  # per attempt
MAX_ATTEMPTS = 8
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
MERCHANTS = tuple(f"m_{i:03d}" for i in range(12))
API_FAULTS = ("fail", "fail_after_charge", "reject")


def test_randomized_run_reconciles(app, capsys):
    from payments.handlers.process_payment import logger

    rng = random.Random(SEED)
    with capsys.disabled():
        print(f"\n[payments randomized run] seed={SEED} requests={REQUESTS}")
    logger.setLevel("WARNING")
    originals: dict[str, dict] = {}  # key -> body of the first request
    acknowledged: dict[str, tuple[int, dict]] = {}  # key -> first final answer
    stats: Counter[str] = Counter()
    try:
        for n in range(REQUESTS):
            if originals and rng.random() < DUPLICATE_RATE:
                key = rng.choice(list(originals))
                body = dict(originals[key])
                conflict = rng.random() < CONFLICT_SHARE
                if conflict:
                    body["amount"] += rng.randint(1, 50)
                stats["conflicts" if conflict else "duplicates"] += 1
            else:
                key = f"rnd-{uuid.UUID(int=rng.getrandbits(128))}"
                body = {
                    "amount": rng.randint(1, 500_000),
                    "currency": rng.choice(CURRENCIES),
                    "merchant_id": rng.choice(MERCHANTS),
                    "payment_source": "tok_" + "".join(rng.choices(string.ascii_letters, k=16)),
                }
                originals[key] = body
                conflict = False
                stats["new"] += 1
            for attempt in range(MAX_ATTEMPTS):
                app.faults.clear()
                if attempt < MAX_ATTEMPTS - 1 and rng.random() < FAULT_RATE:
                    if rng.random() < 0.25:
                        mode = rng.choice(API_FAULTS)
                        app.stub.script(mode)
                        stats[f"fault api {mode}"] += 1
                    else:
                        step, kind = rng.choice(STEPS), rng.choice(("crash_after", "fail_before", "fail_after"))
                        app.faults.arm(step, kind)
                        stats[f"fault {kind}"] += 1
                try:
                    status, result = app.pay(body, key)
                except SimulatedCrash:
                    stats["crashes"] += 1
                    app.expire_in_progress(key)  # the crashed invocation's timeout elapses
                    app.new_container()  # and the retry lands on a fresh execution environment
                    continue
                finally:
                    app.stub.reset_script()
                if status in (502, 503) or (status == 409 and result["error"]["code"] == "request_in_progress"):
                    stats["retried"] += 1
                    continue
                break
            else:
                raise AssertionError(f"request {n} never completed")
            if conflict:
                assert status == 409 and result["error"]["code"] == "idempotency_key_reused", (status, result)
                continue
            assert status in (200, 402), (status, result)
            if key in acknowledged:
                assert acknowledged[key] == (status, result), "a repeat returned another result"
            else:
                acknowledged[key] = (status, result)
    finally:
        logger.setLevel("INFO")

    # -- reconciliation --------------------------------------------------------------------------
    rows, items, etags = app.pg_rows(), app.ddb_items(), app.s3_etags()
    sample = [key for key in sorted(etags) if rng.random() < 0.1]  # a sample of objects, read back
    audits = {key: json.loads(app.s3.get_object(Bucket=AUDIT_BUCKET, Key=key)["Body"].read()) for key in sample}
    by_status = Counter(result["status"] for _, result in acknowledged.values())
    summary = {
        **stats, "acknowledged": len(acknowledged), "pg_rows": len(rows), "ddb_items": len(items),
        "s3_objects": len(etags), "api_charges": sum(app.stub.charges.values()), **{f"status {k}": v for k, v in by_status.items()},
    }  # fmt: skip
    with capsys.disabled():
        print(f"[payments randomized run] seed={SEED} " + " ".join(f"{k}={v}" for k, v in sorted(summary.items())))

    assert stats["new"] + stats["duplicates"] + stats["conflicts"] == REQUESTS
    assert stats["duplicates"] + stats["conflicts"] >= 0.15 * REQUESTS
    assert stats["crashes"] > 20 and stats["retried"] > 50
    # every acknowledged payment is in each store exactly once, and nothing else is
    assert set(acknowledged) == set(originals)
    assert len(rows) == len(items) == len(etags) == len(acknowledged)
    assert {r["idempotency_key"] for r in rows.values()} == set(acknowledged)
    for key, (_status, result) in acknowledged.items():
        pid = payment_id_for(key)
        body = originals[key]
        row = rows[pid]
        assert (row["amount"], row["currency"], row["merchant_id"]) == (body["amount"], body["currency"], body["merchant_id"])
        assert row["status"] == result["status"] != "pending"
        assert items[pid] == result
        s3_key = audit_key(body["merchant_id"], pid)
        assert etags[s3_key] == hashlib.md5(AuditLog.body(result)).hexdigest()  # the object's bytes
        assert audits.get(s3_key, result) == result
    # the payment API charged each charged payment once, never twice
    assert all(count == 1 for count in app.stub.charges.values())
    charged = {key for key, (_s, r) in acknowledged.items() if r["status"] in ("succeeded", "declined")}
    assert set(app.stub.charges) == charged
    # amounts per currency add up: requests == PostgreSQL == DynamoDB == S3; succeeded == API charges
    def totals(records, amount="amount"):
        sums = defaultdict(int)
        for record in records:
            sums[record["currency"]] += record[amount]
        return dict(sums)

    expected = totals(originals.values())
    s3_totals = totals(r for _s, r in acknowledged.values())  # each equal to its S3 object, checked above
    assert totals(rows.values()) == totals(items.values()) == s3_totals == expected
    succeeded = totals(r for _s, r in acknowledged.values() if r["status"] == "succeeded")
    api_succeeded = totals(
        body for key, body in app.stub.charged.items() if app.stub.results[key]["status"] == "succeeded"
    )
    assert succeeded == api_succeeded
    # no payment is left pending, no idempotency record in progress
    assert all(item["status"]["S"] == "COMPLETED" for item in app.idempotency_items())
