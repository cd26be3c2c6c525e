"""The data layer's real program, planned offline for dev, staging and prod on top of the network layer."""

from __future__ import annotations

import json

import pytest
from payments.contract import IDEMPOTENCY_TABLE, MERCHANT_INDEX, TRANSACTIONS_TABLE

from shared.config.data import DataConfig
from shared.contracts import DATA, DataOutputs, NetworkOutputs
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config

CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TABLE = "aws:dynamodb/table:Table"
TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET = "aws:s3/bucket:Bucket"


def config_of(stack: str) -> DataConfig:
    """The stack file's values as the program sees them (Pulumi.yaml defaults included)."""
    values = load_stack_config(project_dir("data"), stack).values
    raw = {k.split(":", 1)[1]: v for k, v in values.items() if k.startswith("data:")}
    return DataConfig.model_validate(raw)


def by_name(plan, type_: str, suffix: str):
    found = [r for r in plan.of_type(type_) if r.name.endswith(suffix)]
    assert len(found) == 1, f"expected one {type_} named *{suffix} in {plan.stack}, found {[r.urn for r in found]}"
    return found[0]


@pytest.fixture
def data(env_plan):
    return env_plan.layer("data")


@pytest.fixture
def config(env_plan) -> DataConfig:
    return config_of(env_plan.environment)


@pytest.fixture
def key_arn(data) -> str:
    return data.one(KEY).outputs["arn"]


# --- contract and hygiene ---------------------------------------------------------------------------


def test_every_contract_output_is_exported(data):
    missing = set(DATA.exports) - set(data.outputs)
    assert not missing, f"data/{data.stack} does not export {sorted(missing)}"
    assert data.outputs[DataOutputs.DB_PORT] == 5432
    assert data.outputs[DataOutputs.MASTER_SECRET_ARN].startswith("arn:aws:secretsmanager:us-east-1:")


def test_reads_the_network_layers_subnets_security_group_and_zones(env_plan, data):
    network = env_plan.layer("network").outputs
    subnets = data.one(SUBNET_GROUP)
    assert subnets.inputs["subnetIds"] == network[NetworkOutputs.DATABASE_SUBNET_IDS], subnets.urn
    cluster = data.one(CLUSTER)
    assert cluster.inputs["vpcSecurityGroupIds"] == [network[NetworkOutputs.DATABASE_SECURITY_GROUP_ID]], cluster.urn


def test_nothing_is_protected_or_retained(data):
    for r in data.resources:
        assert not r.protect and not r.retain_on_delete, f"{r.urn} is protected or retained"


def test_deletion_protection_is_off_everywhere(data):
    assert data.one(CLUSTER).inputs["deletionProtection"] is False
    for table in data.of_type(TABLE):
        assert table.inputs["deletionProtectionEnabled"] is False, table.urn
    for group in data.of_type(LOG_GROUP):
        assert not group.inputs.get("deletionProtectionEnabled") and not group.inputs.get("skipDestroy"), group.urn


def test_every_aws_resource_uses_the_layer_provider_and_is_tagged(data):
    for r in data.resources:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider and "pulumi:providers:aws" in r.provider, f"{r.urn} does not use the layer's provider"
        if r.tags is not None:
            for tag in ("Environment", "Team", "CostCenter", "Name"):
                assert r.tags.get(tag), f"{r.urn} lacks tag {tag}: {r.tags}"
            assert r.tags["Environment"] == data.stack, r.urn
            assert r.tags["Name"].startswith(f"acme-payments-{data.stack}-") or r.tags["Name"].startswith("/aws/rds/cluster/acme-payments-"), r.urn


def test_no_password_in_any_input(data):
    def walk(value, path, urn):
        if isinstance(value, dict):
            for k, v in value.items():
                if "password" in k.lower():
                    assert k == "manageMasterUserPassword" and v is True, f"{urn} sets {path}{k}"
                walk(v, f"{path}{k}.", urn)
        elif isinstance(value, list):
            for v in value:
                walk(v, path, urn)

    for r in data.resources:
        walk(r.inputs, "", r.urn)
    assert data.one(CLUSTER).inputs["manageMasterUserPassword"] is True


