"""A randomized run: 2,000 requests from several merchants, sent by 8 worker processes at once.

Each worker is its own Python runtime with its own clients and connections, as concurrent Lambda
execution environments are; they share one PostgreSQL server, one moto server (DynamoDB, S3,
Secrets Manager over HTTP) and one payment API stub, as the functions share the real services.

The workload: 20% of requests repeat an earlier (merchant, key) (a tenth of those with a changed
amount, which must be refused), and new requests often reuse a key another merchant already used
(which must make an independent payment). Faults are injected at random steps of random attempts
(process crashes, transient store errors, payment API failures); every client retries with the same
key until it gets a final answer. All requests of one (merchant, key) go to one worker, in order, so
the expected answer of each is known; the same key of different merchants runs concurrently.

Then every store is reconciled per merchant. The seed is fixed and printed; PAYMENTS_RANDOM_SEED
replays another run. The fault plan of a request depends only on the seed and the request number,
never on scheduling.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import string
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

import pytest
from payments_testkit import (
    AUDIT_BUCKET,
    DB_NAME,
    IDEMPOTENCY_TABLE_NAME,
    REGION,
    STEPS,
    TRANSACTIONS_TABLE_NAME,
    create_aws_resources,
)

from payments.models import payment_id_for
from payments.stores import AuditLog, audit_key

SEED = int(os.environ.get("PAYMENTS_RANDOM_SEED", "60606"))
REQUESTS = 2000
WORKERS = 8
DUPLICATE_RATE = 0.20
CONFLICT_SHARE = 0.10  # of the repeats: same merchant and key, different amount (must be refused)
CROSS_MERCHANT_KEY_RATE = 0.30  # of the new payments: a key another merchant already used
FAULT_RATE = 0.12  # per attempt
MAX_ATTEMPTS = 8
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
# Merchant ids as the JWT authorizer passes them: Cognito app client ids.
MERCHANTS = tuple(hashlib.sha256(f"merchant-{i}".encode()).hexdigest()[:26] for i in range(6))
API_FAULTS = ("fail", "fail_after_charge", "reject")


@dataclass(frozen=True)
class Planned:
    n: int
    merchant: str
    key: str
    body: dict[str, Any]
    kind: str  # new | duplicate | conflict


def plan_requests(rng: random.Random) -> list[Planned]:
    planned: list[Planned] = []
    originals: dict[tuple[str, str], dict[str, Any]] = {}
    merchants_of_key: dict[str, set[str]] = defaultdict(set)
    for n in range(REQUESTS):
        if originals and rng.random() < DUPLICATE_RATE:
            merchant, key = rng.choice(list(originals))
            body = dict(originals[merchant, key])
            kind = "duplicate"
            if rng.random() < CONFLICT_SHARE:
                body["amount"] += rng.randint(1, 50)
                kind = "conflict"
            planned.append(Planned(n, merchant, key, body, kind))
            continue
        merchant = rng.choice(MERCHANTS)
        others = [k for k in rng.sample(list(merchants_of_key), min(8, len(merchants_of_key)))
                  if merchant not in merchants_of_key[k]]  # fmt: skip
        if others and rng.random() < CROSS_MERCHANT_KEY_RATE:
            key = others[0]
        else:
            key = f"rnd-{uuid.UUID(int=rng.getrandbits(128))}"
        body = {
            "amount": rng.randint(1, 500_000),
            "currency": rng.choice(CURRENCIES),
            "payment_source": "tok_" + "".join(rng.choices(string.ascii_letters, k=16)),
        }
        originals[merchant, key] = body
        merchants_of_key[key].add(merchant)
        planned.append(Planned(n, merchant, key, body, "new"))
    return planned


def worker_of(merchant: str, key: str) -> int:
    return int(hashlib.md5(f"{merchant}:{key}".encode()).hexdigest(), 16) % WORKERS


@dataclass
class WorkerJob:
    index: int
    settings: Any  # payments.settings.Settings
    environ: dict[str, str]
    role_passwords: dict[str, str]  # the stand-in IAM auth tokens of the database roles
    requests: list[Planned]


@dataclass
class WorkerReport:
    index: int
    answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    per_merchant: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the process's own, since it was forked


def run_worker(job: WorkerJob) -> WorkerReport:
    """One execution environment after another (a crash means a new one), in a fresh process."""
    os.environ.update(job.environ)
    from payments_dbkit import RolePasswords
    from payments_testkit import (
        FakeContext,
        Faults,
        SimulatedCrash,
        expire_in_progress,
        payment_event,
        script_remote,
        with_faults,
    )

    from payments import runtime
    from payments.handlers.process_payment import lambda_handler

    started = time.monotonic()
    report = WorkerReport(job.index)
    faults = Faults()
    tokens = RolePasswords(job.role_passwords)
    rt = runtime.configure(job.settings, wrap=with_faults(faults), token_client=tokens)
    for p in job.requests:
        rng = random.Random(f"{SEED}:{p.n}")  # the request's faults depend on nothing else
        charge_key = payment_id_for(p.merchant, p.key)
        counts = report.per_merchant[p.merchant]
        counts[f"requests {p.kind}"] += 1
        for attempt in range(MAX_ATTEMPTS):
            faults.clear()
            api_scripted = False
            if attempt < MAX_ATTEMPTS - 1 and rng.random() < FAULT_RATE:
                if rng.random() < 0.25:
                    mode = rng.choice(API_FAULTS)
                    script_remote(job.settings.payment_api_endpoint, charge_key, mode)
                    api_scripted = True
                    report.stats[f"fault api {mode}"] += 1
                else:
                    step, kind = rng.choice(STEPS), rng.choice(("crash_after", "fail_before", "fail_after"))
                    faults.arm(step, kind)
                    report.stats[f"fault {kind}"] += 1
            try:
                result = lambda_handler(payment_event(p.body, p.key, merchant=p.merchant), FakeContext())
                status, answer = result["statusCode"], json.loads(result["body"])
            except SimulatedCrash:
                report.stats["crashes"] += 1
                # the crashed invocation's timeout elapses; the retry lands on a new environment (new
                # database connection, secret cache and idempotency layer; the AWS clients are reused
                # only because creating botocore clients costs far more than the rest of a request)
                expire_in_progress(rt.aws.dynamodb, job.settings.idempotency_table, p.merchant, p.key)
                rt = runtime.configure(job.settings, wrap=with_faults(faults), aws=rt.aws, token_client=tokens)
                continue
            finally:
                if api_scripted:
                    script_remote(job.settings.payment_api_endpoint, charge_key)  # drop it if unused
            if status in (502, 503) or (status == 409 and answer["error"]["code"] == "request_in_progress"):
                report.stats["retried"] += 1
                continue
            break
        else:
            raise AssertionError(f"request {p.n} never completed")
        if p.kind == "conflict":
            assert status == 409 and answer["error"]["code"] == "idempotency_key_reused", (p, status, answer)
            counts["refused conflicts"] += 1
            continue
        assert status in (200, 402), (p, status, answer)
        first = report.answers.setdefault((p.merchant, p.key), (status, answer))
        assert first == (status, answer), f"request {p.n}: a repeat returned another result"
    runtime.reset()
    report.seconds = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    report.cpu_seconds = usage.ru_utime + usage.ru_stime
    return report


@pytest.fixture
def worker_processes(monkeypatch):
    """Fresh processes forked from a server process started clean for this run (not from this
    process, with its threads and servers), which has imported this module, the function's code
    and their libraries once, so 8 workers do not each spend their first second importing them.
    Nothing that runs per environment happens there: each worker configures its own runtime,
    clients and connections."""
    # The fork server finds modules through PYTHONPATH (Python 3.11's ignores the sys.path it is
    # handed, and a module it cannot import is skipped without a word).
    here = os.path.dirname(os.path.abspath(__file__))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH")))))
    context = get_context("forkserver")
    context.set_forkserver_preload([__name__, "payments.handlers.process_payment"])
    return context


@pytest.fixture
def moto_server(monkeypatch):
    """One moto server on 127.0.0.1 that every worker process talks to over HTTP (as to AWS): moto's
    own WSGI application (the one `moto_server` runs), served by waitress rather than moto's
    werkzeug development server, which opens a connection and a thread per request; waitress keeps
    connections alive and serves from a pool, about a fifth less CPU per call, client and server."""
    import threading
    import urllib.request

    import moto.backends
    import waitress
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    # moto's dispatcher lists its own package folder (some 200 entries, a stat each) twice per
    # request to route it, under a lock: a fifth of the server's time here. The folder does not
    # change while the server runs, so list it once.
    modules = tuple(moto.backends.list_of_moto_modules())
    monkeypatch.setattr(moto.backends, "list_of_moto_modules", lambda: modules)
    server = waitress.create_server(
        DomainDispatcherApplication(create_backend_app), host="127.0.0.1", port=0, threads=WORKERS
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    endpoint = f"http://127.0.0.1:{server.effective_port}"
    # start empty: the backends live in this process and other tests' in-process mocks use them too
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        yield endpoint
    finally:
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
        server.close()
        serving.join(10)


class Clients:
    def __init__(self, endpoint: str) -> None:
        import boto3

        session = boto3.session.Session(
            region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self.dynamodb = session.client("dynamodb", endpoint_url=endpoint)
        self.s3 = session.client("s3", endpoint_url=endpoint)
        self.secretsmanager = session.client("secretsmanager", endpoint_url=endpoint)


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items, kwargs = [], {"TableName": table, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _s3_etags(client: Any) -> dict[str, str]:
    etags, kwargs = {}, {"Bucket": AUDIT_BUCKET}
    while True:
        page = client.list_objects_v2(**kwargs)
        etags.update({obj["Key"]: obj["ETag"].strip('"') for obj in page.get("Contents", [])})
        if not page.get("IsTruncated"):
            return etags
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


@pytest.mark.heavy(cpu_seconds=35)
def test_randomized_run_reconciles(pg_server, pg_admin, db_cluster, stub_api, moto_server, worker_processes, capsys):
    from payments.contract import DATABASE_USERS, PROCESS_PAYMENT
    from payments.settings import Settings
    from payments.stores import _from_item

    started = time.monotonic()
    rng = random.Random(SEED)
    planned = plan_requests(rng)
    clients = Clients(moto_server)
    create_aws_resources(clients, pg_server)
    pg_admin.run("TRUNCATE payments")
    stub_api.reset()
    settings = Settings(
        environment="test", transactions_table=TRANSACTIONS_TABLE_NAME, idempotency_table=IDEMPOTENCY_TABLE_NAME,
        audit_bucket=AUDIT_BUCKET, db_host="127.0.0.1", db_port=pg_server.port, db_name=DB_NAME,
        db_user=DATABASE_USERS[PROCESS_PAYMENT.name].name, payment_api_endpoint=stub_api.url, max_amount_minor=1_000_000,
        payment_api_timeout_seconds=2.0, db_tls=False, post_charge_reserve_seconds=0.5,
        # 8 processes on a shared 2-core machine: a slow answer is not what this run is about
        aws_connect_timeout_seconds=5.0, aws_read_timeout_seconds=10.0, db_connect_timeout_seconds=10.0,
        db_statement_timeout_ms=10_000,
    )  # fmt: skip
    environ = {
        "AWS_ENDPOINT_URL": moto_server, "AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing", "POWERTOOLS_SERVICE_NAME": "payments",
        "POWERTOOLS_METRICS_NAMESPACE": "PaymentsTest", "POWERTOOLS_LOG_LEVEL": "ERROR",
    }  # fmt: skip
    jobs = [WorkerJob(i, settings, environ, dict(db_cluster.tokens.passwords), []) for i in range(WORKERS)]
    for p in planned:
        jobs[worker_of(p.merchant, p.key)].requests.append(p)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=worker_processes) as pool:
        reports = list(pool.map(run_worker, jobs))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    # this process serves moto and the stub API; each worker measures itself
    server_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    workers_cpu = sum(r.cpu_seconds for r in reports)

    # -- what the clients were told ----------------------------------------------------------------
    originals = {(p.merchant, p.key): p.body for p in planned if p.kind == "new"}
    answers: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    stats: Counter[str] = Counter()
    per_merchant: dict[str, Counter] = defaultdict(Counter)
    for report in reports:
        assert not answers.keys() & report.answers.keys()
        answers.update(report.answers)
        stats.update(report.stats)
        for merchant, counts in report.per_merchant.items():
            per_merchant[merchant].update(counts)
    shared_keys = Counter(key for _merchant, key in originals)
    kinds = Counter(p.kind for p in planned)

    # -- the stores ----------------------------------------------------------------------------------
    rows = {
        r[0]: dict(zip(("payment_id", "idempotency_key", "merchant_id", "amount", "currency", "status", "charge_key"), r))
        for r in pg_admin.run(
            "SELECT payment_id::text, idempotency_key, merchant_id, amount_minor, currency, status, charge_key FROM payments"
        )
    }  # fmt: skip
    items = {item["payment_id"]["S"]: _from_item(item) for item in _scan(clients.dynamodb, TRANSACTIONS_TABLE_NAME)}
    idempotency = _scan(clients.dynamodb, IDEMPOTENCY_TABLE_NAME)
    etags = _s3_etags(clients.s3)
    sample = [key for key in sorted(etags) if rng.random() < 0.05]  # a sample of objects, read back
    audits = {key: json.loads(clients.s3.get_object(Bucket=AUDIT_BUCKET, Key=key)["Body"].read()) for key in sample}

    for merchant, _key in answers:
        per_merchant[merchant]["payments"] += 1
    for row in rows.values():
        per_merchant[row["merchant_id"]]["pg rows"] += 1
    for item in items.values():
        per_merchant[item["merchant_id"]]["ddb items"] += 1
    for key in etags:
        per_merchant[key.split("/")[1]]["s3 objects"] += 1
    for (merchant, _key), (_s, result) in answers.items():
        per_merchant[merchant][f"status {result['status']}"] += 1
    charged_merchant = {payment_id_for(m, k): m for m, k in answers}
    for charge_key, count in stub_api.charges.items():
        per_merchant[charged_merchant.get(charge_key, "?")]["api charges"] += count

    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(f"\n[payments randomized run] seed={SEED} requests={REQUESTS} workers={WORKERS} wall={elapsed:.1f}s "
              f"worker_busy={'/'.join(f'{r.seconds:.1f}' for r in reports)}s "
              f"cpu_moto_and_stub={server_cpu:.1f}s cpu_workers={workers_cpu:.1f}s "
              f"keys_shared_by_merchants={sum(1 for c in shared_keys.values() if c > 1)} "
              + " ".join(f"{k}={v}" for k, v in sorted({**stats, **kinds}.items())))  # fmt: skip
        columns = ("requests new", "requests duplicate", "requests conflict", "refused conflicts", "payments",
                   "status succeeded", "status declined", "status failed", "api charges", "pg rows", "ddb items",
                   "s3 objects")  # fmt: skip
        print("[payments randomized run] merchant                   " + " | ".join(columns))
        for merchant in MERCHANTS:
            counts = per_merchant[merchant]
            print(f"[payments randomized run] {merchant} " + " | ".join(f"{counts[c]:>{len(c)}}" for c in columns))

    # -- invariants ------------------------------------------------------------------------------------
    assert kinds["new"] + kinds["duplicate"] + kinds["conflict"] == REQUESTS
    assert kinds["duplicate"] + kinds["conflict"] >= 0.15 * REQUESTS and kinds["conflict"] >= 20
    assert stats["crashes"] > 25 and stats["retried"] > 100
    assert sum(1 for c in shared_keys.values() if c > 1) >= 100  # many keys used by several merchants
    assert len({p.merchant for p in planned}) == len(MERCHANTS)
    # nothing lost: every payment a client was told about is in each store exactly once, and nothing else is
    assert set(answers) == set(originals)
    assert len(rows) == len(items) == len(etags) == len(answers) == len(idempotency)
    assert {(r["merchant_id"], r["idempotency_key"]) for r in rows.values()} == set(answers)
    for (merchant, key), (_status, result) in answers.items():
        pid = payment_id_for(merchant, key)
        body = originals[merchant, key]
        row = rows[pid]
        assert (row["amount"], row["currency"], row["merchant_id"]) == (body["amount"], body["currency"], merchant)
        assert row["charge_key"] == pid
        assert row["status"] == result["status"] != "pending"
        assert result["payment_id"] == pid and result["merchant_id"] == merchant
        assert items[pid] == result
        s3_key = audit_key(merchant, pid)
        assert etags[s3_key] == hashlib.md5(AuditLog.body(result)).hexdigest()  # the object's bytes
        assert audits.get(s3_key, result) == result
    # nothing charged twice: the payment API charged each charged payment once, under its payment id
    assert all(count == 1 for count in stub_api.charges.values())
    charged = {payment_id_for(m, k) for (m, k), (_s, r) in answers.items() if r["status"] in ("succeeded", "declined")}
    assert set(stub_api.charges) == charged
    # the stores agree per merchant: amounts per (merchant, currency) add up in the requests, PostgreSQL,
    # DynamoDB and S3 (each S3 object equals its answer, checked above); succeeded == the API's charges
    def totals(records):
        sums: dict[tuple[str, str], int] = defaultdict(int)
        for merchant, record in records:
            sums[merchant, record["currency"]] += record["amount"]
        return dict(sums)

    expected = totals((m, body) for (m, _k), body in originals.items())
    assert totals((r["merchant_id"], r) for r in rows.values()) == expected
    assert totals((i["merchant_id"], i) for i in items.values()) == expected
    assert totals((m, r) for (m, _k), (_s, r) in answers.items()) == expected
    succeeded = totals((m, r) for (m, _k), (_s, r) in answers.items() if r["status"] == "succeeded")
    api_succeeded = totals(
        (charged_merchant[key], body) for key, body in stub_api.charged.items() if stub_api.results[key]["status"] == "succeeded"
    )
    assert succeeded == api_succeeded
    for merchant in MERCHANTS:
        counts = per_merchant[merchant]
        assert counts["payments"] == counts["pg rows"] == counts["ddb items"] == counts["s3 objects"] > 0
    # no idempotency record is left in progress
    assert all(item["status"]["S"] == "COMPLETED" for item in idempotency)
