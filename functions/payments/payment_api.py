"""Client of the environment's payment API (http.client, one request per charge, never retried here).

Contract with the API: `POST <endpoint>` with a JSON body and an `Idempotency-Key` header carrying
the payment's charge key (`PaymentRow.charge_key`: its payment id, so unique per merchant and client
key; the client's raw key for payments charged before migration 2); the API charges at most once per
key and answers a repeated key with the original result. Responses:
  2xx {"status": "succeeded" | "declined", "reference": "..."}  -> that outcome
  402                                                            -> declined
  other 4xx except 408/409/429                                   -> failed (final: the API refused it)
  5xx, 408, 409, 429, unreadable 2xx                             -> PaymentApiError (outcome unknown)
  timeout / connection error                                     -> PaymentApiUnavailable
An unknown outcome leaves the payment pending; the caller's retry calls again with the same key.

Status lookup (reconciliation): `GET <endpoint>` with the same `Idempotency-Key` header the charge
sent (the row's charge key); the API never charges on a GET. Responses:
  200 {"status": "succeeded" | "declined", "reference": "..."}   -> the key's charge outcome
  404                                                              -> unknown: the API never saw the key
  anything else, unreadable 200                                    -> PaymentApiError
  timeout / connection error                                       -> PaymentApiUnavailable
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from payments.errors import PaymentApiError, PaymentApiUnavailable
from payments.models import PaymentRequest

_TRANSIENT_4XX = frozenset({408, 409, 425, 429})


@dataclass(frozen=True)
class ChargeResult:
    status: str  # succeeded | declined | failed
    reference: str | None


@dataclass(frozen=True)
class LookupResult:
    status: str  # succeeded | declined | unknown (the API has no charge for the key)
    reference: str | None


class PaymentApiClient:
    def __init__(self, endpoint: str, timeout_seconds: float) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("payment API endpoint must be an http(s) URL")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout_seconds = timeout_seconds
        self._ssl_context = ssl.create_default_context() if self._https else None

    def charge(
        self, request: PaymentRequest, payment_id: str, charge_key: str, timeout_seconds: float | None = None
    ) -> ChargeResult:
        body = json.dumps(
            {
                "payment_id": payment_id,
                "amount": request.amount,
                "currency": request.currency,
                "merchant_id": request.merchant_id,
                "source": request.payment_source,
            }
        ).encode()
        status, raw = self._send("POST", charge_key, body, timeout_seconds)
        return _interpret(status, raw)

    def lookup(self, idempotency_key: str, timeout_seconds: float | None = None) -> LookupResult:
        """What the API did with the charge sent under this idempotency key (never charges)."""
        status, raw = self._send("GET", idempotency_key, None, timeout_seconds)
        if status == 404:
            return LookupResult("unknown", None)
        if status == 200:
            result = _interpret(status, raw)
            return LookupResult(result.status, result.reference)
        raise PaymentApiError(f"payment API answered {status} to a status lookup")

    def _send(
        self, method: str, idempotency_key: str, body: bytes | None, timeout_seconds: float | None
    ) -> tuple[int, bytes]:
        """One request; the charge and the lookup send the idempotency key the same way."""
        timeout = self.timeout_seconds if timeout_seconds is None else min(timeout_seconds, self.timeout_seconds)
        if self._https:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=self._ssl_context
            )
        else:
            conn = http.client.HTTPConnection(self._host, self._port, timeout=timeout)
        headers = {"Idempotency-Key": idempotency_key, "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, self._path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read(65536)
        except (socket.timeout, TimeoutError):
            raise PaymentApiUnavailable(f"payment API timed out after {timeout:.2f}s") from None
        except (OSError, http.client.HTTPException) as exc:
            raise PaymentApiUnavailable(f"payment API unreachable ({type(exc).__name__})") from None
        finally:
            conn.close()


def _interpret(status: int, raw: bytes) -> ChargeResult:
    if status >= 500 or status in _TRANSIENT_4XX:
        raise PaymentApiError(f"payment API answered {status}")
    try:
        payload = json.loads(raw) if raw else {}
    except ValueError:
        payload = None
    reference = payload.get("reference") if isinstance(payload, dict) else None
    reference = reference if isinstance(reference, str) and len(reference) <= 255 else None
    if status == 402:
        return ChargeResult("declined", reference)
    if 400 <= status < 500:
        return ChargeResult("failed", reference)
    if 200 <= status < 300 and isinstance(payload, dict) and payload.get("status") in ("succeeded", "declined"):
        return ChargeResult(payload["status"], reference)
    raise PaymentApiError(f"payment API answered {status} with an unreadable body")
