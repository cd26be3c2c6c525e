"""DynamoTable: a DynamoDB table built from a `payments.contract.TableSchema`, with its capacity mode.

The pure decisions (billing mode, key schemas, autoscaling dimensions) are plain functions here,
tested without Pulumi: they decide whether `pulumi up` replaces a table, so they stay in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from payments.contract import SecondaryIndex, TableSchema

from shared.config.data import BillingMode
from shared.tagging import name_tag

SCALING_POLICY_TYPE = "TargetTrackingScaling"

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


@dataclass(frozen=True)
class DynamoTableArgs:
    table_name: str
    schema: TableSchema  # keys and indexes come from the functions' contract, never retyped
    kms_key_arn: pulumi.Input[str]
    capacity: Capacity = field(default_factory=Capacity)
    point_in_time_recovery: bool = False


class DynamoTable(pulumi.ComponentResource):
    """One `aws.dynamodb.Table` whatever the billing mode, so switching modes updates it in place.

    The inputs DynamoDB cannot change in place (name, hash/range key, key attributes, index key
    schemas) depend only on the schema and the name, never on the mode. In mode `autoscaled` the
    table is PROVISIONED at the floor capacity, Application Auto Scaling targets and target-tracking
    policies cover reads and writes of the table and every index, and the capacities are in
    `ignore_changes` so `pulumi up` never resets what the scaler chose. SSE uses the environment's
    key; the TTL attribute of the schema, if any, is enabled. Destroyable: no deletion protection.
    """

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: DynamoTableArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:DynamoTable", name, None, opts)
        capacity = args.capacity
        units = {"read_capacity": capacity.min_read, "write_capacity": capacity.min_write} if capacity.provisioned else {}
        schema = args.schema

        table = aws.dynamodb.Table(
            f"{name}-table",
            name=args.table_name,
            billing_mode=capacity.billing_mode,
            **units,
            hash_key=schema.hash_key.name,
            range_key=schema.range_key.name if schema.range_key else None,
            attributes=[aws.dynamodb.TableAttributeArgs(**a) for a in table_attributes(schema)],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=index.name,
                    key_schemas=[aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(**k) for k in index_key_schema(index)],
                    projection_type="ALL",
                    **units,
                )
                for index in schema.indexes
            ]
            or None,
            ttl=(
                aws.dynamodb.TableTtlArgs(attribute_name=schema.ttl_attribute, enabled=True)
                if schema.ttl_attribute
                else None
            ),
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=args.point_in_time_recovery),
            server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=args.kms_key_arn),
            deletion_protection_enabled=False,
            tags=name_tag(args.table_name),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=capacity.ignore_changes),
        )

        if capacity.autoscaled:
            for dimension in scalable_dimensions(args.table_name, schema):
                is_read = dimension.dimension.endswith("ReadCapacityUnits")
                target = aws.appautoscaling.Target(
                    f"{name}-{dimension.label}-target",
                    service_namespace="dynamodb",
                    resource_id=dimension.resource_id,
                    scalable_dimension=dimension.dimension,
                    min_capacity=capacity.min_read if is_read else capacity.min_write,
                    max_capacity=capacity.max_read if is_read else capacity.max_write,
                    tags=name_tag(f"{args.table_name}-{dimension.label}"),
                    # The table (and its index) must exist before it can be registered.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[table]),
                )
                aws.appautoscaling.Policy(
                    f"{name}-{dimension.label}-policy",
                    name=f"{args.table_name}-{dimension.label}-utilization",
                    policy_type=SCALING_POLICY_TYPE,
                    service_namespace=target.service_namespace,
                    resource_id=target.resource_id,
                    scalable_dimension=target.scalable_dimension,
                    target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                        target_value=capacity.target_utilization,
                        predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                            predefined_metric_type=dimension.metric,
                        ),
                    ),
                    opts=pulumi.ResourceOptions(parent=self),
                )

        self.name = table.name
        self.arn = table.arn
        self.register_outputs({"name": self.name, "arn": self.arn})
