"""`invoke migrate`: run the schema migrations of one environment by invoking its migration function.

The migrations run inside the VPC as the master user, so they run in the compute layer's migration
function (`payments.contract.MIGRATE`); this module invokes it synchronously (RequestResponse) with
the caller's AWS credentials and turns a function error into one loud, readable failure. The
function's name comes from the compute stack's outputs (`ComputeOutputs.MIGRATE_FUNCTION_ARN`),
read through the orchestration's pulumi wrapper.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from platform_tools.orchestration.errors import OrchestrationError

# Lambda's longest timeout: the call waits at least that long for a synchronous invocation.
LAMBDA_MAX_TIMEOUT_SECONDS = 900
# Never re-send: a retried synchronous invoke would start a second run behind the advisory lock.
SINGLE_ATTEMPT = {"total_max_attempts": 1, "mode": "standard"}
LOG_TAIL_LINES = 20


class LambdaClient(Protocol):
    def invoke(self, **kwargs: Any) -> dict[str, Any]: ...


class MigrationError(OrchestrationError):
    pass


@dataclass(frozen=True)
class MigrationResult:
    function: str
    payload: Any  # what the handler returned (JSON-decoded when it is JSON)
    log_tail: tuple[str, ...]


def region_of(function_arn: str) -> str:
    """`arn:aws:lambda:us-east-1:123456789012:function:name` -> `us-east-1`."""
    parts = function_arn.split(":")
    if len(parts) < 7 or parts[:3] != ["arn", parts[1], "lambda"] or parts[5] != "function" or not parts[3]:
        raise MigrationError(f"{function_arn!r} is not a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>)")
    return parts[3]


def lambda_client(region: str) -> LambdaClient:
    """A boto3 Lambda client that waits out the longest migration and never retries the invoke."""
    import boto3
    from botocore.config import Config

    config = Config(region_name=region, connect_timeout=10, read_timeout=LAMBDA_MAX_TIMEOUT_SECONDS + 30, retries=SINGLE_ATTEMPT)
    return boto3.client("lambda", config=config)


def run_migration(
    function_arn: str, client_for: Callable[[str], LambdaClient] | None = None, dry_run: bool = False
) -> MigrationResult:
    """Invoke the migration function once, synchronously; raise `MigrationError` unless it succeeded.

    `dry_run` asks the function (`payments.handlers.migrate`, event `{"dryRun": true}`) to list the
    pending migrations and the schema version without applying anything.
    """
    name = function_arn.rsplit(":", 1)[-1]
    client = (client_for or lambda_client)(region_of(function_arn))
    payload = json.dumps({"dryRun": True}).encode() if dry_run else b"{}"
    try:
        response = client.invoke(FunctionName=function_arn, InvocationType="RequestResponse", LogType="Tail", Payload=payload)
    except Exception as error:  # noqa: BLE001 - botocore's errors (no credentials, throttled, not found) become one line
        raise MigrationError(f"could not invoke the migration function {name}: {type(error).__name__}: {error}") from None
    raw = response["Payload"].read() if hasattr(response.get("Payload"), "read") else (response.get("Payload") or b"")
    payload = _decode(raw)
    tail = _log_tail(response.get("LogResult"))
    if response.get("FunctionError") or response.get("StatusCode") != 200:
        kind, message = _error_of(payload)
        logs = "".join(f"\n    | {line}" for line in tail)
        raise MigrationError(
            f"the migration function {name} failed ({response.get('FunctionError') or response.get('StatusCode')}): "
            f"{kind}: {message}{logs}"
        )
    return MigrationResult(name, payload, tail)


def _decode(raw: bytes | str) -> Any:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _error_of(payload: Any) -> tuple[str, str]:
    """Lambda's error payload: `{"errorType": ..., "errorMessage": ..., "stackTrace": [...]}`."""
    if isinstance(payload, dict):
        return str(payload.get("errorType", "Error")), str(payload.get("errorMessage", payload))
    return "Error", str(payload)


def _log_tail(log_result: str | None) -> tuple[str, ...]:
    """The last lines of the invocation's log (Lambda returns up to 4 KB, base64) for the error message."""
    if not log_result:
        return ()
    text = base64.b64decode(log_result).decode("utf-8", "replace")
    return tuple(text.rstrip("\n").splitlines()[-LOG_TAIL_LINES:])


def describe(result: MigrationResult) -> str:
    payload = result.payload if isinstance(result.payload, str) else json.dumps(result.payload, sort_keys=True)
    return f"{result.function} succeeded: {payload}"
