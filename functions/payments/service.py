"""The payment flow, free of Lambda: record pending -> charge -> record outcome -> log -> audit.

Every step is idempotent on the payment id (derived from the merchant and its idempotency key), so
a retry after a crash at any point completes the payment exactly once:

1. PostgreSQL: insert the row as pending (`ON CONFLICT DO NOTHING`); the merchant's existing row for
   the key is reused, or refused with `IdempotencyConflict` if the amount or currency differ.
2. Payment API: called only while the row is pending, with the row's charge key every time (its
   payment id, unique per merchant and key), so the API charges once however often it is called.
3. PostgreSQL: pending -> succeeded/declined/failed (the first recorded outcome wins).
4. DynamoDB: the transaction-log item, conditional put (never overwritten).
5. S3: the audit record at a key derived from the payment (a retry rewrites the same object).
6. PostgreSQL: the payment is marked published (its outcome is in all three stores).

Steps 3-6 are `finish` (and 4-6 `publish`): the one path by which a payment is finished, whether by
its request or by reconciliation (`payments.reconcile`), which finishes the payments whose request
died after step 1 and was never retried.

Retries happen in one place only: the caller of the function, repeating the request with the same
idempotency key (the Powertools idempotency layer in the handler returns the stored result of a
completed request). Nothing in this package loops: AWS clients make one attempt, PostgreSQL and the
payment API one call. The payment API timeout is capped so that `post_charge_reserve_seconds`
remain for steps 3-5 before the invocation's deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from payments.db import PaymentRow
from payments.errors import PaymentApiUnavailable
from payments.models import PaymentRequest
from payments.payment_api import ChargeResult
from payments.stores import payment_record


class PaymentRepository(Protocol):
    def insert_pending(self, request: PaymentRequest) -> tuple[PaymentRow, bool]: ...
    def record_outcome(
        self, payment_id: str, status: str, provider_reference: str | None, failure_reason: str | None = None
    ) -> PaymentRow: ...
    def mark_published(self, payment_id: str) -> None: ...
    def get(self, payment_id: str, merchant_id: str) -> PaymentRow | None: ...


class PaymentApi(Protocol):
    def charge(
        self, request: PaymentRequest, payment_id: str, charge_key: str, timeout_seconds: float | None = None
    ) -> ChargeResult: ...


class RecordWriter(Protocol):
    def put(self, record: dict[str, Any]) -> Any: ...


@dataclass
class PaymentService:
    repository: PaymentRepository
    api: PaymentApi
    transaction_log: RecordWriter
    audit: RecordWriter
    # No defaults here: `payments.settings.Settings` is their one source.
    post_charge_reserve_seconds: float
    min_api_timeout_seconds: float

    def process(self, request: PaymentRequest, deadline: float | None = None) -> dict[str, Any]:
        """Run the flow; return the payment record. `deadline` is a `time.monotonic()` instant."""
        row, _created = self.repository.insert_pending(request)
        if row.status == "pending":
            timeout = self._api_timeout(deadline)
            result = self.api.charge(request, row.payment_id, row.charge_key, timeout_seconds=timeout)
            return self.finish(row.payment_id, result.status, result.reference)
        return self.publish(row)

    def finish(
        self, payment_id: str, status: str, provider_reference: str | None, failure_reason: str | None = None
    ) -> dict[str, Any]:
        """Record a pending payment's outcome (the first recorded outcome wins) and publish it."""
        row = self.repository.record_outcome(payment_id, status, provider_reference, failure_reason)
        return self.publish(row)

    def publish(self, row: PaymentRow) -> dict[str, Any]:
        """Write a final payment to the transaction log and the audit trail, then mark it published.
        Every write is idempotent, so publishing again (a replay, reconciliation) changes nothing."""
        record = payment_record(row)
        self.transaction_log.put(record)
        self.audit.put(record)
        self.repository.mark_published(row.payment_id)
        return record

    def _api_timeout(self, deadline: float | None) -> float | None:
        if deadline is None:
            return None
        available = deadline - time.monotonic() - self.post_charge_reserve_seconds
        if available < self.min_api_timeout_seconds:
            # Not calling at all is safe: the payment stays pending and the retry charges it.
            raise PaymentApiUnavailable("not enough time left in this invocation to call the payment API")
        return available

    def get(self, payment_id: str, merchant_id: str) -> dict[str, Any] | None:
        """The merchant's payment, or None when unknown or another merchant's (never told apart)."""
        row = self.repository.get(payment_id, merchant_id)
        return payment_record(row) if row is not None else None
