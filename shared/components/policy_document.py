"""The shape every AWS policy document shares, and service trust policies (pure, no Pulumi)."""

from __future__ import annotations

from typing import Any

POLICY_VERSION = "2012-10-17"

Statement = dict[str, Any]
Document = dict[str, Any]


def document(*statements: Statement) -> Document:
    """An IAM, key, bucket or topic policy document of these statements."""
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def service_trust_policy(service: str, sid: str, account_id: str | None = None, source_arn_like: str | None = None) -> Document:
    """A role trust policy: only `service` may assume it; with `account_id` (and `source_arn_like`)
    only on behalf of this account (and those resources), the confused-deputy guard."""
    trust: Statement = {"Sid": sid, "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    condition: dict[str, Any] = {}
    if account_id:
        condition["StringEquals"] = {"aws:SourceAccount": account_id}
    if source_arn_like:
        condition["ArnLike"] = {"aws:SourceArn": source_arn_like}
    if condition:
        trust["Condition"] = condition
    return document(trust)
