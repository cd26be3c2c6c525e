"""AuroraCluster: Aurora PostgreSQL with its subnet group, TLS-only parameter group, log group and instances."""

from __future__ import annotations

from dataclasses import dataclass

import json

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from shared.components.data.policies import ENHANCED_MONITORING_MANAGED_POLICY, enhanced_monitoring_trust_policy
from shared.components.log_group import encrypted_log_group
from shared.contracts import POSTGRES_PORT
from shared.tagging import name_tag

ENGINE = "aurora-postgresql"
# The cluster uses Aurora Standard storage (its `storage_type` is left unset), which RDS reports as
# "aurora" in its orderable options; I/O-Optimized would be "aurora-iopt1".
STANDARD_STORAGE = "aurora"


def instance_zone(zones: list[str], index: int) -> str:
    """Instance `index` of the cluster goes to zone `index` (round robin): writer and reader never share one."""
    if not zones:
        raise ValueError("the network layer exported no availability zones")
    return zones[index % len(zones)]


def rds_log_group_name(cluster_identifier: str) -> str:
    """The log group RDS writes exported PostgreSQL logs to (created by us first, with retention and KMS)."""
    return f"/aws/rds/cluster/{cluster_identifier}/postgresql"


def final_snapshot_name(cluster_identifier: str, suffix_hex: str) -> str:
    """`<cluster>-final-<hex>`: an RDS snapshot identifier (letters, digits, hyphens) unique per cluster."""
    return f"{cluster_identifier}-final-{suffix_hex}"


# Cluster parameters: TLS only, and enough logging to audit DDL, connections and slow statements.
CLUSTER_PARAMETERS: dict[str, str] = {
    "rds.force_ssl": "1",
    "log_statement": "ddl",
    "log_min_duration_statement": "1000",  # milliseconds
    "log_connections": "1",
    "log_disconnections": "1",
    "log_lock_waits": "1",
}


@dataclass(frozen=True)
class AuroraClusterArgs:
    cluster_identifier: str
    instance_identifiers: tuple[str, ...]  # the first is created first and becomes the writer
    subnet_group_name: str
    parameter_group_name: str
    engine_version: str
    parameter_group_family: str  # aurora-postgresql<major>, matching engine_version
    instance_class: str
    database_name: str
    master_username: str
    kms_key_arn: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    security_group_id: pulumi.Input[str]
    availability_zones: pulumi.Input[list[str]]
    backup_retention_days: int
    backup_window: str
    maintenance_window: str
    log_retention_days: int
    performance_insights: bool
    performance_insights_retention_days: int
    # False: destroy deletes without a snapshot. True: a final snapshot named
    # `<cluster>-final-<8 hex>`, the suffix drawn once per cluster, so a later destroy of a
    # redeployed environment never collides with an earlier snapshot.
    take_final_snapshot: bool
    monitoring_interval_seconds: int  # 0: Enhanced Monitoring off and no monitoring role
    monitoring_role_name: str
    partition: pulumi.Input[str]
    region: str
    account_id: pulumi.Input[str]


RDS_CA_IDENTIFIER = "rds-ca-rsa2048-g1"


