"""The daily consistency check: for one UTC day, the ledger (PostgreSQL), the transaction log
(DynamoDB) and the audit trail (S3) must hold the same payments with the same amounts.

For the payments created that day (`created_at`, the same instant in all three stores):
- PostgreSQL: the rows of the day (an index on `created_at` per merchant serves it);
- DynamoDB: a query of the merchant index (`payments.contract.MERCHANT_INDEX`) per merchant of the
  day's rows, `created_at` within the day; items of the day whose id PostgreSQL lacks are found
  that way too, as long as their merchant had a payment that day;
- S3: the audit object of every payment id either store knows (`payments.stores.audit_key`),
  read in parallel; an object whose payment neither database knows is not found (no day in its key).

Per currency, the count and the amount sum of each store are compared; per payment, the merchant,
amount, currency and status. Every payment that is missing from a store or differs between stores
is a `Difference` naming its id; their number is the `ConsistencyDifferences` metric.
"""

from __future__ import annotations

import json
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from payments.contract import MERCHANT_INDEX
from payments.errors import ConfigurationError, StoreUnavailable
from payments.stores import _from_item, audit_key

STORES = ("postgresql", "dynamodb", "s3")
COMPARED_FIELDS = ("merchant_id", "amount", "currency", "status")
DEFAULT_S3_WORKERS = 8  # below botocore's default connection pool (10)


def previous_utc_day(now: datetime) -> date:
    """The day the scheduled check covers: the UTC day before `now` (an aware datetime)."""
    return (now.astimezone(timezone.utc) - timedelta(days=1)).date()


def parse_day(value: Any) -> date:
    """A day given in the event (`YYYY-MM-DD`), for checking another day by hand."""
    message = "event field 'day' must be a date as YYYY-MM-DD"
    if not isinstance(value, str) or len(value) != 10:
        raise ConfigurationError(message)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(message) from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Difference:
    payment_id: str
    kind: str  # "missing" (absent from at least one store) or "mismatch" (stores disagree)
    missing_from: tuple[str, ...]
    values: dict[str, dict[str, Any]]  # store -> the compared fields it holds

    def as_log(self) -> dict[str, Any]:
        return {
            "payment_id": self.payment_id,
            "kind": self.kind,
            "missing_from": list(self.missing_from),
            "values": self.values,
        }


@dataclass
class CheckReport:
    day: date
    totals: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # store -> currency -> count/amount
    differences: list[Difference] = field(default_factory=list)

    @property
    def currencies_disagreeing(self) -> list[str]:
        currencies = sorted({c for per_store in self.totals.values() for c in per_store})
        return [c for c in currencies if len({json.dumps(self.totals[s][c], sort_keys=True) for s in STORES}) > 1]

    def summary(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "payments": {store: sum(t["count"] for t in self.totals.get(store, {}).values()) for store in STORES},
            "differences": len(self.differences),
            "currencies_disagreeing": self.currencies_disagreeing,
        }


def totals_by_currency(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"count": 0, "amount": 0})
    for record in records.values():
        amount = record.get("amount")
        entry = totals[str(record.get("currency"))]  # "None": an unreadable audit object
        entry["count"] += 1
        entry["amount"] += amount if type(amount) is int else 0
    return dict(sorted(totals.items()))


def compare(day: date, stores: dict[str, dict[str, dict[str, Any]]]) -> CheckReport:
    """Pure: the per-currency totals of each store and every payment that differs."""
    totals = {store: totals_by_currency(stores[store]) for store in STORES}
    currencies = sorted({currency for per_store in totals.values() for currency in per_store})
    report = CheckReport(
        day=day,
        totals={s: {c: totals[s].get(c, {"count": 0, "amount": 0}) for c in currencies} for s in STORES},
    )
    for pid in sorted(set().union(*(stores[s].keys() for s in STORES))):
        values = {s: {f: stores[s][pid].get(f) for f in COMPARED_FIELDS} for s in STORES if pid in stores[s]}
        missing = tuple(s for s in STORES if pid not in stores[s])
        if missing:
            report.differences.append(Difference(pid, "missing", missing, values))
        elif len({json.dumps(v, sort_keys=True) for v in values.values()}) > 1:
            report.differences.append(Difference(pid, "mismatch", (), values))
    return report


