"""Data layer: the environment's KMS key, Aurora PostgreSQL, the DynamoDB tables and the S3 audit trail.

Reads the network layer's database subnets, database security group and availability zones;
exports every key of `shared.contracts.DataOutputs`. Environment differences are values in
`Pulumi.<stack>.yaml`, validated by `shared.config.data.DataConfig`.
"""

import pulumi
import pulumi_aws as aws
from payments.contract import IDEMPOTENCY_TABLE, TRANSACTIONS_TABLE

from shared.components.data.audit_bucket import ACCESS_LOG_BUCKET_PURPOSE, AuditBucket, AuditBucketArgs
from shared.components.data.aurora import AuroraCluster, AuroraClusterArgs
from shared.components.data.policies import kms_key_policy, to_json
from shared.components.data.table import Capacity, DynamoTable, DynamoTableArgs
from shared.components.encryption import EncryptionKey, EncryptionKeyArgs
from shared.config import load_layer_config
from shared.config.data import DataConfig
from shared.contracts import DATA, NETWORK, DataOutputs, NetworkOutputs
from shared.naming import NameKind, Namer, check_name
from shared.provider import aws_provider, invoke_options
from shared.stack_refs import Upstream

environment, config = load_layer_config(DataConfig)
namer = Namer.for_environment(environment)
provider = aws_provider(environment)
network = Upstream(DATA)

# Physical names, all checked before any resource is declared; components take them as logical names too.
key_name = namer.name("data")
key_alias = check_name(f"alias/{key_name}", NameKind.KMS_ALIAS, "the data key's name")
cluster_identifier = namer.name("aurora", NameKind.RDS_IDENTIFIER)
instance_identifiers = tuple(namer.name(f"aurora-{n}", NameKind.RDS_IDENTIFIER) for n in range(1, config.aurora_instance_count + 1))
subnet_group_name = namer.name("aurora-subnets", NameKind.RDS_IDENTIFIER)
parameter_group_name = namer.name(f"{config.aurora_parameter_group_family}-cluster", NameKind.RDS_IDENTIFIER)
monitoring_role_name = namer.name("aurora-monitoring-role", NameKind.IAM_ROLE)
transactions_table_name = namer.name("transactions", NameKind.DYNAMODB_TABLE)
idempotency_table_name = namer.name("idempotency", NameKind.DYNAMODB_TABLE)
audit_bucket_name = namer.name("audit", NameKind.S3_BUCKET)
audit_access_log_bucket_name = namer.name(ACCESS_LOG_BUCKET_PURPOSE, NameKind.S3_BUCKET)

components = pulumi.ResourceOptions(providers=[provider])
identity = aws.get_caller_identity_output(opts=invoke_options(provider))
partition = aws.get_partition_output(opts=invoke_options(provider))

key = EncryptionKey(
    key_name,
    EncryptionKeyArgs(
        name=key_name,
        alias=key_alias,
        policy=pulumi.Output.all(partition.partition, identity.account_id).apply(
            lambda values: to_json(kms_key_policy(values[0], environment.region, values[1], namer.prefix))
        ),
        deletion_window_days=config.kms_deletion_window_days,
        description="Encrypts the payment platform's data stores and log groups of one environment",
    ),
    opts=components,
)

