"""API Gateway proxy events in, proxy results out (REST API v1 and HTTP API v2 share these fields)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any

from payments.errors import PaymentError
from payments.models import FieldError

MAX_BODY_BYTES = 16 * 1024
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_MISSING = object()


def header(event: dict[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    if not isinstance(headers, dict):
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted:
            return value if isinstance(value, str) else None
    return None


def correlation_id(event: dict[str, Any], context: Any) -> str:
    """X-Correlation-Id when it is well formed, else the API Gateway request id, else the Lambda one."""
    candidate = header(event, "X-Correlation-Id")
    if candidate and _CORRELATION_ID.fullmatch(candidate):
        return candidate
    request_id = (event.get("requestContext") or {}).get("requestId")
    if isinstance(request_id, str) and _CORRELATION_ID.fullmatch(request_id):
        return request_id
    return getattr(context, "aws_request_id", None) or "unknown"


def json_body(event: dict[str, Any]) -> tuple[Any, list[FieldError]]:
    """The decoded JSON body, or an error naming `body`."""
    raw = event.get("body")
    if raw is None:
        return None, [FieldError("body", "is required")]
    if not isinstance(raw, str):
        return None, [FieldError("body", "must be a JSON string")]
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, [FieldError("body", "is not valid base64-encoded UTF-8")]
    if len(raw) > MAX_BODY_BYTES:
        return None, [FieldError("body", f"must not exceed {MAX_BODY_BYTES} bytes")]
    try:
        return json.loads(raw), []
    except ValueError:
        return None, [FieldError("body", "is not valid JSON")]


def respond(status_code: int, body: dict[str, Any], correlation: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if correlation:
        headers["X-Correlation-Id"] = correlation
    return {"statusCode": status_code, "headers": headers, "body": json.dumps(body, sort_keys=True)}


def error_body(code: str, message: str, retryable: bool, fields: Iterable[FieldError] = ()) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "retryable": retryable}
    field_list = [f.as_dict() for f in fields]
    if field_list:
        error["fields"] = field_list
    return {"error": error}


def validation_failed(errors: list[FieldError], correlation: str | None) -> dict[str, Any]:
    """400 when the body is not a JSON object at all, 422 when fields are invalid; both name fields."""
    status = 400 if any(e.field == "body" for e in errors) else 422
    code = "bad_request" if status == 400 else "validation_failed"
    return respond(status, error_body(code, "the request is invalid", False, errors), correlation)


def payment_error(exc: PaymentError, correlation: str | None) -> dict[str, Any]:
    return respond(exc.status_code, error_body(exc.code, exc.message, exc.retryable), correlation)


def unauthenticated(correlation: str | None) -> dict[str, Any]:
    """401: no verified identity in the request context (nothing was read or written)."""
    result = respond(401, error_body("unauthenticated", "a valid access token is required", False), correlation)
    result["headers"]["WWW-Authenticate"] = "Bearer"
    return result


def forbidden(code: str, message: str, correlation: str | None) -> dict[str, Any]:
    """403: the caller is known but may not do this (missing scope, or acting as another merchant)."""
    return respond(403, error_body(code, message, False), correlation)


def not_found(correlation: str | None) -> dict[str, Any]:
    """404: unknown, or another merchant's (the same answer: existence is not revealed)."""
    return respond(404, error_body("not_found", "no payment with this id", False), correlation)
