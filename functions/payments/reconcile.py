"""Reconciliation: finish the payments whose request died and was never retried.

A payment is *unfinished* until its outcome is in all three stores (`payments.published_at`). The
flow finishes it while answering its request; when the invocation dies between the insert and the
last write and the client never retries, it stays unfinished. A scheduled run (`Reconciler.run`):

1. claims up to `batch_size` unfinished payments older than `pending_threshold_seconds`, oldest
   first, in one statement (`FOR UPDATE SKIP LOCKED` plus a lease until the invocation's deadline):
   two runs at once never claim the same payment, and a run that dies frees its claims when the
   lease ends. Each claim counts one attempt (persisted: `reconcile_attempts`).
2. for a `pending` payment, asks the payment API with the idempotency key the charge used what
   happened (`PaymentApiClient.lookup`, never a charge):
   - charged (succeeded or declined): recorded and published by `PaymentService.finish`, the same
     code path as the request's own;
   - unknown (the API never saw the key): after `max_attempts` attempts, `failed` with a reason,
     through the same path; before that, left for the next run;
   - the API cannot say (error, timeout): left pending whatever the attempt count, because it may
     have charged; the oldest-pending age (and its alarm) shows it.
3. for a final payment that is not yet published (crash after its outcome was recorded), publishes
   it (`PaymentService.publish`: idempotent writes, no API call).
4. releases each claim when done with it, so the next scheduled run may try again.

Every step is idempotent, so repeating a run (or running it twice at once) changes nothing twice.

Known limit: a client that retries for the first time at the very moment its payment's last
attempt gives up (threshold x attempts after the request) can be charged by its retry after the
lookup said "never seen", while the payment is recorded `failed` (the first outcome wins). Closing
it needs the flow to leave payments older than the threshold to reconciliation, or an API call that
voids a key; the threshold and the attempt count make the window small.
SQL names the table unqualified (`payments`); the connection's search_path selects the schema.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from payments.contract import EnvVar
from payments.errors import ConfigurationError, PaymentApiError, PaymentApiUnavailable, PaymentError

MAX_BATCH_SIZE = 1000
MAX_ATTEMPTS_LIMIT = 100
# A claim outlives its run by this much at most when the run dies (the lease ends at the deadline).
LEASE_MARGIN_SECONDS = 5.0
# Work stops when less than this is left of the invocation (one lookup plus the writes of finishing).
DEFAULT_RESERVE_SECONDS = 8.0
NEVER_CHARGED_REASON = "payment API has no charge for this idempotency key after {attempts} reconciliation attempts"


@dataclass(frozen=True)
class ReconcileSettings:
    """The reconciliation knobs the compute stack files set (see `payments.contract.EnvVar`)."""

    pending_threshold_seconds: float
    batch_size: int
    max_attempts: int

    def __post_init__(self) -> None:
        if self.pending_threshold_seconds <= 0:
            raise ConfigurationError(f"{EnvVar.PENDING_THRESHOLD_SECONDS} must be a positive number of seconds")
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ConfigurationError(f"{EnvVar.RECONCILE_BATCH_SIZE} must be between 1 and {MAX_BATCH_SIZE}")
        if not 1 <= self.max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise ConfigurationError(f"{EnvVar.RECONCILE_MAX_ATTEMPTS} must be between 1 and {MAX_ATTEMPTS_LIMIT}")

    def check_against(self, payment_worst_case_seconds: float) -> None:
        """A payment younger than the payment function's worst case may still be in flight: the
        threshold must exceed it, or reconciliation could fail a charge that is about to happen."""
        if self.pending_threshold_seconds <= payment_worst_case_seconds:
            raise ConfigurationError(
                f"{EnvVar.PENDING_THRESHOLD_SECONDS} must exceed the payment function's worst case"
                f" ({payment_worst_case_seconds:.0f} s)"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ReconcileSettings:
        def integer(var: EnvVar) -> int:
            raw = environ.get(var, "").strip()
            if not raw:
                raise ConfigurationError(f"environment variable {var} is not set")
            try:
                return int(raw)
            except ValueError:
                raise ConfigurationError(f"environment variable {var} must be an integer") from None

        return cls(
            pending_threshold_seconds=integer(EnvVar.PENDING_THRESHOLD_SECONDS),
            batch_size=integer(EnvVar.RECONCILE_BATCH_SIZE),
            max_attempts=integer(EnvVar.RECONCILE_MAX_ATTEMPTS),
        )


@dataclass(frozen=True)
class Claim:
    payment_id: str
    merchant_id: str
    idempotency_key: str  # the client's key
    status: str
    attempts: int  # including this one
    created_at: datetime
    charge_key: str  # the key the payment API was called with, so the one the lookup sends (migration 2)


@dataclass(frozen=True)
class Backlog:
    still_pending: int  # unfinished and older than the threshold
    oldest_age_seconds: float  # of any unfinished payment; 0 when none


_CLAIM = """
UPDATE payments AS p
   SET reconcile_attempts = p.reconcile_attempts + 1,
       reconcile_lease_until = now() + make_interval(secs => CAST(:lease AS double precision))
  FROM (SELECT payment_id FROM payments
         WHERE published_at IS NULL
           AND created_at < now() - make_interval(secs => CAST(:threshold AS double precision))
           AND (reconcile_lease_until IS NULL OR reconcile_lease_until < now())
         ORDER BY created_at
         LIMIT :batch
           FOR UPDATE SKIP LOCKED) AS due
 WHERE p.payment_id = due.payment_id