aurora = AuroraCluster(
    cluster_identifier,
    AuroraClusterArgs(
        cluster_identifier=cluster_identifier,
        instance_identifiers=instance_identifiers,
        subnet_group_name=subnet_group_name,
        parameter_group_name=parameter_group_name,
        engine_version=config.aurora_engine_version,
        parameter_group_family=config.aurora_parameter_group_family,
        instance_class=config.aurora_instance_class,
        database_name=config.aurora_database_name,
        master_username=config.aurora_master_username,
        kms_key_arn=key.arn,
        subnet_ids=network.require(NETWORK.project, NetworkOutputs.DATABASE_SUBNET_IDS),
        security_group_id=network.require(NETWORK.project, NetworkOutputs.DATABASE_SECURITY_GROUP_ID),
        availability_zones=network.require(NETWORK.project, NetworkOutputs.AVAILABILITY_ZONES),
        backup_retention_days=config.aurora_backup_retention_days,
        backup_window=config.aurora_backup_window,
        maintenance_window=config.aurora_maintenance_window,
        log_retention_days=config.aurora_log_retention_days,
        performance_insights=config.aurora_performance_insights,
        performance_insights_retention_days=config.aurora_performance_insights_retention_days,
        take_final_snapshot=not config.aurora_skip_final_snapshot,
        monitoring_interval_seconds=config.aurora_monitoring_interval_seconds,
        monitoring_role_name=monitoring_role_name,
        partition=partition.partition,
        region=environment.region,
        account_id=identity.account_id,
    ),
    opts=components,
)

transactions = DynamoTable(
    transactions_table_name,
    DynamoTableArgs(
        table_name=transactions_table_name,
        schema=TRANSACTIONS_TABLE,
        kms_key_arn=key.arn,
        capacity=Capacity(
            mode=config.transaction_log_billing_mode,
            min_read=config.transaction_log_read_capacity,
            min_write=config.transaction_log_write_capacity,
            max_read=config.transaction_log_max_read_capacity,
            max_write=config.transaction_log_max_write_capacity,
            target_utilization=config.transaction_log_target_utilization,
        ),
        point_in_time_recovery=config.transaction_log_point_in_time_recovery,
    ),
    opts=components,
)

# Short-lived idempotency records: on demand, expired by TTL, no point-in-time recovery needed.
idempotency = DynamoTable(
    idempotency_table_name,
    DynamoTableArgs(table_name=idempotency_table_name, schema=IDEMPOTENCY_TABLE, kms_key_arn=key.arn),
    opts=components,
)

audit = AuditBucket(
    audit_bucket_name,
    AuditBucketArgs(
        bucket_name=audit_bucket_name,
        kms_key_arn=key.arn,
        noncurrent_version_expiration_days=config.audit_noncurrent_version_expiration_days,
        abort_incomplete_upload_days=config.audit_abort_incomplete_upload_days,
        glacier_transition_days=config.audit_glacier_transition_days,
        access_log_bucket_name=audit_access_log_bucket_name,
        access_log_retention_days=config.audit_access_log_retention_days,
        account_id=identity.account_id,
    ),
    opts=components,
)

pulumi.export(DataOutputs.KMS_KEY_ARN, key.arn)
pulumi.export(DataOutputs.CLUSTER_IDENTIFIER, aurora.cluster_identifier)
pulumi.export(DataOutputs.CLUSTER_ARN, aurora.arn)
pulumi.export(DataOutputs.CLUSTER_RESOURCE_ID, aurora.resource_id)
pulumi.export(DataOutputs.CLUSTER_ENDPOINT, aurora.endpoint)
pulumi.export(DataOutputs.READER_ENDPOINT, aurora.reader_endpoint)
pulumi.export(DataOutputs.INSTANCE_IDENTIFIERS, aurora.instance_identifiers)
pulumi.export(DataOutputs.DB_PORT, aurora.port)
pulumi.export(DataOutputs.DB_NAME, aurora.database_name)
pulumi.export(DataOutputs.MASTER_SECRET_ARN, aurora.master_secret_arn)
pulumi.export(DataOutputs.TRANSACTIONS_TABLE_NAME, transactions.name)
pulumi.export(DataOutputs.TRANSACTIONS_TABLE_ARN, transactions.arn)
pulumi.export(DataOutputs.IDEMPOTENCY_TABLE_NAME, idempotency.name)
pulumi.export(DataOutputs.IDEMPOTENCY_TABLE_ARN, idempotency.arn)
pulumi.export(DataOutputs.AUDIT_BUCKET_NAME, audit.bucket)
pulumi.export(DataOutputs.AUDIT_BUCKET_ARN, audit.arn)