class ConsistencyCheck:
    """Reads one day from the three stores and compares them. `database` is a `payments.db.Database`;
    `dynamodb` and `s3` are boto3 clients (factories, as in `payments.stores`)."""

    def __init__(
        self, database: Any, dynamodb: Any, s3: Any, table: str, bucket: str, workers: int = DEFAULT_S3_WORKERS
    ) -> None:
        self._database = database
        self._dynamodb = dynamodb
        self._s3 = s3
        self._table = table
        self._bucket = bucket
        self._workers = workers

    def run(self, day: date) -> CheckReport:
        postgresql = self.postgresql(day)
        merchants = sorted({r["merchant_id"] for r in postgresql.values()})
        dynamodb = self.dynamodb(day, merchants)
        known = {pid: r["merchant_id"] for pid, r in {**dynamodb, **postgresql}.items()}
        s3 = self.s3(known)
        return compare(day, {"postgresql": postgresql, "dynamodb": dynamodb, "s3": s3})

    def postgresql(self, day: date) -> dict[str, dict[str, Any]]:
        start, end = day_bounds(day)
        rows = self._database.run(
            lambda conn: conn.run(
                "SELECT payment_id::text, merchant_id, amount_minor, currency, status FROM payments"
                " WHERE created_at >= :start AND created_at < :end",
                start=start,
                end=end,
            )
        )
        return {
            row[0]: {"merchant_id": row[1], "amount": int(row[2]), "currency": row[3], "status": row[4]} for row in rows
        }

    def dynamodb(self, day: date, merchants: list[str]) -> dict[str, dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        first = day.isoformat() + "T00:00:00.000000Z"
        last = day.isoformat() + "T23:59:59.999999Z"  # the stores' created_at format (payments.db.iso_utc)
        items: dict[str, dict[str, Any]] = {}
        for merchant in merchants:
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": MERCHANT_INDEX,
                "KeyConditionExpression": "merchant_id = :m AND created_at BETWEEN :first AND :last",
                "ExpressionAttributeValues": {":m": {"S": merchant}, ":first": {"S": first}, ":last": {"S": last}},
            }
            while True:
                try:
                    page = self._dynamodb().query(**kwargs)
                except (BotoCoreError, ClientError) as exc:
                    raise StoreUnavailable(f"transaction log read failed ({type(exc).__name__})") from None
                for item in page.get("Items", []):
                    record = _from_item(item)
                    items[record["payment_id"]] = record
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items

    def s3(self, payments: dict[str, str]) -> dict[str, dict[str, Any]]:
        """payment id -> merchant id in; payment id -> audit record out (absent when no object)."""

        def read(item: tuple[str, str]) -> tuple[str, dict[str, Any] | None]:
            from botocore.exceptions import BotoCoreError, ClientError

            pid, merchant = item
            try:
                body = self._s3().get_object(Bucket=self._bucket, Key=audit_key(merchant, pid))["Body"].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return pid, None
                raise StoreUnavailable(f"audit read failed ({exc.response.get('Error', {}).get('Code')})") from None
            except BotoCoreError as exc:
                raise StoreUnavailable(f"audit read failed ({type(exc).__name__})") from None
            try:
                record = json.loads(body)
            except ValueError:
                record = {"payment_id": pid, "unreadable": True}
            return pid, record if isinstance(record, dict) else {"payment_id": pid, "unreadable": True}

        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            found = dict(pool.map(read, sorted(payments.items())))
        return {pid: record for pid, record in found.items() if record is not None}