# --- KMS key ---------------------------------------------------------------------------------------------


def test_key_rotates_has_an_environment_alias_and_configured_deletion_window(data, config):
    key = data.one(KEY)
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["deletionWindowInDays"] == config.kms_deletion_window_days, key.urn
    alias = data.one(ALIAS)
    assert alias.inputs["name"] == f"alias/acme-payments-{data.stack}-data", alias.urn
    assert data.outputs[DataOutputs.KMS_KEY_ARN] == key.outputs["arn"]


def test_key_policy_has_no_wildcard_principal_and_scopes_logs_to_the_environment(data):
    key = data.one(KEY)
    policy = json.loads(key.inputs["policy"])
    principals = [s["Principal"] for s in policy["Statement"]]
    assert "*" not in principals and all("*" not in json.dumps(p) for p in principals), key.urn
    assert {"AWS": "arn:aws:iam::123456789012:root"} in principals, key.urn
    logs = next(s for s in policy["Statement"] if s["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"})
    patterns = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert all(f"acme-payments-{data.stack}-" in p for p in patterns), key.urn


# --- Aurora ----------------------------------------------------------------------------------------------


def test_aurora_instances_classes_and_zones_follow_the_stack_file(env_plan, data, config):
    instances = sorted(data.of_type(INSTANCE), key=lambda r: r.name)
    assert len(instances) == config.aurora_instance_count
    zones = env_plan.layer("network").outputs[NetworkOutputs.AVAILABILITY_ZONES]
    for index, instance in enumerate(instances):
        assert instance.inputs["instanceClass"] == config.aurora_instance_class, instance.urn
        # The functions ship the RDS roots for this CA (functions/payments/certs).
        assert instance.inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1", instance.urn
        assert instance.inputs["publiclyAccessible"] is False, instance.urn
        assert instance.inputs["identifier"] == f"acme-payments-{data.stack}-aurora-{index + 1}", instance.urn
        assert instance.inputs["availabilityZone"] == zones[index], instance.urn
    assert len({i.inputs["availabilityZone"] for i in instances}) == len(instances), "writer and reader share an AZ"
    assert data.outputs[DataOutputs.INSTANCE_IDENTIFIERS] == [i.inputs["identifier"] for i in instances]


@pytest.mark.parametrize(
    "stack, count, instance_class, retention",
    [("dev", 1, "db.t3.medium", 1), ("staging", 1, "db.r5.large", 7), ("prod", 2, "db.r5.xlarge", 30)],
)
def test_issue_table_rows_for_aurora(plans, stack, count, instance_class, retention):
    data = plans[stack].layer("data")
    instances = data.of_type(INSTANCE)
    assert [i.inputs["instanceClass"] for i in instances] == [instance_class] * count, stack
    assert data.one(CLUSTER).inputs["backupRetentionPeriod"] == retention, data.one(CLUSTER).urn


def test_cluster_is_encrypted_tls_only_logged_and_backed_up(data, config, key_arn):
    cluster = data.one(CLUSTER)
    inputs = cluster.inputs
    assert inputs["engine"] == "aurora-postgresql" and inputs["engineVersion"] == config.aurora_engine_version, cluster.urn
    assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"] == key_arn, cluster.urn
    assert inputs["masterUserSecretKmsKeyId"] == key_arn, cluster.urn
    assert inputs["iamDatabaseAuthenticationEnabled"] is True, cluster.urn
    assert inputs["copyTagsToSnapshot"] is True, cluster.urn
    assert inputs["backupRetentionPeriod"] == config.aurora_backup_retention_days, cluster.urn
    assert inputs["preferredBackupWindow"] == config.aurora_backup_window, cluster.urn
    assert inputs["enabledCloudwatchLogsExports"] == ["postgresql"], cluster.urn
    assert "availabilityZones" not in inputs, f"{cluster.urn}: cluster AZs force replacement; instances carry them"

    group = data.one(PARAMETER_GROUP)
    assert group.inputs["family"] == f"aurora-postgresql{config.aurora_engine_version.split('.')[0]}", group.urn
    parameters = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert parameters["rds.force_ssl"] == "1", group.urn
    assert {"log_statement", "log_min_duration_statement"} <= set(parameters), group.urn
    assert inputs["dbClusterParameterGroupName"] == group.inputs["name"], cluster.urn


