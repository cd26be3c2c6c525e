"""Test doubles and local servers for the payment functions: PostgreSQL, the payment API stub, moto
tables, a Lambda context, fault injection. Imported by conftest.py, the tests and the benchmark."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from payments.contract import IDEMPOTENCY_TABLE, TRANSACTIONS_TABLE, TableSchema
from postgres_server import DB_NAME, DB_USER, PostgresServer, free_port  # noqa: F401 - re-exported

REGION = "eu-west-1"
TRANSACTIONS_TABLE_NAME = "payments-test-transactions"
IDEMPOTENCY_TABLE_NAME = "payments-test-idempotency"
AUDIT_BUCKET = "payments-test-audit"
SECRET_NAME = "payments-test/db-master"

# -- the payment API stub ------------------------------------------------------------------------


CONTROL_PATH = "/_script"


class StubPaymentApi:
    """A payment API on 127.0.0.1 that is idempotent on the Idempotency-Key header and counts the real
    charges per key. `script(*modes)` queues behaviours for the next requests (default "ok");
    `script_key(key, *modes)` for the next requests with that key only (what concurrent worker
    processes use, through `POST <base>/_script {"key", "modes"}`, see `script_remote`):
      ok                  charge (or replay the key's result)
      fail                500 without charging
      fail_after_charge   charge, then answer 500 (the outcome is lost)
      hang                never charge, answer only after `release()` or hang_seconds
      hang_after_charge   charge, then hang (the client times out; the charge happened)
      hold                wait for `release()`, then behave like ok
      reject              400 (the API refuses the request: a final 'failed')
    Amounts ending in 13 (minor units) are declined.
    A GET with the Idempotency-Key header is the status lookup: 200 with the key's charge result
    (charged: succeeded or declined), 404 when it never charged the key. `script_lookup(*modes)`
    queues lookup behaviours: ok, fail (500), hold (wait for `release()`, then ok); `lookups`
    counts them per key."""

    def __init__(self, hang_seconds: float = 3.0) -> None:
        self.default_hang_seconds = hang_seconds  # `reset()` restores it
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.reset()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            wbufsize = -1  # buffered: headers and body leave in one segment (no Nagle/delayed-ACK stall)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path == CONTROL_PATH:  # test processes script a key's next behaviours
                    stub.script_key(body["key"], *body["modes"])
                    self.send_response(204)
                    self.end_headers()
                    return
                status, payload = stub._handle(self.headers.get("Idempotency-Key"), body)
                if status is None:
                    return
                self._reply(status, payload)

            def do_GET(self) -> None:  # noqa: N802
                self._reply(*stub._lookup(self.headers.get("Idempotency-Key")))

            def _reply(self, status: int, payload: Any) -> None:
                raw = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up (timeout)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/charges"

    def start(self) -> StubPaymentApi:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.hang_seconds = self.default_hang_seconds
            self.results: dict[str, dict[str, Any]] = {}
            self.charges: Counter[str] = Counter()  # real charges per key
            self.charged: dict[str, dict[str, Any]] = {}
            self.requests: list[tuple[str | None, dict[str, Any]]] = []
            self._script: list[str] = []
            self._key_scripts: dict[str, list[str]] = {}
            self.lookups: Counter[str] = Counter()
            self._lookup_script: list[str] = []
            self._release = threading.Event()

    def script(self, *modes: str) -> None:
        with self._lock:
            self._script.extend(modes)

    def script_key(self, key: str, *modes: str) -> None:
        """Replace the behaviours queued for `key` (no modes: drop them)."""
        with self._lock:
            self._key_scripts[key] = list(modes)

    def reset_script(self) -> None:
        with self._lock:
            self._script.clear()
            self._key_scripts.clear()
            self._lookup_script.clear()

    def script_lookup(self, *modes: str) -> None:
        with self._lock:
            self._lookup_script.extend(modes)

    def release(self) -> None:
        self._release.set()

    def _charge(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if key not in self.results:
                declined = int(body["amount"]) % 100 == 13
                self.results[key] = {
                    "status": "declined" if declined else "succeeded",
                    "reference": f"ref_{len(self.results) + 1:06d}",
                }
                self.charges[key] += 1
                self.charged[key] = body
            return self.results[key]

    def _lookup(self, key: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            mode = self._lookup_script.pop(0) if self._lookup_script else "ok"
            release = self._release
            if key:
                self.lookups[key] += 1
        if not key:
            return 400, {"error": "Idempotency-Key header required"}
        if mode == "fail":
            return 500, {"error": "boom"}
        if mode == "hold":
            release.wait(self.hang_seconds)
        with self._lock:
            result = self.results.get(key)
        return (200, result) if result is not None else (404, {"error": "no charge for this key"})

    def _handle(self, key: str | None, body: dict[str, Any]) -> tuple[int | None, dict[str, Any]]:
        with self._lock:
            self.requests.append((key, body))
            keyed = self._key_scripts.get(key or "")
            if keyed:
                mode = keyed.pop(0)
            else:
                mode = self._script.pop(0) if self._script else "ok"
            release = self._release
        if not key:
            return 400, {"error": "Idempotency-Key header required"}
        if mode == "fail":
            return 500, {"error": "boom"}
        if mode == "reject" and key not in self.results:  # a key already charged is replayed
            return 400, {"error": "invalid request"}
        if mode in ("hang", "hold"):
            released = release.wait(self.hang_seconds)
            if mode == "hang" or not released:
                return None, {}
        result = self._charge(key, body)
        if mode == "fail_after_charge":
            return 500, {"error": "boom after charge"}
        if mode == "hang_after_charge":
            release.wait(self.hang_seconds)
            return None, {}
        return (402 if result["status"] == "declined" else 200), result


def script_remote(api_url: str, key: str, *modes: str) -> None:
    """`StubPaymentApi.script_key` from another process (the stub runs in the test process)."""
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(api_url)
    request = urllib.request.Request(
        f"{parts.scheme}://{parts.netloc}{CONTROL_PATH}",
        data=json.dumps({"key": key, "modes": list(modes)}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204


# -- AWS (moto) ----------------------------------------------------------------------------------


def create_table(client: Any, name: str, schema: TableSchema) -> None:
    """A DynamoDB table from the contract's key schema (the same definition the data layer uses)."""
    key_schema = [{"AttributeName": schema.hash_key.name, "KeyType": "HASH"}]
    if schema.range_key is not None:
        key_schema.append({"AttributeName": schema.range_key.name, "KeyType": "RANGE"})
    kwargs: dict[str, Any] = {
        "TableName": name,
        "KeySchema": key_schema,
        "AttributeDefinitions": [{"AttributeName": a.name, "AttributeType": a.type} for a in schema.attributes],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if schema.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": index.hash_key.name, "KeyType": "HASH"}]
                + ([{"AttributeName": index.range_key.name, "KeyType": "RANGE"}] if index.range_key else []),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in schema.indexes
        ]
    client.create_table(**kwargs)
    if schema.ttl_attribute:
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema.ttl_attribute}
        )


