"""Stack configuration of the payment API (compute layer keys `apiThrottling` and `merchants`).

- `compute:apiThrottling` `{rateLimit, burstLimit}`: the stage's default route throttling, a
  token bucket per stage: `rateLimit` requests per second steady, `burstLimit` at once. AWS caps
  both by the account's regional quota (10,000 requests/s, burst 5,000 by default).
- `compute:merchants`: the merchants that may call the API in this environment, each
  `{name, scopes}`. Each becomes one Cognito app client (client-credentials grant) allowed the
  listed OAuth scopes; onboarding is adding an entry, revocation removing it (then deploy).
"""

from __future__ import annotations

import re

from payments.contract import READ_SCOPE, RESOURCE_SERVER_IDENTIFIER, WRITE_SCOPE
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

# API Gateway's default account quota per region (Service Quotas: "Throttle rate" / "Throttle burst rate").
MAX_RATE_LIMIT = 10_000
MAX_BURST_LIMIT = 5_000

# The resource server's scope names (`payments.write`) -> full scope identifiers (`payments/payments.write`).
SCOPES: dict[str, str] = {scope.removeprefix(f"{RESOURCE_SERVER_IDENTIFIER}/"): scope for scope in (WRITE_SCOPE, READ_SCOPE)}

# Also the suffix of the app client's name and logical resource name.
_MERCHANT_NAME = re.compile(r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class ApiThrottling(_Model):
    rate_limit: float = Field(gt=0, le=MAX_RATE_LIMIT, description="steady-state requests per second")
    burst_limit: int = Field(ge=1, le=MAX_BURST_LIMIT, description="requests accepted at once")


class Merchant(_Model):
    name: str
    scopes: tuple[str, ...] = Field(min_length=1)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _MERCHANT_NAME.match(value):
            raise ValueError("must be 2-40 lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [s for s in value if s not in SCOPES]
        if unknown:
            raise ValueError(f"unknown scope(s) {unknown}; allowed: {', '.join(SCOPES)}")
        if len(set(value)) != len(value):
            raise ValueError("scopes must be distinct")
        return value

    @property
    def scope_identifiers(self) -> tuple[str, ...]:
        return tuple(SCOPES[s] for s in self.scopes)


def distinct_merchants(merchants: list[Merchant]) -> list[Merchant]:
    names = [m.name for m in merchants]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"merchant names must be distinct; repeated: {repeated}")
    return merchants
