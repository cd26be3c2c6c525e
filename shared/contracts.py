"""The cross-layer contract: each layer's project name, what it exports, and what it reads upstream.

Producers export under these keys and consumers read only through `shared.stack_refs`, which
refuses a key that is not declared here. A renamed output therefore breaks a test, not a deploy;
the orchestrator (tasks.py) and the offline plan use the same declarations to check, before
running anything, that every output a layer requires is exported by its upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# Stack references on a self-managed (file/S3) backend must use this literal organization.
SELF_MANAGED_ORGANIZATION = "organization"

# The port the database tier listens on: the network layer opens it between the tiers before the
# data layer exists, the cluster listens on it, and the functions read it from the data layer's
# `dbPort` export. This constant is its one source.
POSTGRES_PORT = 5432


class NetworkOutputs:
    ENVIRONMENT = "environment"
    ENVIRONMENT_SUFFIX = "environmentSuffix"
    VPC_ID = "vpcId"
    VPC_CIDR = "vpcCidr"
    AVAILABILITY_ZONES = "availabilityZones"
    PUBLIC_SUBNET_IDS = "publicSubnetIds"
    PRIVATE_SUBNET_IDS = "privateSubnetIds"
    DATABASE_SUBNET_IDS = "databaseSubnetIds"
    APP_SECURITY_GROUP_ID = "appSecurityGroupId"
    DATABASE_SECURITY_GROUP_ID = "databaseSecurityGroupId"
    NAT_SECURITY_GROUP_ID = "natSecurityGroupId"
    NAT_MODE = "natMode"
    NAT_GATEWAY_IDS = "natGatewayIds"
    NAT_INSTANCE_GROUP_NAMES = "natInstanceGroupNames"
    EGRESS_PUBLIC_IPS = "egressPublicIps"


class DataOutputs:
    KMS_KEY_ARN = "kmsKeyArn"
    CLUSTER_IDENTIFIER = "clusterIdentifier"
    CLUSTER_ARN = "clusterArn"
    CLUSTER_RESOURCE_ID = "clusterResourceId"
    CLUSTER_ENDPOINT = "clusterEndpoint"
    READER_ENDPOINT = "readerEndpoint"
    INSTANCE_IDENTIFIERS = "instanceIdentifiers"
    DB_PORT = "dbPort"
    DB_NAME = "dbName"
    MASTER_SECRET_ARN = "masterSecretArn"
    TRANSACTIONS_TABLE_NAME = "transactionsTableName"
    TRANSACTIONS_TABLE_ARN = "transactionsTableArn"
    IDEMPOTENCY_TABLE_NAME = "idempotencyTableName"
    IDEMPOTENCY_TABLE_ARN = "idempotencyTableArn"
    AUDIT_BUCKET_NAME = "auditBucketName"
    AUDIT_BUCKET_ARN = "auditBucketArn"


class ComputeOutputs:
    # Maps keyed by the function's logical name (payments.contract.FunctionSpec.name): the payment
    # API's functions (payments.contract.FUNCTIONS).
    FUNCTION_NAMES = "functionNames"
    FUNCTION_ARNS = "functionArns"
    FUNCTION_TIMEOUTS = "functionTimeoutSeconds"
    # Maps keyed by logical name: every function of the layer (API, reconcile, migrate).
    ROLE_ARNS = "roleArns"
    LOG_GROUP_NAMES = "logGroupNames"
    # The migration function `invoke migrate` invokes (payments.contract.MIGRATE).
    MIGRATE_FUNCTION_NAME = "migrateFunctionName"
    MIGRATE_FUNCTION_ARN = "migrateFunctionArn"
    # The scheduled reconcile function (payments.contract.RECONCILE), its schedules and its
    # dead-letter queue (the platform's only asynchronous path).
    RECONCILE_FUNCTION_NAME = "reconcileFunctionName"
    RECONCILE_FUNCTION_ARN = "reconcileFunctionArn"
    RECONCILE_INTERVAL_MINUTES = "reconcileIntervalMinutes"
    SCHEDULE_GROUP_NAME = "scheduleGroupName"
    DLQ_ARN = "deadLetterQueueArn"
    DLQ_NAME = "deadLetterQueueName"
    # Where the functions publish their metrics (payments.contract.Metric): namespace and the
    # `service` dimension Powertools adds to each.
    METRICS_NAMESPACE = "metricsNamespace"
    METRICS_SERVICE = "metricsService"
    # The payment API (issue 18) and the OAuth server merchants get its tokens from.
    API_URL = "apiUrl"  # base URL; routes are payments.contract.ROUTES under it
    API_ID = "apiId"
    API_STAGE = "apiStage"
    API_ACCESS_LOG_GROUP = "apiAccessLogGroupName"
    TOKEN_URL = "tokenUrl"  # POST grant_type=client_credentials here
    TOKEN_ISSUER = "tokenIssuer"  # the access tokens' `iss`
    MERCHANT_CLIENT_IDS = "merchantClientIds"  # merchant name -> app client id (= the merchant id)
    MERCHANT_CLIENT_SECRETS = "merchantClientSecrets"  # secret output: merchant name -> client secret


class ObservabilityOutputs:
    ALERT_TOPIC_ARN = "alertTopicArn"
    ALARM_NAMES = "alarmNames"
    ALARM_ARNS = "alarmArns"
    DASHBOARD_NAME = "dashboardName"


def _keys(cls: type) -> tuple[str, ...]:
    return tuple(v for k, v in vars(cls).items() if k.isupper())


@dataclass(frozen=True)
class LayerContract:
    """One Pulumi project: its name, the outputs it exports and the upstream outputs it reads."""

    project: str
    exports: tuple[str, ...]
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(self.requires)


NETWORK = LayerContract("network", _keys(NetworkOutputs))

DATA = LayerContract(
    "data",
    _keys(DataOutputs),
    MappingProxyType(
        {
            "network": (
                NetworkOutputs.DATABASE_SUBNET_IDS,
                NetworkOutputs.DATABASE_SECURITY_GROUP_ID,
                NetworkOutputs.AVAILABILITY_ZONES,
            ),
        }
    ),
)

COMPUTE = LayerContract(
    "compute",
    _keys(ComputeOutputs),
    MappingProxyType(
        {
            "network": (
                NetworkOutputs.PRIVATE_SUBNET_IDS,
                NetworkOutputs.APP_SECURITY_GROUP_ID,
            ),
            "data": (
                DataOutputs.KMS_KEY_ARN,
                DataOutputs.CLUSTER_ENDPOINT,
                DataOutputs.CLUSTER_RESOURCE_ID,
                DataOutputs.DB_PORT,
                DataOutputs.DB_NAME,
                DataOutputs.MASTER_SECRET_ARN,
                DataOutputs.TRANSACTIONS_TABLE_NAME,
                DataOutputs.TRANSACTIONS_TABLE_ARN,
                DataOutputs.IDEMPOTENCY_TABLE_NAME,
                DataOutputs.IDEMPOTENCY_TABLE_ARN,
                DataOutputs.AUDIT_BUCKET_NAME,
                DataOutputs.AUDIT_BUCKET_ARN,
            ),
        }
    ),
)

OBSERVABILITY = LayerContract(
    "observability",
    _keys(ObservabilityOutputs),
    MappingProxyType(
        {
            "network": (
                NetworkOutputs.NAT_MODE,
                NetworkOutputs.NAT_GATEWAY_IDS,
                NetworkOutputs.NAT_INSTANCE_GROUP_NAMES,
            ),
            "data": (
                DataOutputs.KMS_KEY_ARN,
                DataOutputs.CLUSTER_IDENTIFIER,
                DataOutputs.INSTANCE_IDENTIFIERS,
                DataOutputs.TRANSACTIONS_TABLE_NAME,
                DataOutputs.IDEMPOTENCY_TABLE_NAME,
            ),
            "compute": (
                ComputeOutputs.FUNCTION_NAMES,
                ComputeOutputs.FUNCTION_TIMEOUTS,
                ComputeOutputs.DLQ_NAME,
                ComputeOutputs.RECONCILE_FUNCTION_NAME,
                ComputeOutputs.RECONCILE_INTERVAL_MINUTES,
                ComputeOutputs.METRICS_NAMESPACE,
                ComputeOutputs.METRICS_SERVICE,
                ComputeOutputs.API_ID,
                ComputeOutputs.API_STAGE,
                ComputeOutputs.API_ACCESS_LOG_GROUP,
            ),
        }
    ),
)

# Deploy order. preview/deploy/refresh follow it; destroy reverses it.
LAYERS: tuple[LayerContract, ...] = (NETWORK, DATA, COMPUTE, OBSERVABILITY)
LAYERS_BY_PROJECT: Mapping[str, LayerContract] = MappingProxyType({l.project: l for l in LAYERS})


def layer(project: str) -> LayerContract:
    try:
        return LAYERS_BY_PROJECT[project]
    except KeyError:
        allowed = ", ".join(LAYERS_BY_PROJECT)
        raise ValueError(f"unknown layer {project!r}; expected one of: {allowed}") from None


def stack_reference_name(organization: str | None, project: str, stack: str) -> str:
    """`<org>/<project>/<stack>`: Pulumi Cloud uses the real org, self-managed backends the literal."""
    return f"{organization or SELF_MANAGED_ORGANIZATION}/{project}/{stack}"


def _check_order() -> None:
    seen: set[str] = set()
    for contract in LAYERS:
        for upstream, keys in contract.requires.items():
            if upstream not in seen:
                raise AssertionError(f"{contract.project} requires {upstream}, which is not deployed before it")
            missing = set(keys) - set(LAYERS_BY_PROJECT[upstream].exports)
            if missing:
                raise AssertionError(f"{contract.project} requires {sorted(missing)} that {upstream} does not export")
        seen.add(contract.project)


_check_order()
