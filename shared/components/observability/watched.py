"""What the observability layer watches: the upstream layers' resources, as plain values.

The alarms fan out per upstream resource (one per Aurora instance, per function, per NAT
gateway...), so the program needs the *number* of resources before it declares any: a resource
created inside `.apply()` would be invisible to preview and break the no-resources-in-apply rule.
Stack-reference outputs are already known when the program runs (the upstream stack is deployed
and its outputs are read from the backend before the program starts), so `resolved` waits for
one, the same way the SDK's synchronous data-source invokes wait for their result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
from pulumi.runtime.sync_await import _sync_await

from shared.contracts import ComputeOutputs, DataOutputs, NetworkOutputs

T = TypeVar("T")


class UnknownUpstreamValue(Exception):
    pass


def resolved(value: pulumi.Output[T], what: str) -> T:
    """The plain value of an upstream output; refuses an unknown one instead of guessing a count."""
    # The SDK has no public way to wait for an Output in program code; `_sync_await` is what its own
    # synchronous invokes use. This function is the one place that relies on it.
    if not _sync_await(value.is_known()):
        raise UnknownUpstreamValue(f"{what} is not known yet; deploy the upstream layers of this environment first")
    return _sync_await(value.future())


@dataclass(frozen=True)
class WatchedResources:
    """The physical names and ids of everything this layer watches, from the upstream exports."""

    instance_identifiers: tuple[str, ...]
    function_names: Mapping[str, str]  # logical name (payments.contract.FunctionSpec.name) -> physical
    function_timeouts: Mapping[str, int]  # logical name -> timeout in seconds
    dead_letter_queue_name: str
    table_names: tuple[str, ...]
    nat_gateway_ids: tuple[str, ...] = ()
    nat_instance_group_names: tuple[str, ...] = ()
    cluster_identifier: str = ""
    nat_mode: str = ""  # the network layer's natMode, shown on the dashboard
    # The scheduled reconcile function and where the functions publish their metrics (issue 16).
    reconcile_function_name: str = ""
    reconcile_interval_minutes: int = 0
    metrics_namespace: str = ""
    metrics_service: str = ""
    api_id: str = ""  # the payment API (compute layer); no API alarms without one
    api_stage: str = ""
    api_access_log_group: str = ""

    def __post_init__(self) -> None:
        missing = sorted(set(self.function_names) - set(self.function_timeouts))
        if missing:
            raise ValueError(f"the compute layer exports no timeout for the functions {missing}")

    @classmethod
    def from_upstream(cls, network: Mapping[str, Any], data: Mapping[str, Any], compute: Mapping[str, Any]) -> "WatchedResources":
        """Build from the upstream layers' outputs, keyed by the contract's output names."""
        return cls(
            instance_identifiers=tuple(data[DataOutputs.INSTANCE_IDENTIFIERS]),
            function_names=dict(compute[ComputeOutputs.FUNCTION_NAMES]),
            function_timeouts={k: int(v) for k, v in compute[ComputeOutputs.FUNCTION_TIMEOUTS].items()},
            dead_letter_queue_name=str(compute[ComputeOutputs.DLQ_NAME]),
            # The transaction log and the Powertools idempotency table: a throttled idempotency
            # table stops every payment just as surely.
            table_names=(str(data[DataOutputs.TRANSACTIONS_TABLE_NAME]), str(data[DataOutputs.IDEMPOTENCY_TABLE_NAME])),
            nat_gateway_ids=tuple(network.get(NetworkOutputs.NAT_GATEWAY_IDS) or ()),
            nat_instance_group_names=tuple(network.get(NetworkOutputs.NAT_INSTANCE_GROUP_NAMES) or ()),
            cluster_identifier=str(data[DataOutputs.CLUSTER_IDENTIFIER]),
            nat_mode=str(network.get(NetworkOutputs.NAT_MODE) or ""),
            reconcile_function_name=str(compute[ComputeOutputs.RECONCILE_FUNCTION_NAME]),
            reconcile_interval_minutes=int(compute[ComputeOutputs.RECONCILE_INTERVAL_MINUTES]),
            metrics_namespace=str(compute[ComputeOutputs.METRICS_NAMESPACE]),
            metrics_service=str(compute[ComputeOutputs.METRICS_SERVICE]),
            api_id=str(compute.get(ComputeOutputs.API_ID) or ""),
            api_stage=str(compute.get(ComputeOutputs.API_STAGE) or ""),
            api_access_log_group=str(compute.get(ComputeOutputs.API_ACCESS_LOG_GROUP) or ""),
        )
