"""Benchmark of the payment functions (a script, not a test): cold start and warm latency.

    /work/main/.venv/bin/python benchmarks/bench_payments.py [--requests 400] [--imports 7]

1. Cold start: the import time of `payments.handlers.process_payment`, each in a fresh interpreter
   (median and min of --imports runs); plus, in this process, the first invocation after a cold
   start (clients created, IAM auth token made, PostgreSQL connected as the writer role, schema
   version checked; the database is migrated beforehand by the migration step, as on a deploy).
2. Warm latency per payment, p50/p99, against a local PostgreSQL, moto and the stub payment API:
   the handler (Powertools logger/metrics/idempotency, validation, service, adapters) next to the
   same remote calls written as directly as possible with boto3 and pg8000 (idempotency record put
   with the same takeover condition as Powertools, insert, API call, update, transaction-log put, S3
   put, idempotency record update), one INFO log line per payment in the handler, interleaved in
   one run so the ratio is not skewed by drift. Targets: import <= 300 ms, warm ratio <= 1.2x.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "functions"))

for name, value in {
    "POWERTOOLS_SERVICE_NAME": "payments",
    "POWERTOOLS_METRICS_NAMESPACE": "PaymentsBench",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}.items():
    os.environ.setdefault(name, value)

IMPORT_TARGET_MS = 300
RATIO_TARGET = 1.2


def import_times(runs: int) -> list[float]:
    code = (
        "import time; t = time.perf_counter(); import payments.handlers.process_payment; "
        "print((time.perf_counter() - t) * 1000)"
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)  # warm the .pyc cache
    return [
        float(subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class DirectFlow:
    """The same remote calls as the handler, with nothing in between."""

    def __init__(self, settings, aws, pg_conn, api_url: str) -> None:
        self.s = settings
        self.ddb = aws.dynamodb
        self.s3 = aws.s3
        self.pg = pg_conn
        parts = urlsplit(api_url)
        self.api = (parts.hostname, parts.port, parts.path)

    def pay(self, body: dict, key: str) -> dict:
        payment_id = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
        now_ms = int(time.time() * 1000)
        payload_hash = hashlib.md5(json.dumps([body["amount"], body["currency"], body["merchant_id"]]).encode()).hexdigest()
        # the idempotency record with the same semantics as Powertools: a new key, an expired record or an
        # in-progress record whose invocation timed out may be taken; the payload hash is stored
        self.ddb.put_item(
            TableName=self.s.idempotency_table,
            Item={"id": {"S": f"direct#{hashlib.md5(key.encode()).hexdigest()}"}, "status": {"S": "INPROGRESS"},
                  "expiration": {"N": str(now_ms // 1000 + 86400)}, "in_progress_expiration": {"N": str(now_ms + 30000)},
                  "validation": {"S": payload_hash}},
            ConditionExpression="attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND"
                                " attribute_exists(#ipe) AND #ipe < :now_ms)",
            ExpressionAttributeNames={"#id": "id", "#expiry": "expiration", "#ipe": "in_progress_expiration",
                                      "#status": "status"},
            ExpressionAttributeValues={":now": {"N": str(now_ms // 1000)}, ":now_ms": {"N": str(now_ms)},
                                       ":inprogress": {"S": "INPROGRESS"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )  # fmt: skip
        self.pg.run(
            "INSERT INTO payments (payment_id, idempotency_key, merchant_id, amount_minor, currency, source_token)"
            " VALUES (CAST(:p AS uuid), :k, :m, :a, :c, :t) ON CONFLICT DO NOTHING RETURNING created_at",
            p=payment_id, k=key, m=body["merchant_id"], a=body["amount"], c=body["currency"], t=body["payment_source"],
        )  # fmt: skip
        conn = http.client.HTTPConnection(self.api[0], self.api[1], timeout=self.s.payment_api_timeout_seconds)
        conn.request("POST", self.api[2], body=json.dumps({**body, "payment_id": payment_id}).encode(),
                     headers={"Content-Type": "application/json", "Idempotency-Key": key})  # fmt: skip
        result = json.loads(conn.getresponse().read())
        conn.close()
        row = self.pg.run(
            "UPDATE payments SET status = :s, provider_reference = :r, updated_at = now()"
            " WHERE payment_id = CAST(:p AS uuid) RETURNING created_at",
            s=result["status"], r=result["reference"], p=payment_id,
        )[0]  # fmt: skip
        record = {"payment_id": payment_id, "merchant_id": body["merchant_id"], "amount": body["amount"],
                  "currency": body["currency"], "status": result["status"], "created_at": row[0].isoformat(),
                  "provider_reference": result["reference"]}  # fmt: skip
        self.ddb.put_item(
            TableName=self.s.transactions_table,
            Item={k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in record.items()},
            ConditionExpression="attribute_not_exists(payment_id)",
        )
        self.s3.put_object(Bucket=self.s.audit_bucket, Key=f"payments/{body['merchant_id']}/{payment_id}.json",
                           Body=json.dumps(record).encode(), ContentType="application/json")  # fmt: skip
        self.ddb.update_item(
            TableName=self.s.idempotency_table, Key={"id": {"S": f"direct#{hashlib.md5(key.encode()).hexdigest()}"}},
            UpdateExpression="SET #d = :d, #e = :e, #s = :s, #v = :v",
            ExpressionAttributeNames={"#s": "status", "#d": "data", "#e": "expiration", "#v": "validation"},
            ExpressionAttributeValues={":s": {"S": "COMPLETED"}, ":d": {"S": json.dumps(record)},
                                       ":e": {"N": str(now_ms // 1000 + 86400)}, ":v": {"S": payload_hash}},
        )  # fmt: skip
        return record


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--imports", type=int, default=7)
    args = parser.parse_args()

    imports = import_times(args.imports)
    import_ms = statistics.median(imports)

    import boto3
    from moto import mock_aws
    from payments_testkit import (
        AUDIT_BUCKET, DB_NAME, IDEMPOTENCY_TABLE_NAME, TRANSACTIONS_TABLE_NAME, FakeContext, PostgresServer,
        StubPaymentApi, create_aws_resources, payment_event,
    )  # fmt: skip

    from payments_dbkit import MASTER_USER, RolePasswords, connect_as, prepare_cluster, set_login_passwords

    from payments import migrations, runtime
    from payments.aws import AwsClients
    from payments.contract import DATABASE_USERS, PROCESS_PAYMENT, EnvVar
    from payments.handlers.process_payment import lambda_handler, logger
    from payments.settings import Settings

    pg = PostgresServer().start()
    stub = StubPaymentApi().start()
    try:
        with mock_aws():
            settings = Settings(
                environment="bench", transactions_table=TRANSACTIONS_TABLE_NAME, idempotency_table=IDEMPOTENCY_TABLE_NAME,
                audit_bucket=AUDIT_BUCKET, db_host="127.0.0.1", db_port=pg.port, db_name=DB_NAME,
                db_user=DATABASE_USERS[PROCESS_PAYMENT.name].name,
                payment_api_endpoint=stub.url, max_amount_minor=1_000_000, payment_api_timeout_seconds=2.0, db_tls=False,
            )  # fmt: skip
            bootstrap = AwsClients(settings, session=boto3.session.Session())
            create_aws_resources(bootstrap, pg)
            os.environ[EnvVar.MAX_AMOUNT_MINOR] = "1000000"
            # the deploy's migration step, as the (non-superuser) master user; the writer's password
            # stands in for its IAM auth token
            admin = pg.connect()
            master_password = prepare_cluster(admin)
            admin.run(f"ALTER DATABASE {DB_NAME} OWNER TO {MASTER_USER}")
            master = connect_as(pg, MASTER_USER, master_password, DB_NAME)
            migrations.apply(master)
            master.close()
            tokens = RolePasswords(set_login_passwords(admin))
            admin.close()

            # first invocation after a cold start: new clients, token, connection, schema version check
            runtime.configure(settings, token_client=tokens)
            body = {"amount": 1000, "currency": "EUR", "merchant_id": "m_bench", "payment_source": "tok_benchmark01"}
            started = time.perf_counter()
            first = lambda_handler(payment_event(body, f"bench-{uuid.uuid4()}", merchant=body["merchant_id"]), FakeContext())
            first_invoke_ms = (time.perf_counter() - started) * 1000
            assert first["statusCode"] == 200, first

            rt = runtime.get_runtime()
            direct_conn = connect_as(pg, settings.db_user, tokens.passwords[settings.db_user], DB_NAME)
            direct = DirectFlow(settings, rt.aws, direct_conn, stub.url)

            handler_ms: list[float] = []
            direct_ms: list[float] = []
            devnull = open(os.devnull, "w")
            real_stdout = sys.stdout
            logger.registered_handler.stream = devnull  # logs and EMF metrics still produced, not printed
            sys.stdout = devnull
            try:
                for i in range(args.requests + 50):
                    order = (0, 1) if i % 2 == 0 else (1, 0)
                    for which in order:
                        key = f"bench-{uuid.uuid4()}"
                        t = time.perf_counter()
                        if which == 0:
                            result = lambda_handler(payment_event(body, key, merchant=body["merchant_id"]), FakeContext())
                            assert result["statusCode"] == 200, result
                        else:
                            direct.pay(body, key)
                        elapsed = (time.perf_counter() - t) * 1000
                        if i >= 50:  # warm-up excluded
                            (handler_ms if which == 0 else direct_ms).append(elapsed)
            finally:
                sys.stdout = real_stdout
            direct_conn.close()
            runtime.reset()
    finally:
        stub.stop()
        pg.stop()
    print()

    h50, h99 = percentile(handler_ms, 50), percentile(handler_ms, 99)
    d50, d99 = percentile(direct_ms, 50), percentile(direct_ms, 99)
    print("payments benchmark")
    print(f"  cold start: handler import   median {import_ms:7.1f} ms  (min {min(imports):.1f}, runs {len(imports)};"
          f" target <= {IMPORT_TARGET_MS} ms) {'OK' if import_ms <= IMPORT_TARGET_MS else 'OVER'}")
    print(f"  cold start: first invocation        {first_invoke_ms:7.1f} ms  (clients, token, connect, schema check)")
    print(f"  warm, {len(handler_ms)} payments each (local PostgreSQL, moto, stub API):")
    print(f"    handler      p50 {h50:6.2f} ms   p99 {h99:6.2f} ms")
    print(f"    direct flow  p50 {d50:6.2f} ms   p99 {d99:6.2f} ms")
    ratio = h50 / d50
    print(f"    ratio p50 {ratio:.2f}x  p99 {h99 / d99:.2f}x  (target <= {RATIO_TARGET}x) {'OK' if ratio <= RATIO_TARGET else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
