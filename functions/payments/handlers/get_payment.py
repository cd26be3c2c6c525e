"""`get_payment`: reads one payment back from PostgreSQL (the system of record) by id.

Event: an API Gateway proxy event, `GET /payments/{payment_id}` (`pathParameters.payment_id`).
Result: 200 with the payment record (as returned by process_payment), 400 naming `payment_id` when it
is not a UUID, 404 when unknown, 503 when the database is unavailable.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from payments import runtime
from payments.contract import EnvVar
from payments.errors import PaymentError
from payments.handlers import _http
from payments.models import parse_payment_id

logger = Logger(service=os.getenv(EnvVar.POWERTOOLS_SERVICE_NAME) or "payments")
metrics = Metrics(namespace=os.getenv(EnvVar.POWERTOOLS_METRICS_NAMESPACE) or "Payments")


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False, clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    correlation = _http.correlation_id(event, context)
    logger.set_correlation_id(correlation)

    payment_id, errors = parse_payment_id((event.get("pathParameters") or {}).get("payment_id"))
    if payment_id is None:
        return _http.respond(400, _http.error_body("bad_request", "the request is invalid", False, errors), correlation)
    logger.append_keys(payment_id=payment_id)
    try:
        record = runtime.get_runtime().service.get(payment_id)
    except PaymentError as exc:
        logger.warning("payment lookup failed", extra={"error_code": exc.code})
        return _http.payment_error(exc, correlation)
    if record is None:
        metrics.add_metric(name="PaymentNotFound", unit=MetricUnit.Count, value=1)
        return _http.respond(404, _http.error_body("not_found", "no payment with this id", False), correlation)
    metrics.add_metric(name="PaymentRead", unit=MetricUnit.Count, value=1)
    return _http.respond(200, record, correlation)
