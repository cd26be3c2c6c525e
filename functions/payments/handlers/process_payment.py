"""`process_payment`: records a payment once (PostgreSQL, payment API, DynamoDB log, S3 audit).

Event: an HTTP API (payload format 2.0) event, `POST /payments` (`contract.ROUTES`), with the JWT
authorizer's verified claims in the request context (see `payments.handlers._auth`):
    headers: Idempotency-Key: <8-128 chars>     (required; the client's idempotency key)
             X-Correlation-Id: <id>              (optional; else the API Gateway request id)
    body:    {"amount": 1250, "currency": "EUR", "payment_source": "tok_..."}
             (amount in minor units; payment_source is a vault token, a card number is refused;
             `merchant_id` may be given but must then be the caller's own: the merchant is always
             the token's client id, never the body)
Result: {"statusCode", "headers", "body": JSON}
    200 succeeded / 402 declined or failed: body is the payment record (the same on every replay)
    401 no verified identity (nothing read or written, not even the idempotency table)
    403 insufficient_scope, or merchant_mismatch (the body names another merchant; nothing written)
    400 body not a JSON object, 422 invalid fields: body.error.fields names each field
    409 idempotency_key_reused (this merchant's key, other amount/currency) or request_in_progress
    502 payment API error, 503 a dependency timed out or is unreachable (retry with the same key)

Idempotency is scoped per merchant everywhere: the Powertools record is keyed by
[merchant_id, idempotency_key], the payment id is uuid5(merchant:key), PostgreSQL holds
UNIQUE (merchant_id, idempotency_key), and the DynamoDB item and S3 object are keyed by that payment
id (the S3 key also names the merchant). Two merchants using the same key make two payments; a 409
only ever concerns the caller's own key.

The handler is thin: parsing and validation (`payments.models`), the flow (`payments.service`) and
data access (`payments.db`, `payments.stores`, `payments.payment_api`) live in their own modules.
Identity and validation happen before the idempotency layer, so a refused request writes nothing.
The Powertools idempotency layer (payload validated over amount and currency) is built on first use,
with the same single-attempt DynamoDB client as the rest. Logs carry the correlation id and only
validated, non-secret fields: never the event, the payment source or the database secret.
"""

from __future__ import annotations

import os
import time
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from payments import runtime
from payments.contract import WRITE_SCOPE, EnvVar
from payments.errors import PaymentError
from payments.handlers import _auth, _http
from payments.models import (
    IDEMPOTENCY_KEY_FIELD,
    MERCHANT_ID_FIELD,
    PaymentRequest,
    merchant_mismatch,
    parse_payment_request,
)

logger = Logger(service=os.getenv(EnvVar.POWERTOOLS_SERVICE_NAME) or "payments")
metrics = Metrics(namespace=os.getenv(EnvVar.POWERTOOLS_METRICS_NAMESPACE) or "Payments")

STATUS_CODES = {"succeeded": 200, "declined": 402, "failed": 402}
# The Powertools idempotency record's key: the merchant and its key (JMESPath over `as_dict()`).
IDEMPOTENCY_KEY_EXPRESSION = f"[{MERCHANT_ID_FIELD}, {IDEMPOTENCY_KEY_FIELD}]"


def _on_replay(response: Any, _record: Any) -> Any:
    metrics.add_metric(name="PaymentReplayed", unit=MetricUnit.Count, value=1)
    return response


class _Idempotency:
    """The idempotent wrapper of `process_once`, built on the first invocation (needs the settings)."""

    def __init__(self) -> None:
        self.config: IdempotencyConfig | None = None
        self.layer: DynamoDBPersistenceLayer | None = None
        self.function: Any = None

    def get(self) -> tuple[IdempotencyConfig, Any]:
        if self.function is None:
            rt = runtime.get_runtime()
            config = IdempotencyConfig(
                event_key_jmespath=IDEMPOTENCY_KEY_EXPRESSION,
                payload_validation_jmespath="[amount, currency]",
                raise_on_no_idempotency_key=True,
                expires_after_seconds=rt.settings.idempotency_expiry_seconds,
                response_hook=_on_replay,
            )
            layer = DynamoDBPersistenceLayer(table_name=rt.settings.idempotency_table, boto3_client=rt.aws.dynamodb)
            self.function = idempotent_function(
                data_keyword_argument="request", config=config, persistence_store=layer
            )(process_once)
            self.config, self.layer = config, layer
        return self.config, self.function

    def reset(self) -> None:
        self.config = self.layer = self.function = None


