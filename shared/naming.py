"""Physical names: `{company}-{service}-{environmentSuffix}-{purpose}`, checked against AWS limits.

Layers compute all their names up front (before declaring resources) with `Namer.name`, so a
name that would be too long or malformed fails with a clear error naming the kind, the limit and
the config that produced it, instead of a failed `pulumi up` half-way through.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from shared.config.environment import Environment


@dataclass(frozen=True)
class NameRule:
    max_length: int
    pattern: str  # full-match regular expression
    allowed: str  # what the pattern allows, in words
    min_length: int = 1


class NameKind(Enum):
    """AWS naming rules for the kinds of physical names this platform creates."""

    GENERIC = NameRule(255, r"[A-Za-z0-9][A-Za-z0-9_.-]*", "letters, digits, '.', '_' and '-'")
    S3_BUCKET = NameRule(63, r"[a-z0-9][a-z0-9.-]*[a-z0-9]", "lowercase letters, digits, '.' and '-'", min_length=3)
    IAM_ROLE = NameRule(64, r"[A-Za-z0-9+=,.@_-]+", "letters, digits and +=,.@_-")
    IAM_POLICY = NameRule(128, r"[A-Za-z0-9+=,.@_-]+", "letters, digits and +=,.@_-")
    LAMBDA_FUNCTION = NameRule(64, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'")
    RDS_IDENTIFIER = NameRule(63, r"[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]", "lowercase letters, digits and single hyphens, starting with a letter")
    DYNAMODB_TABLE = NameRule(255, r"[A-Za-z0-9_.-]+", "letters, digits, '_', '.' and '-'", min_length=3)
    SQS_QUEUE = NameRule(80, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'")
    # EventBridge Scheduler schedules and schedule groups (CreateSchedule / CreateScheduleGroup Name).
    SCHEDULER = NameRule(64, r"[0-9a-zA-Z_.-]+", "letters, digits, '.', '_' and '-'")
    SNS_TOPIC = NameRule(256, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'")
    LOG_GROUP = NameRule(512, r"[A-Za-z0-9_./#-]+", "letters, digits and _-./#")
    KMS_ALIAS = NameRule(256, r"alias/[A-Za-z0-9/_-]+", "'alias/' then letters, digits and /_-")
    SECURITY_GROUP = NameRule(255, r"[A-Za-z0-9 ._:/()#,@\[\]+=&;{}!$*-]+", "letters, digits and common punctuation")
    ALARM = NameRule(255, r"[^\x00-\x1f]+", "printable characters")
    DASHBOARD = NameRule(255, r"[A-Za-z0-9_-]+", "letters, digits, '_' and '-'")
    LAUNCH_TEMPLATE = NameRule(128, r"[A-Za-z0-9().\/_-]+", "letters, digits and ()./_-", min_length=3)
    AUTOSCALING_GROUP = NameRule(255, r"[^\x00-\x1f:]+", "printable characters except ':'")
    EC2_TAG_NAME = NameRule(255, r".+", "any characters")
    HTTP_API = NameRule(128, r"[A-Za-z0-9_.-]+", "letters, digits, '_', '.' and '-'")
    COGNITO_USER_POOL = NameRule(128, r"[\w\s+=,.@-]+", "letters, digits, spaces and +=,.@_-")
    COGNITO_CLIENT = NameRule(128, r"[\w\s+=,.@-]+", "letters, digits, spaces and +=,.@_-")
    # The hosted domain prefix (<prefix>.auth.<region>.amazoncognito.com): Cognito refuses the
    # reserved words aws, amazon and cognito anywhere in it.
    COGNITO_DOMAIN = NameRule(
        63,
        r"(?!.*(?:aws|amazon|cognito))[a-z0-9](?:[a-z0-9-]*[a-z0-9])?",
        "lowercase letters, digits and hyphens, not starting or ending with a hyphen, without 'aws', 'amazon' or 'cognito'",
    )


class NamingError(ValueError):
    pass


def check_name(name: str, kind: NameKind, origin: str = "") -> str:
    rule = kind.value
    where = f" (built from {origin})" if origin else ""
    if not rule.min_length <= len(name) <= rule.max_length:
        raise NamingError(
            f"{kind.name.lower()} name {name!r} is {len(name)} characters; AWS allows {rule.min_length}-{rule.max_length}{where}"
        )
    if not re.fullmatch(rule.pattern, name):
        raise NamingError(f"{kind.name.lower()} name {name!r} is not allowed: AWS allows {rule.allowed}{where}")
    return name


@dataclass(frozen=True)
class Namer:
    """Builds the physical names of one environment copy."""

    company: str
    service: str
    suffix: str

    @classmethod
    def for_environment(cls, environment: Environment) -> "Namer":
        return cls(environment.company, environment.service, environment.suffix)

    @property
    def prefix(self) -> str:
        return f"{self.company}-{self.service}-{self.suffix}"

    def name(self, purpose: str, kind: NameKind = NameKind.GENERIC) -> str:
        origin = "environments.yaml company/service and payments:environmentSuffix"
        return check_name(f"{self.prefix}-{purpose}", kind, origin)
