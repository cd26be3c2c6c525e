"""Who is calling: the merchant and scopes of the token API Gateway's JWT authorizer verified.

The HTTP API (payload format 2.0) puts the verified token's claims at
`requestContext.authorizer.jwt.claims` (`contract.AUTHORIZER_CLAIMS_PATH`); the merchant id is the
`client_id` claim (`contract.MERCHANT_CLAIM`: one Cognito app client per merchant) and its rights the
space-separated `scope` claim. API Gateway already refuses a request without a valid token or without
the route's scope; the functions check again and fail closed, so a route deployed without its
authorizer (or invoked some other way) answers 401/403 instead of acting for whoever the body names.

Nothing here reads a header: an `Authorization` header is never trusted by the function itself, only
what the authorizer put in the request context.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payments.contract import AUTHORIZER_CLAIMS_PATH, MERCHANT_CLAIM
from payments.models import is_merchant_id

SCOPE_CLAIM = "scope"


@dataclass(frozen=True)
class Caller:
    merchant_id: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes


def claims(event: Any) -> dict[str, Any] | None:
    node: Any = event
    for name in AUTHORIZER_CLAIMS_PATH:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node if isinstance(node, dict) else None


def caller(event: Any) -> Caller | None:
    """The authenticated caller, or None when the event carries no usable identity (→ 401)."""
    found = claims(event)
    if found is None:
        return None
    merchant = found.get(MERCHANT_CLAIM)
    if not is_merchant_id(merchant):  # absent, empty or malformed: not an identity we can scope by
        return None
    raw_scopes = found.get(SCOPE_CLAIM)
    scopes = frozenset(raw_scopes.split()) if isinstance(raw_scopes, str) else frozenset()
    return Caller(merchant_id=merchant, scopes=scopes)
