"""`get_payment`: reads one of the caller's payments back from PostgreSQL (the system of record).

Event: an HTTP API (payload format 2.0) event, `GET /payments/{paymentId}` (`contract.ROUTES`), with
the JWT authorizer's verified claims in the request context (see `payments.handlers._auth`).
Result: 200 with the payment record (as returned by process_payment); 401 without an identity (checked
first, nothing is read); 403 without the read scope; 400 naming `paymentId` when it is not a UUID;
404 when unknown *or another merchant's* (the same answer, so existence is never revealed); 503 when
the database is unavailable.
"""

from __future__ import annotations

import os
import re
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from payments import runtime
from payments.contract import GET_PAYMENT, READ_SCOPE, ROUTES, EnvVar
from payments.errors import PaymentError
from payments.handlers import _auth, _http
from payments.models import parse_payment_id

logger = Logger(service=os.getenv(EnvVar.POWERTOOLS_SERVICE_NAME) or "payments")
metrics = Metrics(namespace=os.getenv(EnvVar.POWERTOOLS_METRICS_NAMESPACE) or "Payments")

# The path parameter's name, from the route key in the contract ("GET /payments/{paymentId}").
(PATH_PARAMETER,) = re.findall(r"\{(\w+)\}", next(r.route_key for r in ROUTES if r.function == GET_PAYMENT))


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    correlation = _http.correlation_id(event, context)
    logger.set_correlation_id(correlation)

    caller = _auth.caller(event)
    if caller is None:
        logger.warning("request without a verified identity refused")
        metrics.add_metric(name="PaymentUnauthenticated", unit=MetricUnit.Count, value=1)
        return _http.unauthenticated(correlation)
    logger.append_keys(merchant_id=caller.merchant_id)
    if not caller.may(READ_SCOPE):
        logger.warning("token without the read scope refused")
        return _http.forbidden("insufficient_scope", f"the token lacks the {READ_SCOPE} scope", correlation)

    payment_id, errors = parse_payment_id((event.get("pathParameters") or {}).get(PATH_PARAMETER), PATH_PARAMETER)
    if payment_id is None:
        return _http.respond(400, _http.error_body("bad_request", "the request is invalid", False, errors), correlation)
    logger.append_keys(payment_id=payment_id)
    try:
        record = runtime.get_runtime().service.get(payment_id, caller.merchant_id)
    except PaymentError as exc:
        logger.warning("payment lookup failed", extra={"error_code": exc.code})
        return _http.payment_error(exc, correlation)
    if record is None:
        metrics.add_metric(name="PaymentNotFound", unit=MetricUnit.Count, value=1)
        return _http.not_found(correlation)
    metrics.add_metric(name="PaymentRead", unit=MetricUnit.Count, value=1)
    return _http.respond(200, record, correlation)