def test_postgresql_log_group_exists_before_the_cluster(data, config, key_arn):
    cluster = data.one(CLUSTER)
    log_group = data.one(LOG_GROUP)
    assert log_group.inputs["name"] == f"/aws/rds/cluster/{cluster.inputs['clusterIdentifier']}/postgresql", log_group.urn
    assert log_group.inputs["retentionInDays"] == config.aurora_log_retention_days, log_group.urn
    assert log_group.inputs["kmsKeyId"] == key_arn, log_group.urn
    assert log_group.urn in cluster.options["dependsOn"], cluster.urn


def test_final_snapshot_follows_the_stack_setting(data, config):
    cluster = data.one(CLUSTER)
    assert cluster.inputs["skipFinalSnapshot"] is config.aurora_skip_final_snapshot, cluster.urn
    suffixes = data.of_type("random:index/randomId:RandomId")
    if config.aurora_skip_final_snapshot:
        assert "finalSnapshotIdentifier" not in cluster.inputs and not suffixes, cluster.urn
    else:
        # `<cluster>-final-<hex drawn once per cluster>`: never a fixed name (see tests/data/test_day2.py).
        (suffix,) = suffixes
        assert suffix.parent.endswith("AuroraCluster::acme-payments-" + data.stack + "-aurora"), suffix.urn
        assert cluster.inputs["finalSnapshotIdentifier"] == f"acme-payments-{data.stack}-aurora-final-{suffix.outputs['hex']}", cluster.urn


def test_enhanced_monitoring_follows_the_stack_file_with_a_role_only_rds_may_assume(data, config):
    interval = config.aurora_monitoring_interval_seconds
    roles = [r for r in data.of_type("aws:iam/role:Role") if "monitoring" in r.name]
    for instance in data.of_type(INSTANCE):
        assert instance.inputs["monitoringInterval"] == interval, instance.urn
        assert instance.inputs["autoMinorVersionUpgrade"] is False, instance.urn
        if interval:
            (role,) = roles
            assert instance.inputs["monitoringRoleArn"] == role.outputs["arn"], instance.urn
        else:
            assert "monitoringRoleArn" not in instance.inputs and not roles, instance.urn
    assert {"dev": 0}.get(data.stack, interval) == interval and (data.stack == "dev" or interval > 0)
    for role in roles:
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}, role.urn
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}, role.urn
        cluster = data.one(CLUSTER).inputs["clusterIdentifier"]
        assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:rds:us-east-1:123456789012:db:{cluster}-*"}, role.urn
        (attachment,) = [a for a in data.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.inputs["role"] == role.inputs["name"]]
        assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole", attachment.urn


def test_performance_insights_follow_the_stack_file_with_the_key(data, config, key_arn):
    for instance in data.of_type(INSTANCE):
        assert instance.inputs["performanceInsightsEnabled"] is config.aurora_performance_insights, instance.urn
        if config.aurora_performance_insights:
            assert instance.inputs["performanceInsightsKmsKeyId"] == key_arn, instance.urn
        else:
            assert "performanceInsightsKmsKeyId" not in instance.inputs, instance.urn


def test_master_secret_arn_comes_from_the_rds_managed_secret(data):
    cluster = data.one(CLUSTER)
    assert data.outputs[DataOutputs.MASTER_SECRET_ARN] == cluster.outputs["masterUserSecrets"][0]["secretArn"]