def create_aws_resources(clients: Any, pg: PostgresServer, password: str | None = None) -> str:
    """Tables, bucket and master secret in the (mocked) account; returns the secret ARN.
    `clients` is a `payments.aws.AwsClients` (or anything with dynamodb/s3/secretsmanager)."""
    dynamodb = clients.dynamodb
    create_table(dynamodb, TRANSACTIONS_TABLE_NAME, TRANSACTIONS_TABLE)
    create_table(dynamodb, IDEMPOTENCY_TABLE_NAME, IDEMPOTENCY_TABLE)
    clients.s3.create_bucket(
        Bucket=AUDIT_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    secret = clients.secretsmanager.create_secret(
        Name=SECRET_NAME, SecretString=json.dumps({"username": DB_USER, "password": password or pg.password})
    )
    return secret["ARN"]


# -- Lambda --------------------------------------------------------------------------------------


@dataclass
class FakeContext:
    function_name: str = "payments-test-process-payment"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:payments-test-process-payment"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    timeout_ms: int = 30_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self.timeout_ms - (time.monotonic() - self.started) * 1000))


# Two merchants, as the API's JWT authorizer identifies them: the `client_id` of their Cognito app
# client (26 lower-case letters and digits, like Cognito's).
MERCHANT_A = "3k1q9v7c2m8p4x6b0n5t7r2w1e"
MERCHANT_B = "6h2d8s4j0f9g3l5z7a1y8u2o4i"


def authorizer_context(merchant: str, scopes: tuple[str, ...]) -> dict[str, Any]:
    """`requestContext.authorizer` of an HTTP API (payload 2.0) JWT authorizer for a Cognito
    client-credentials access token: the claims API Gateway verified, as strings."""
    from payments.contract import MERCHANT_CLAIM

    now = int(time.time())
    claims = {
        "sub": merchant,
        MERCHANT_CLAIM: merchant,
        "token_use": "access",
        "scope": " ".join(scopes),
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Example1",
        "auth_time": str(now),
        "iat": str(now),
        "exp": str(now + 3600),
        "version": "2",
        "jti": str(uuid.uuid4()),
    }
    return {"jwt": {"claims": claims, "scopes": None}}


def _request_context(method: str, path: str, merchant: str | None, scopes: tuple[str, ...]) -> dict[str, Any]:
    context: dict[str, Any] = {
        "requestId": f"apigw-{uuid.uuid4()}",
        "http": {"method": method, "path": path},
        "stage": "$default",
    }
    if merchant is not None:
        context["authorizer"] = authorizer_context(merchant, scopes)
    return context


def payment_event(
    body: Any,
    key: str | None,
    *,
    merchant: str | None = MERCHANT_A,
    scopes: tuple[str, ...] | None = None,
    correlation_id: str | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    """`POST /payments` as the HTTP API delivers it; `merchant=None`: no authorizer context."""
    from payments.contract import WRITE_SCOPE

    headers = {"content-type": "application/json"}
    if key is not None:
        headers["idempotency-key"] = key  # HTTP APIs deliver header names in lower case
    if correlation_id is not None:
        headers["x-correlation-id"] = correlation_id
    return {
        "version": "2.0",
        "routeKey": "POST /payments",
        "rawPath": "/payments",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": _request_context("POST", "/payments", merchant, scopes if scopes is not None else (WRITE_SCOPE,)),
        "body": raw_body if raw_body is not None else json.dumps(body),
        "isBase64Encoded": False,
    }


def get_event(payment_id: str, *, merchant: str | None = MERCHANT_A, scopes: tuple[str, ...] | None = None) -> dict[str, Any]:
    """`GET /payments/{paymentId}` as the HTTP API delivers it; `merchant=None`: no authorizer context."""
    from payments.contract import READ_SCOPE

    return {
        "version": "2.0",
        "routeKey": "GET /payments/{paymentId}",
        "rawPath": f"/payments/{payment_id}",
        "rawQueryString": "",
        "headers": {},
        "requestContext": _request_context("GET", f"/payments/{payment_id}", merchant, scopes if scopes is not None else (READ_SCOPE,)),
        "pathParameters": {"paymentId": payment_id},
        "isBase64Encoded": False,
    }


def expire_in_progress(dynamodb: Any, table: str, merchant: str, key: str) -> bool:
    """Let the Lambda timeout of a crashed invocation elapse: its in-progress idempotency record
    (keyed by merchant and key, as the handler's layer keys it) expires. False if there is none."""
    from payments.handlers.process_payment import _idempotency

    _idempotency.get()
    record_id = _idempotency.layer._get_hashed_idempotency_key({"merchant_id": merchant, "idempotency_key": key})
    item = dynamodb.get_item(TableName=table, Key={"id": {"S": record_id}}, ConsistentRead=True).get("Item")
    if item is None or item["status"]["S"] != "INPROGRESS":
        return False
    dynamodb.update_item(
        TableName=table,
        Key={"id": {"S": record_id}},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1)}},
    )
    return True


