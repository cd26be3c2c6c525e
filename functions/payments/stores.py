"""DynamoDB transaction log and S3 audit records (low-level boto3 clients, single attempt each).

- Transaction log: one item per payment, `PutItem` with `attribute_not_exists(payment_id)` so it is
  never overwritten. A failed condition is success when the stored item is this same record (a retry),
  and `StoreConflict` otherwise.
- Audit: `payments/{merchant_id}/{payment_id}.json`, a deterministic key and body, so a retry rewrites
  the same object with the same bytes, never a new one. Encryption is the bucket's default (SSE-KMS
  with the bucket's key): no SSE header is sent, which would select the AWS-managed key instead.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from payments.db import PaymentRow, iso_utc
from payments.errors import StoreConflict, StoreUnavailable


def payment_record(row: PaymentRow) -> dict[str, Any]:
    """The outcome of a payment as written to the transaction log, the audit record and responses."""
    record: dict[str, Any] = {
        "payment_id": row.payment_id,
        "merchant_id": row.merchant_id,
        "amount": row.amount_minor,
        "currency": row.currency,
        "status": row.status,
        "created_at": iso_utc(row.created_at),
    }
    if row.provider_reference is not None:
        record["provider_reference"] = row.provider_reference
    return record


def audit_key(merchant_id: str, payment_id: str) -> str:
    return f"payments/{merchant_id}/{payment_id}.json"


def _to_item(record: dict[str, Any]) -> dict[str, dict[str, str]]:
    item = {}
    for name, value in record.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": str(value)}
    return item


def _from_item(item: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {name: int(value["N"]) if "N" in value else value["S"] for name, value in item.items()}


def _unavailable(store: str, exc: Exception) -> StoreUnavailable:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return StoreUnavailable(f"{store} write failed ({code or type(exc).__name__})")


class TransactionLog:
    def __init__(self, table_name: str, client: Callable[[], Any]) -> None:
        self._table = table_name
        self._client = client

    def put(self, record: dict[str, Any]) -> bool:
        """Write the item once; return True if written now, False if the same item was already there."""
        from botocore.exceptions import BotoCoreError, ClientError

        item = _to_item(record)
        try:
            self._client().put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(payment_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _unavailable("transaction log", exc) from None
            existing = exc.response.get("Item") or self._get_item(record["payment_id"])
        except BotoCoreError as exc:
            raise _unavailable("transaction log", exc) from None
        if existing != item:
            raise StoreConflict("transaction log holds a different record for this payment")
        return False

    def _get_item(self, payment_id: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._client().get_item(
                TableName=self._table, Key={"payment_id": {"S": payment_id}}, ConsistentRead=True
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("transaction log", exc) from None
        return response.get("Item")

    def get(self, payment_id: str) -> dict[str, Any] | None:
        item = self._get_item(payment_id)
        return _from_item(item) if item else None


class AuditLog:
    def __init__(self, bucket: str, client: Callable[[], Any]) -> None:
        self._bucket = bucket
        self._client = client

    @staticmethod
    def body(record: dict[str, Any]) -> bytes:
        return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()

    def put(self, record: dict[str, Any]) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        key = audit_key(record["merchant_id"], record["payment_id"])
        try:
            self._client().put_object(
                Bucket=self._bucket,
                Key=key,
                Body=self.body(record),
                ContentType="application/json",
            )
        except (BotoCoreError, ClientError) as exc:
            raise _unavailable("audit", exc) from None
        return key