# --- DynamoDB --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stack, billing, read, write, pitr",
    [("dev", "PAY_PER_REQUEST", None, None, False), ("staging", "PROVISIONED", 5, 5, False), ("prod", "PROVISIONED", 5, 5, True)],
)
def test_issue_table_rows_for_the_transaction_log(plans, stack, billing, read, write, pitr):
    table = by_name(plans[stack].layer("data"), TABLE, "transactions-table")
    assert table.inputs["billingMode"] == billing, table.urn
    assert table.inputs.get("readCapacity") == read and table.inputs.get("writeCapacity") == write, table.urn
    assert table.inputs["pointInTimeRecovery"] == {"enabled": pitr}, table.urn


def test_transaction_log_keys_come_from_the_function_contract(data):
    table = by_name(data, TABLE, "transactions-table")
    assert table.inputs["hashKey"] == TRANSACTIONS_TABLE.hash_key.name, table.urn
    assert table.inputs["attributes"] == [{"name": a.name, "type": a.type} for a in TRANSACTIONS_TABLE.attributes], table.urn
    (index,) = table.inputs["globalSecondaryIndexes"]
    assert index["name"] == MERCHANT_INDEX and index["projectionType"] == "ALL", table.urn
    merchant = TRANSACTIONS_TABLE.indexes[0]
    assert index["keySchemas"] == [
        {"attributeName": merchant.hash_key.name, "keyType": "HASH"},
        {"attributeName": merchant.range_key.name, "keyType": "RANGE"},
    ], table.urn


def test_every_table_is_encrypted_with_the_environment_key(data, key_arn):
    for table in data.of_type(TABLE):
        assert table.inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": key_arn}, table.urn


def test_idempotency_table_is_on_demand_with_ttl(data):
    table = by_name(data, TABLE, "idempotency-table")
    assert table.inputs["billingMode"] == "PAY_PER_REQUEST", table.urn
    assert table.inputs["hashKey"] == IDEMPOTENCY_TABLE.hash_key.name, table.urn
    assert table.inputs["ttl"] == {"attributeName": IDEMPOTENCY_TABLE.ttl_attribute, "enabled": True}, table.urn


def test_autoscaling_only_where_configured_with_the_configured_bounds(data, config):
    targets, policies = data.of_type(TARGET), data.of_type(POLICY)
    table = by_name(data, TABLE, "transactions-table")
    if config.transaction_log_billing_mode != "autoscaled":
        assert not targets and not policies, f"{data.stack} has autoscaling without billing mode 'autoscaled'"
        assert not table.options["ignoreChanges"], table.urn
        return
    name = table.inputs["name"]
    expected = {
        (f"table/{name}", "dynamodb:table:ReadCapacityUnits"),
        (f"table/{name}", "dynamodb:table:WriteCapacityUnits"),
        (f"table/{name}/index/{MERCHANT_INDEX}", "dynamodb:index:ReadCapacityUnits"),
        (f"table/{name}/index/{MERCHANT_INDEX}", "dynamodb:index:WriteCapacityUnits"),
    }
    assert {(t.inputs["resourceId"], t.inputs["scalableDimension"]) for t in targets} == expected
    for target in targets:
        reads = target.inputs["scalableDimension"].endswith("ReadCapacityUnits")
        assert target.inputs["minCapacity"] == (config.transaction_log_read_capacity if reads else config.transaction_log_write_capacity), target.urn
        assert target.inputs["maxCapacity"] == (config.transaction_log_max_read_capacity if reads else config.transaction_log_max_write_capacity), target.urn
        assert table.urn in target.options["dependsOn"], target.urn
    assert {(p.inputs["resourceId"], p.inputs["scalableDimension"]) for p in policies} == expected
    for policy in policies:
        assert policy.inputs["policyType"] == "TargetTrackingScaling", policy.urn
        tracking = policy.inputs["targetTrackingScalingPolicyConfiguration"]
        assert tracking["targetValue"] == config.transaction_log_target_utilization, policy.urn
        metric = tracking["predefinedMetricSpecification"]["predefinedMetricType"]
        assert metric == ("DynamoDBReadCapacityUtilization" if "Read" in policy.inputs["scalableDimension"] else "DynamoDBWriteCapacityUtilization")
    # The scaler owns the capacities: `pulumi up` must not reset them.
    assert set(table.options["ignoreChanges"]) >= {"readCapacity", "writeCapacity"}, table.urn
    assert any(p.startswith("globalSecondaryIndexes") for p in table.options["ignoreChanges"]), table.urn