_idempotency = _Idempotency()
runtime.on_reset(_idempotency.reset)


def process_once(request: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
    """The payment flow for one validated request (called at most once per key to completion)."""
    return runtime.get_runtime().service.process(PaymentRequest.from_dict(request), deadline=deadline)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    correlation = _http.correlation_id(event, context)
    logger.set_correlation_id(correlation)

    caller = _auth.caller(event)
    if caller is None:  # before anything else: no store (not even the idempotency table) is touched
        logger.warning("request without a verified identity refused")
        metrics.add_metric(name="PaymentUnauthenticated", unit=MetricUnit.Count, value=1)
        return _http.unauthenticated(correlation)
    logger.append_keys(merchant_id=caller.merchant_id)
    if not caller.may(WRITE_SCOPE):
        logger.warning("token without the write scope refused")
        return _http.forbidden("insufficient_scope", f"the token lacks the {WRITE_SCOPE} scope", correlation)

    body, errors = _http.json_body(event)
    if not errors and merchant_mismatch(body, caller.merchant_id):
        logger.warning("body names another merchant: refused")
        metrics.add_metric(name="PaymentMerchantMismatch", unit=MetricUnit.Count, value=1)
        return _http.forbidden(
            "merchant_mismatch", "merchant_id must be omitted or be the authenticated merchant", correlation
        )
    request = None
    if not errors:
        settings = runtime.get_runtime().settings
        request, errors = parse_payment_request(
            body,
            _http.header(event, "Idempotency-Key"),
            merchant_id=caller.merchant_id,
            max_amount_minor=settings.max_amount_minor,
        )
    if request is None:
        logger.info("payment request rejected", extra={"invalid_fields": [e.field for e in errors]})
        metrics.add_metric(name="PaymentRejected", unit=MetricUnit.Count, value=1)
        return _http.validation_failed(errors, correlation)

    logger.append_keys(payment_id=request.payment_id)
    config, process = _idempotency.get()
    config.register_lambda_context(context)
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000
    try:
        record = process(request=request.as_dict(), deadline=deadline)
    except IdempotencyValidationError:
        logger.warning("idempotency key reused with a different payload")
        metrics.add_metric(name="PaymentConflict", unit=MetricUnit.Count, value=1)
        return _http.respond(
            409,
            _http.error_body(
                "idempotency_key_reused",
                "this idempotency key was already used with a different amount or currency",
                False,
            ),
            correlation,
        )
    except IdempotencyAlreadyInProgressError:
        logger.info("request with this idempotency key already in progress")
        metrics.add_metric(name="PaymentInProgress", unit=MetricUnit.Count, value=1)
        return _http.respond(
            409,
            _http.error_body("request_in_progress", "a request with this idempotency key is in progress", True),
            correlation,
        )
    except PaymentError as exc:
        logger.warning("payment not completed", extra={"error_code": exc.code, "reason": exc.message})
        metrics.add_metric(name="PaymentError", unit=MetricUnit.Count, value=1)
        return _http.payment_error(exc, correlation)
    except IdempotencyPersistenceLayerError as exc:
        logger.warning("idempotency store unavailable", extra={"reason": type(exc.__cause__).__name__})
        metrics.add_metric(name="PaymentError", unit=MetricUnit.Count, value=1)
        return _http.respond(
            503, _http.error_body("idempotency_store_unavailable", "try again with the same key", True), correlation
        )

    logger.info("payment processed", extra={"status": record["status"], "amount": record["amount"], "currency": record["currency"]})
    metrics.add_metric(name=f"Payment{record['status'].capitalize()}", unit=MetricUnit.Count, value=1)
    return _http.respond(STATUS_CODES.get(record["status"], 500), record, correlation)
