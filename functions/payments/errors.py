"""Errors the payment flow raises, each carrying the HTTP-style status the handler answers with.

`retryable` tells the caller whether repeating the same request (same idempotency key) can succeed:
the caller is the single place where retries happen (see `payments.service`).
"""

from __future__ import annotations


class PaymentError(Exception):
    """Base class: an expected failure with a status code, a stable error code and a safe message.

    Messages never contain request values (a card number pasted in the wrong field must not reach a
    log line or a response), only field names and fixed text.
    """

    status_code = 500
    code = "internal_error"
    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IdempotencyConflict(PaymentError):
    """The idempotency key was already used for a payment with a different amount/currency/merchant."""

    status_code = 409
    code = "idempotency_key_reused"


class DependencyUnavailable(PaymentError):
    """A remote dependency timed out or could not be reached; the outcome is unknown or not yet recorded."""

    status_code = 503
    code = "dependency_unavailable"
    retryable = True


class DatabaseUnavailable(DependencyUnavailable):
    code = "database_unavailable"


class SchemaTooOld(DatabaseUnavailable):
    """The database schema is older than this code needs: the deploy's migration step has not run yet
    (or failed). Never fixed here: functions do not migrate; retrying succeeds once it has run."""

    code = "schema_too_old"


class PaymentApiUnavailable(DependencyUnavailable):
    code = "payment_api_unavailable"


class StoreUnavailable(DependencyUnavailable):
    code = "store_unavailable"


class PaymentApiError(PaymentError):
    """The payment API answered with a server error or an unreadable response (outcome unknown)."""

    status_code = 502
    code = "payment_api_error"
    retryable = True


class StoreConflict(PaymentError):
    """A store already holds a different record for this payment: never overwritten, needs a human."""

    status_code = 500
    code = "store_conflict"


class ConfigurationError(Exception):
    """The function's environment is missing or malformed (a deploy bug, not a request error)."""
