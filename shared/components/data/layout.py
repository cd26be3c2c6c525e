"""Pure decisions of the data layer: table key schemas, capacity modes, Aurora placement and parameters.

Kept apart from the components so they are tested without Pulumi and so the rules that decide
whether `pulumi up` replaces a store (key schemas, names) live in one visible place.
"""

from __future__ import annotations

from dataclasses import dataclass

from payments.contract import SecondaryIndex, TableSchema

from shared.config.data import BillingMode

DYNAMODB_BILLING_MODES: dict[str, str] = {
    "on-demand": "PAY_PER_REQUEST",
    "provisioned": "PROVISIONED",
    "autoscaled": "PROVISIONED",
}

# `pulumi up` must leave the capacities the scaler chose alone (wire names of the table inputs).
AUTOSCALED_IGNORE_CHANGES = (
    "readCapacity",
    "writeCapacity",
    "globalSecondaryIndexes[*].readCapacity",
    "globalSecondaryIndexes[*].writeCapacity",
)


@dataclass(frozen=True)
class Capacity:
    """How a table is billed; `min_*` are the provisioned (or scaling floor) units."""

    mode: BillingMode = "on-demand"
    min_read: int = 0
    min_write: int = 0
    max_read: int = 0
    max_write: int = 0
    target_utilization: float = 70.0

    @property
    def billing_mode(self) -> str:
        return DYNAMODB_BILLING_MODES[self.mode]

    @property
    def provisioned(self) -> bool:
        return self.billing_mode == "PROVISIONED"

    @property
    def autoscaled(self) -> bool:
        return self.mode == "autoscaled"

    @property
    def ignore_changes(self) -> list[str]:
        return list(AUTOSCALED_IGNORE_CHANGES) if self.autoscaled else []


def table_attributes(schema: TableSchema) -> list[dict[str, str]]:
    """Every key attribute of the table and its indexes, once: `[{"name": ..., "type": ...}]`."""
    return [{"name": a.name, "type": a.type} for a in schema.attributes]


def index_key_schema(index: SecondaryIndex) -> list[dict[str, str]]:
    keys = [{"attribute_name": index.hash_key.name, "key_type": "HASH"}]
    if index.range_key is not None:
        keys.append({"attribute_name": index.range_key.name, "key_type": "RANGE"})
    return keys


@dataclass(frozen=True)
class ScalableDimension:
    """One Application Auto Scaling target of a DynamoDB table or index."""

    label: str  # used in resource names: "read", "write", "<index>-read" ...
    resource_id: str
    dimension: str
    metric: str


def scalable_dimensions(table_name: str, schema: TableSchema) -> list[ScalableDimension]:
    """Reads and writes of the table and of each global secondary index."""
    found = []
    scopes = [("", f"table/{table_name}", "table")]
    scopes += [(f"{i.name}-", f"table/{table_name}/index/{i.name}", "index") for i in schema.indexes]
    for prefix, resource_id, kind in scopes:
        for unit, metric in (("Read", "DynamoDBReadCapacityUtilization"), ("Write", "DynamoDBWriteCapacityUtilization")):
            found.append(ScalableDimension(f"{prefix}{unit.lower()}", resource_id, f"dynamodb:{kind}:{unit}CapacityUnits", metric))
    return found


def instance_zone(zones: list[str], index: int) -> str:
    """Instance `index` of the cluster goes to zone `index` (round robin): writer and reader never share one."""
    if not zones:
        raise ValueError("the network layer exported no availability zones")
    return zones[index % len(zones)]


def rds_log_group_name(cluster_identifier: str) -> str:
    """The log group RDS writes exported PostgreSQL logs to (created by us first, with retention and KMS)."""
    return f"/aws/rds/cluster/{cluster_identifier}/postgresql"


# Cluster parameters: TLS only, and enough logging to audit DDL, connections and slow statements.
CLUSTER_PARAMETERS: dict[str, str] = {
    "rds.force_ssl": "1",
    "log_statement": "ddl",
    "log_min_duration_statement": "1000",  # milliseconds
    "log_connections": "1",
    "log_disconnections": "1",
    "log_lock_waits": "1",
}