def test_prod_autoscales_between_5_and_100(plans):
    targets = plans["prod"].layer("data").of_type(TARGET)
    assert len(targets) == 4
    assert {(t.inputs["minCapacity"], t.inputs["maxCapacity"]) for t in targets} == {(5, 100)}
    for stack in ("dev", "staging"):
        assert not plans[stack].layer("data").of_type(TARGET), stack


# --- S3 audit bucket --------------------------------------------------------------------------------------


def _audit_bucket(data):
    (bucket,) = [b for b in data.of_type(BUCKET) if b.inputs["bucket"] == f"acme-payments-{data.stack}-audit"]
    return bucket


def _bucket_child(data, type_suffix: str):
    """The audit bucket's own configuration resource of this type (the access-log bucket has its own)."""
    (child,) = [r for r in data.of_type(f"aws:s3/{type_suffix}") if r.inputs["bucket"] == _audit_bucket(data).id]
    return child


def test_audit_bucket_name_versioning_and_force_destroy(data):
    bucket = _audit_bucket(data)
    assert bucket.inputs["bucket"] == f"acme-payments-{data.stack}-audit", bucket.urn
    assert bucket.inputs["forceDestroy"] is True, bucket.urn
    for deprecated in ("versioning", "serverSideEncryptionConfiguration", "lifecycleRules", "policy", "acl"):
        assert deprecated not in bucket.inputs, f"{bucket.urn} uses the deprecated inline {deprecated}"
    versioning = _bucket_child(data, "bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled", versioning.urn
    assert data.outputs[DataOutputs.AUDIT_BUCKET_NAME] == bucket.inputs["bucket"]


def test_audit_bucket_is_kms_encrypted_with_a_bucket_key(data, key_arn):
    sse = _bucket_child(data, "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}, sse.urn
    assert rule["bucketKeyEnabled"] is True, sse.urn


def test_audit_bucket_is_private_and_owner_enforced(data):
    block = _bucket_child(data, "bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert block.inputs[flag] is True, f"{block.urn}: {flag}"
    ownership = _bucket_child(data, "bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced", ownership.urn


def test_audit_bucket_policy_denies_requests_without_tls(data):
    bucket = _audit_bucket(data)
    policy_resource = _bucket_child(data, "bucketPolicy:BucketPolicy")
    policy = json.loads(policy_resource.inputs["policy"])
    arn = bucket.outputs["arn"]
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert deny, policy_resource.urn
    assert set(deny[0]["Resource"]) == {arn, f"{arn}/*"} and deny[0]["Action"] == "s3:*", policy_resource.urn
    assert not [s for s in policy["Statement"] if s["Effect"] == "Allow"], policy_resource.urn


def test_audit_lifecycle(data, config):
    lifecycle = _bucket_child(data, "bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    assert rules["abort-incomplete-multipart-uploads"]["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == config.audit_abort_incomplete_upload_days
    assert rules["expire-noncurrent-versions"]["noncurrentVersionExpiration"]["noncurrentDays"] == config.audit_noncurrent_version_expiration_days
    transitions = [t for r in rules.values() for t in r.get("transitions", [])]
    if config.audit_glacier_transition_days is None:
        assert not transitions, lifecycle.urn
    else:
        assert transitions == [{"days": config.audit_glacier_transition_days, "storageClass": "GLACIER"}], lifecycle.urn


def test_glacier_only_in_prod_after_90_days(plans):
    for stack, expected in (("dev", []), ("staging", []), ("prod", [{"days": 90, "storageClass": "GLACIER"}])):
        lifecycle = _bucket_child(plans[stack].layer("data"), "bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        transitions = [t for r in lifecycle.inputs["rules"] for t in r.get("transitions", [])]
        assert transitions == expected, lifecycle.urn


def test_rds_is_asked_whether_the_engine_runs_on_the_instance_class(env_plan):
    """The preview fails with RDS's answer if the engine version cannot run on the class."""
    data = env_plan.layer("data")
    (lookup,) = [args for token, args in data.calls if token == "aws:rds/getOrderableDbInstance:getOrderableDbInstance"]
    cluster = data.one("aws:rds/cluster:Cluster")
    classes = {i.inputs["instanceClass"] for i in data.of_type(INSTANCE)}
    assert lookup["engine"] == "aurora-postgresql" and lookup["engineVersion"] == cluster.inputs["engineVersion"], lookup
    assert classes == {lookup["instanceClass"]}, classes


# --- audit bucket access logging, KMS confused-deputy guards ----------------------------------------


def test_the_audit_bucket_logs_every_access_to_a_hardened_log_bucket(data, config):
    buckets = {b.inputs["bucket"]: b for b in data.of_type(BUCKET)}
    audit = buckets[f"acme-payments-{data.stack}-audit"]
    logs = buckets[f"acme-payments-{data.stack}-audit-access-logs"]
    (logging,) = data.of_type("aws:s3/bucketLogging:BucketLogging")
    assert (logging.inputs["bucket"], logging.inputs["targetBucket"]) == (audit.id, logs.id), logging.urn
    assert logging.inputs["targetPrefix"] == "audit-bucket/", logging.urn
    assert logging.inputs["targetObjectKeyFormat"] == {"partitionedPrefix": {"partitionDateSource": "EventTime"}}, logging.urn

    def of(type_: str):
        (found,) = [r for r in data.of_type(f"aws:s3/{type_}") if r.inputs["bucket"] == logs.id]
        return found

    assert logs.inputs["forceDestroy"] is True, logs.urn
    (rule,) = of("bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}, "S3 log targets take SSE-S3 only"
    assert of("bucketVersioning:BucketVersioning").inputs["versioningConfiguration"]["status"] == "Enabled"
    block = of("bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert all(block[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")), block
    (expire,) = of("bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert expire["expiration"]["days"] == config.audit_access_log_retention_days, expire
    policy = json.loads(of("bucketPolicy:BucketPolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny", policy
    delivery = statements["S3ServerAccessLogsOfTheAuditBucket"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"} and delivery["Action"] == "s3:PutObject", delivery
    assert delivery["Resource"] == f"{logs.outputs['arn']}/audit-bucket/*", delivery
    assert delivery["Condition"] == {"ArnLike": {"aws:SourceArn": audit.outputs["arn"]}, "StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert logging.urn.endswith("audit-access-logging") and logs.inputs["tags"]["Name"] == logs.inputs["bucket"]


def test_every_service_statement_of_the_key_policy_is_scoped_to_this_account_and_environment(data):
    policy = json.loads(data.one(KEY).inputs["policy"])
    services = [s for s in policy["Statement"] if "Service" in s["Principal"]]
    assert services, policy
    prefix = f"acme-payments-{data.stack}-"
    for statement in services:
        condition = statement["Condition"]
        if statement["Principal"]["Service"].startswith("logs."):
            # CloudWatch Logs' documented guard is the encryption context: this environment's log groups.
            assert all(prefix in arn for arn in condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]), statement
        else:
            assert condition["StringEquals"] == {"aws:SourceAccount": "123456789012"}, statement
            assert condition["ArnLike"]["aws:SourceArn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{prefix}*", statement