# -- fault injection -----------------------------------------------------------------------------


class SimulatedCrash(BaseException):
    """The execution environment dies (timeout, OOM): not an Exception, so no handler cleans up."""


STEPS = ("db.insert_pending", "api.charge", "db.record_outcome", "tx_log.put", "audit.put")


class Faults:
    """One-shot faults at a step of the flow: 'crash_after' (the step ran, then the process died) or
    'fail_before' / 'fail_after' (the step's own transient error, before or after it took effect)."""

    def __init__(self) -> None:
        self.plan: dict[str, str] = {}
        self.fired: list[tuple[str, str]] = []

    def arm(self, step: str, kind: str) -> None:
        assert step in STEPS and kind in ("crash_after", "fail_before", "fail_after")
        self.plan[step] = kind

    def clear(self) -> None:
        self.plan.clear()


def _transient_error(step: str) -> Exception:
    from payments.errors import DatabaseUnavailable, PaymentApiUnavailable, StoreUnavailable

    if step.startswith("db."):
        return DatabaseUnavailable("injected: database unavailable")
    if step.startswith("api."):
        return PaymentApiUnavailable("injected: payment API timed out")
    return StoreUnavailable("injected: store unavailable")


class _Faulty:
    def __init__(self, target: Any, prefix: str, faults: Faults) -> None:
        self._target, self._prefix, self._faults = target, prefix, faults

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        step = f"{self._prefix}.{name}"
        if step not in STEPS or not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            kind = self._faults.plan.pop(step, None)
            if kind is not None:
                self._faults.fired.append((step, kind))
            if kind == "fail_before":
                raise _transient_error(step)
            result = attr(*args, **kwargs)
            if kind == "crash_after":
                raise SimulatedCrash(step)
            if kind == "fail_after":
                raise _transient_error(step)
            return result

        return call


def with_faults(faults: Faults):
    def wrap(service: Any) -> Any:
        service.repository = _Faulty(service.repository, "db", faults)
        service.api = _Faulty(service.api, "api", faults)
        service.transaction_log = _Faulty(service.transaction_log, "tx_log", faults)
        service.audit = _Faulty(service.audit, "audit", faults)
        return service

    return wrap
