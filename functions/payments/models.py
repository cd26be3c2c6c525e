"""The typed payment request and its validation (no pydantic: it would double the cold start).

`parse_payment_request` never raises on bad input: it returns every field error at once, each naming
the field and carrying fixed text only, so a card number pasted into any field is never echoed back
into a response or a log line.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

# ISO 4217 active codes (funds and precious-metal codes excluded: not payable currencies).
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
    GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
    SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
    VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

MERCHANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # also safe inside an S3 key
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,128}")
SOURCE_TOKEN = re.compile(r"[a-z]{2,10}_[A-Za-z0-9]{8,64}")  # e.g. tok_..., pm_...
# 12 to 19 digits, optionally separated by spaces or dashes: anything that could be a card number.
PAN_LIKE = re.compile(r"(?:\d[ -]?){11,18}\d")

# The body's fields. `merchant_id` is optional: the merchant is the authenticated caller (the
# verified token's client id); a body naming another merchant is refused, see `merchant_mismatch`.
REQUEST_FIELDS = ("amount", "currency", "merchant_id", "payment_source")
IDEMPOTENCY_KEY_FIELD = "idempotency_key"
MERCHANT_ID_FIELD = "merchant_id"

# Deterministic ids: every retry of the same (merchant, idempotency key) targets the same row, item
# and object. Payments created before idempotency was scoped per merchant (migration 2) keep the ids
# they were given, uuid5(LEGACY_PAYMENT_ID_NAMESPACE, key): a new namespace keeps the two id spaces
# apart, so a new id can never collide with an existing one.
PAYMENT_ID_NAMESPACE = uuid.UUID("5b0e3c52-2f4e-5a8f-8d1c-6e2b7a9c4d10")
LEGACY_PAYMENT_ID_NAMESPACE = uuid.UUID("8f4b1f1e-6c1a-5d2e-9a57-3c0d3b1f0a11")


def payment_id_for(merchant_id: str, idempotency_key: str) -> str:
    """The payment id of a merchant's idempotency key: uuid5 over "merchant:key". A merchant id never
    contains ':' (see MERCHANT_ID), so the name is unambiguous: two merchants never share an id."""
    return str(uuid.uuid5(PAYMENT_ID_NAMESPACE, f"{merchant_id}:{idempotency_key}"))


def legacy_payment_id_for(idempotency_key: str) -> str:
    """The id a payment got before migration 2 (keys were global then)."""
    return str(uuid.uuid5(LEGACY_PAYMENT_ID_NAMESPACE, idempotency_key))


def is_merchant_id(value: Any) -> bool:
    return isinstance(value, str) and MERCHANT_ID.fullmatch(value) is not None


def merchant_mismatch(body: Any, merchant_id: str) -> bool:
    """True when the body names a merchant other than the authenticated one (refused, never replaced)."""
    return isinstance(body, dict) and MERCHANT_ID_FIELD in body and body[MERCHANT_ID_FIELD] != merchant_id


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class PaymentRequest:
    idempotency_key: str
    amount: int  # minor units
    currency: str
    merchant_id: str  # the authenticated merchant, never taken from the body
    payment_source: str  # a token from the card vault, never a card number

    @property
    def payment_id(self) -> str:
        return payment_id_for(self.merchant_id, self.idempotency_key)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-safe form handed to the idempotency layer (hashed there, never stored raw)."""
        return {
            "idempotency_key": self.idempotency_key,
            "amount": self.amount,
            "currency": self.currency,
            "merchant_id": self.merchant_id,
            "payment_source": self.payment_source,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaymentRequest:
        """Rebuild a request that already passed validation (no checks)."""
        return cls(**{name: data[name] for name in (IDEMPOTENCY_KEY_FIELD, *REQUEST_FIELDS)})


def looks_like_pan(value: str) -> bool:
    return PAN_LIKE.search(value) is not None


def _check_amount(value: Any, max_amount_minor: int) -> str | None:
    if value is None:
        return "is required"
    if type(value) is not int:  # bool and float (even 10.0) refused: minor units are integers
        return "must be an integer number of minor units"
    if value <= 0:
        return "must be greater than 0"
    if value > max_amount_minor:
        return f"must not exceed {max_amount_minor}"
    return None


def _check_string(value: Any, pattern: re.Pattern[str], description: str) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if pattern.fullmatch(value) is None:
        return f"must be {description}"
    return None


def parse_payment_request(
    body: Any, idempotency_key: Any, *, merchant_id: str, max_amount_minor: int
) -> tuple[PaymentRequest | None, list[FieldError]]:
    """Validate a decoded JSON body plus the idempotency key of the authenticated merchant; return the
    request or every error. The caller has already refused a body naming another merchant
    (`merchant_mismatch`): a `merchant_id` in the body is then the caller's own and adds nothing."""
    if not isinstance(body, dict):
        return None, [FieldError("body", "must be a JSON object")]
    errors: list[FieldError] = []
    for name in sorted(set(body) - set(REQUEST_FIELDS)):
        # The name is echoed, never the value (it may be a card number under "card_number").
        errors.append(FieldError(name if _safe_name(name) else "body", "is not an accepted field"))

    checks = {
        "amount": _check_amount(body.get("amount"), max_amount_minor),
        "currency": _check_currency(body.get("currency")),
        "payment_source": _check_source(body.get("payment_source")),
        # Normally refused before (403 by the handler); checked here too so no caller can miss it.
        MERCHANT_ID_FIELD: "must be omitted or be the authenticated merchant" if merchant_mismatch(body, merchant_id) else None,
        IDEMPOTENCY_KEY_FIELD: _check_string(
            idempotency_key, IDEMPOTENCY_KEY, "8-128 characters of letters, digits, '_', '.', ':' or '-'"
        ),
    }
    errors += [FieldError(field, message) for field, message in checks.items() if message is not None]
    if errors:
        return None, errors
    return (
        PaymentRequest(
            idempotency_key=idempotency_key,
            amount=body["amount"],
            currency=body["currency"],
            merchant_id=merchant_id,
            payment_source=body["payment_source"],
        ),
        [],
    )


def _check_currency(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if value not in ISO_4217:
        return "must be an ISO 4217 currency code in upper case, e.g. EUR"
    return None


def _check_source(value: Any) -> str | None:
    if value is None:
        return "is required"
    if not isinstance(value, str):
        return "must be a string"
    if looks_like_pan(value):
        return "must be a payment token, not a card number"
    if SOURCE_TOKEN.fullmatch(value) is None:
        return "must be a payment token such as tok_xxxxxxxx"
    return None


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


def _safe_name(name: str) -> bool:
    return _FIELD_NAME.fullmatch(name) is not None and not looks_like_pan(name)


def parse_payment_id(value: Any, field: str = "payment_id") -> tuple[str | None, list[FieldError]]:
    """Validate a payment id path parameter (a UUID, returned in canonical form)."""
    if not isinstance(value, str) or not value:
        return None, [FieldError(field, "is required")]
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None, [FieldError(field, "must be a UUID")]
    return str(parsed), []