class AuroraCluster(pulumi.ComponentResource):
    """Aurora PostgreSQL, private and encrypted.

    Security posture: storage, the RDS-managed master secret and Performance Insights encrypted with
    the environment's key; the master password is generated and kept by RDS in Secrets Manager (never
    in config or state); IAM database authentication on; `rds.force_ssl=1`; not publicly accessible;
    PostgreSQL logs exported to a log group created here first (retention, KMS). Destroyable: no
    deletion protection; a final snapshot only when asked, under a name unique to this cluster.

    Day 2: the engine version is pinned to the configured minor and minor upgrades are off, so the
    stack's `engineVersion` is what runs and AWS never moves it under the stack (see README "After
    the first deploy"). Enhanced Monitoring, where on, uses a role only RDS may assume, for this
    account's instances of this cluster.
    """

    cluster_identifier: pulumi.Output[str]
    arn: pulumi.Output[str]
    resource_id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    reader_endpoint: pulumi.Output[str]
    port: pulumi.Output[int]
    database_name: pulumi.Output[str]
    master_secret_arn: pulumi.Output[str]
    instance_identifiers: pulumi.Output[list[str]]

    def __init__(self, name: str, args: AuroraClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:data:AuroraCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        log_group = encrypted_log_group(
            f"{name}-postgresql-logs",
            name=rds_log_group_name(args.cluster_identifier),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            parent=self,
        )
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.subnet_group_name,
            description=f"Database subnets of {args.cluster_identifier}",
            subnet_ids=args.subnet_ids,
            tags=name_tag(args.subnet_group_name),
            opts=child,
        )
        parameter_group = aws.rds.ClusterParameterGroup(
            f"{name}-parameters",
            name=args.parameter_group_name,
            family=args.parameter_group_family,
            description=f"TLS-only and audit logging for {args.cluster_identifier}",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name=key, value=value, apply_method="immediate")
                for key, value in CLUSTER_PARAMETERS.items()
            ],
            tags=name_tag(args.parameter_group_name),
            opts=child,
        )
        final_snapshot_identifier: pulumi.Input[str] | None = None
        if args.take_final_snapshot:
            # Drawn once when the cluster is created and kept in state: stable across `up`s, new after
            # destroy -> deploy, so destroy -> deploy -> destroy never hits DBClusterSnapshotAlreadyExists.
            suffix = random.RandomId(f"{name}-final-snapshot-suffix", byte_length=4, keepers={"cluster": args.cluster_identifier}, opts=child)
            final_snapshot_identifier = suffix.hex.apply(lambda h: final_snapshot_name(args.cluster_identifier, h))

        monitoring_role_arn: pulumi.Input[str] | None = None
        if args.monitoring_interval_seconds:
            # The role's trust names the instances by `<cluster identifier>-*`.
            strays = [i for i in args.instance_identifiers if not i.startswith(f"{args.cluster_identifier}-")]
            if strays:
                raise ValueError(f"instance identifiers {strays} do not start with {args.cluster_identifier}-: the monitoring role would not trust them")
            monitoring_role = aws.iam.Role(
                f"{name}-monitoring-role",
                name=args.monitoring_role_name,
                description=f"RDS Enhanced Monitoring of {args.cluster_identifier}'s instances",
                assume_role_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                    lambda v: json.dumps(enhanced_monitoring_trust_policy(v[0], args.region, v[1], args.cluster_identifier))
                ),
                tags=name_tag(args.monitoring_role_name),
                opts=child,
            )
            attachment = aws.iam.RolePolicyAttachment(
                f"{name}-monitoring-policy", role=monitoring_role.name, policy_arn=ENHANCED_MONITORING_MANAGED_POLICY, opts=child
            )
            # The instances may use the role only once it carries its permissions.
            monitoring_role_arn = pulumi.Output.all(monitoring_role.arn, attachment.id).apply(lambda v: v[0])

        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=args.cluster_identifier,
            engine=ENGINE,
            engine_mode="provisioned",
            engine_version=args.engine_version,
            database_name=args.database_name,
            master_username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.kms_key_arn,
            port=POSTGRES_PORT,
            storage_encrypted=True,
            kms_key_id=args.kms_key_arn,
            db_subnet_group_name=subnet_group.name,
            vpc_security_group_ids=[args.security_group_id],
            db_cluster_parameter_group_name=parameter_group.name,
            iam_database_authentication_enabled=True,
            backup_retention_period=args.backup_retention_days,
            preferred_backup_window=args.backup_window,
            preferred_maintenance_window=args.maintenance_window,
            copy_tags_to_snapshot=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            deletion_protection=False,
            skip_final_snapshot=not args.take_final_snapshot,
            final_snapshot_identifier=final_snapshot_identifier,
            tags=name_tag(args.cluster_identifier),
            # RDS would otherwise create the log group itself, unencrypted and kept forever.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )

        # Ask RDS (at preview, before anything is created) whether this engine version can run on
        # this instance class in the region; an unsupported pair fails here with RDS's own answer
        # instead of half-way through an `up`. RDS offers every (version, class) once per storage
        # type, so the storage type the cluster uses is part of the question: without it two
        # options match and the provider refuses the lookup as ambiguous.
        orderable = aws.rds.get_orderable_db_instance_output(
            engine=ENGINE,
            engine_version=args.engine_version,
            instance_class=args.instance_class,
            storage_type=STANDARD_STORAGE,
            # Only true filters (as in the provider): ask that the class offers what the instances use.
            supports_enhanced_monitoring=True if args.monitoring_interval_seconds else None,
            supports_performance_insights=True if args.performance_insights else None,
            opts=pulumi.InvokeOptions(parent=self),
        )

        instances: list[aws.rds.ClusterInstance] = []
        for index, identifier in enumerate(args.instance_identifiers):
            instances.append(
                aws.rds.ClusterInstance(
                    f"{name}-instance-{index + 1}",
                    identifier=identifier,
                    cluster_identifier=cluster.id,
                    engine=cluster.engine,
                    engine_version=cluster.engine_version,
                    instance_class=orderable.instance_class,
                    availability_zone=pulumi.Output.from_input(args.availability_zones).apply(
                        lambda zones, i=index: instance_zone(list(zones), i)
                    ),
                    db_subnet_group_name=subnet_group.name,
                    publicly_accessible=False,
                    # The functions verify the server against the RDS roots they ship
                    # (functions/payments/certs); pin the CA rather than take the default.
                    ca_cert_identifier=RDS_CA_IDENTIFIER,
                    # Pinned minor: RDS must not upgrade it under the stack (the next `up` would try
                    # to go back down); upgrades go through auroraEngineVersion.
                    auto_minor_version_upgrade=False,
                    monitoring_interval=args.monitoring_interval_seconds,
                    monitoring_role_arn=monitoring_role_arn,
                    promotion_tier=index,
                    copy_tags_to_snapshot=True,
                    performance_insights_enabled=args.performance_insights,
                    performance_insights_kms_key_id=args.kms_key_arn if args.performance_insights else None,
                    performance_insights_retention_period=(
                        args.performance_insights_retention_days if args.performance_insights else None
                    ),
                    tags=name_tag(identifier),
                    # The first instance must exist before the others so that it becomes the writer.
                    opts=pulumi.ResourceOptions(parent=self, depends_on=instances[:1]),
                )
            )

        self.cluster_identifier = cluster.cluster_identifier
        self.arn = cluster.arn
        self.resource_id = cluster.cluster_resource_id
        self.endpoint = cluster.endpoint
        self.reader_endpoint = cluster.reader_endpoint
        self.port = cluster.port
        self.database_name = cluster.database_name
        self.master_secret_arn = cluster.master_user_secrets.apply(lambda secrets: secrets[0].secret_arn)
        self.instance_identifiers = pulumi.Output.all(*[i.identifier for i in instances])
        self.register_outputs(
            {
                "clusterIdentifier": self.cluster_identifier,
                "arn": self.arn,
                "endpoint": self.endpoint,
                "readerEndpoint": self.reader_endpoint,
                "masterSecretArn": self.master_secret_arn,
                "instanceIdentifiers": self.instance_identifiers,
            }
        )