RETURNING p.payment_id::text, p.merchant_id, p.idempotency_key, p.status, p.reconcile_attempts, p.created_at,
          COALESCE(p.charge_key, p.idempotency_key)
"""

_BACKLOG = """
SELECT count(*) FILTER (WHERE created_at < now() - make_interval(secs => CAST(:threshold AS double precision))),
       COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)
  FROM payments
 WHERE published_at IS NULL
"""


class ReconcileStore:
    """The reconciliation's SQL, run on `payments.db.Database`'s connection (autocommit: each
    statement is its own transaction, so no lock outlives its statement)."""

    def __init__(self, database: Any) -> None:
        self._database = database

    def claim(self, *, threshold_seconds: float, batch_size: int, lease_seconds: float) -> list[Claim]:
        rows = self._database.run(
            lambda conn: conn.run(
                _CLAIM, lease=float(lease_seconds), threshold=float(threshold_seconds), batch=batch_size
            )
        )
        claims = [Claim(*row) for row in rows]
        return sorted(claims, key=lambda c: (c.created_at, c.payment_id))

    def release(self, payment_id: str) -> None:
        self._database.run(
            lambda conn: conn.run(
                "UPDATE payments SET reconcile_lease_until = NULL WHERE payment_id = CAST(:payment_id AS uuid)",
                payment_id=payment_id,
            )
        )

    def backlog(self, threshold_seconds: float) -> Backlog:
        rows = self._database.run(lambda conn: conn.run(_BACKLOG, threshold=float(threshold_seconds)))
        count, oldest = rows[0]
        return Backlog(still_pending=int(count), oldest_age_seconds=float(oldest))


@dataclass
class RunReport:
    claimed: list[str] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)  # finished with the API's outcome or republished
    failed: list[str] = field(default_factory=list)  # failed by reconciliation (never charged)
    left_pending: list[str] = field(default_factory=list)  # claimed, not finished this run
    errors: dict[str, str] = field(default_factory=dict)  # payment id -> error code (non-transient)
    still_pending: int = 0
    oldest_pending_age_seconds: float = 0.0
    stopped_early: bool = False  # the invocation's time ran short: the rest waits for the next run

    def summary(self) -> dict[str, Any]:
        return {
            "claimed": len(self.claimed),
            "reconciled": len(self.reconciled),
            "failed": len(self.failed),
            "left_pending": len(self.left_pending),
            "errors": len(self.errors),
            "still_pending": self.still_pending,
            "oldest_pending_age_seconds": round(self.oldest_pending_age_seconds, 3),
            "stopped_early": self.stopped_early,
        }


class Reconciler:
    """One reconciliation run over a store, the payment service (its `finish`/`publish` path) and the
    payment API client. `log(message, **fields)` receives one line per decision."""

    def __init__(
        self,
        store: ReconcileStore,
        service: Any,
        api: Any,
        settings: ReconcileSettings,
        *,
        reserve_seconds: float = DEFAULT_RESERVE_SECONDS,
        log: Any = None,
    ) -> None:
        self._store = store
        self._service = service
        self._api = api
        self._settings = settings
        self._reserve = reserve_seconds
        self._log = log or (lambda message, **fields: None)

    def run(self, deadline: float) -> RunReport:
        """Reconcile one batch; `deadline` is the invocation's end as a `time.monotonic()` instant."""
        report = RunReport()
        lease = math.ceil(max(deadline - time.monotonic(), 0.0) + LEASE_MARGIN_SECONDS)
        claims = self._store.claim(
            threshold_seconds=self._settings.pending_threshold_seconds,
            batch_size=self._settings.batch_size,
            lease_seconds=lease,
        )
        report.claimed = [c.payment_id for c in claims]
        for index, claim in enumerate(claims):
            if deadline - time.monotonic() < self._reserve:
                report.stopped_early = True  # the leases end at the deadline: the next run takes them
                report.left_pending += [c.payment_id for c in claims[index:]]
                break
            self._one(claim, deadline, report)
            self._store.release(claim.payment_id)
        backlog = self._store.backlog(self._settings.pending_threshold_seconds)
        report.still_pending = backlog.still_pending
        report.oldest_pending_age_seconds = backlog.oldest_age_seconds
        return report

    def _one(self, claim: Claim, deadline: float, report: RunReport) -> None:
        pid = claim.payment_id
        try:
            if claim.status != "pending":  # outcome recorded, not published: finish publishing
                row = self._service.repository.get(pid, claim.merchant_id)
                self._service.publish(row)
                report.reconciled.append(pid)
                self._log("republished a final payment", payment_id=pid, status=row.status)
                return
            timeout = max(deadline - time.monotonic() - self._reserve, 0.1)
            result = self._api.lookup(claim.charge_key, timeout_seconds=timeout)
            if result.status in ("succeeded", "declined"):
                record = self._service.finish(pid, result.status, result.reference)
                report.reconciled.append(pid)
                self._log(
                    "finished a pending payment", payment_id=pid, status=record["status"], attempts=claim.attempts
                )
            elif claim.attempts >= self._settings.max_attempts:
                reason = NEVER_CHARGED_REASON.format(attempts=claim.attempts)
                record = self._service.finish(pid, "failed", None, reason)
                if record["status"] == "failed":
                    report.failed.append(pid)
                else:  # the request itself finished it meanwhile (first outcome wins)
                    report.reconciled.append(pid)
                self._log("failed a never-charged payment", payment_id=pid, status=record["status"], reason=reason)
            else:
                report.left_pending.append(pid)
                self._log("payment API has no charge yet", payment_id=pid, attempts=claim.attempts)
        except (PaymentApiUnavailable, PaymentApiError) as exc:
            # The API may have charged: never fail on its silence. Retried by the next run.
            report.left_pending.append(pid)
            self._log("payment API could not say", payment_id=pid, attempts=claim.attempts, error_code=exc.code)
        except PaymentError as exc:
            report.left_pending.append(pid)
            if not getattr(exc, "retryable", False):
                report.errors[pid] = exc.code  # e.g. a store conflict: needs a human
            self._log("payment not finished", payment_id=pid, error_code=exc.code, reason=exc.message)
