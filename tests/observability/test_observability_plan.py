"""The observability layer as planned from the real program, stack files and upstream plans."""

from __future__ import annotations

import json

from shared.components.observability.alarm_definitions import DYNAMODB_OPERATIONS
from shared.contracts import ComputeOutputs, DataOutputs, NetworkOutputs, ObservabilityOutputs
from platform_tools.plan.stackconfig import load_stack_config
from shared.paths import project_dir

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
RDS_CPU_THRESHOLD = {"dev": None, "staging": 90, "prod": 80}  # the table row


def layers(env_plan):
    return (env_plan.layer(p) for p in ("network", "data", "compute", "observability"))


def alarms_of(plan, metric_name: str) -> list:
    return [r for r in plan.of_type(ALARM) if r.inputs.get("metricName") == metric_name]


def math_alarms_of(plan, metric_name: str) -> list:
    return [
        r for r in plan.of_type(ALARM)
        if any((q.get("metric") or {}).get("metricName") == metric_name for q in r.inputs.get("metricQueries") or [])
    ]  # fmt: skip


def test_rds_cpu_alarm_per_aurora_instance_with_the_environment_threshold(env_plan):
    _, data, _, plan = layers(env_plan)
    threshold = RDS_CPU_THRESHOLD[env_plan.environment]
    cpu = alarms_of(plan, "CPUUtilization")
    if threshold is None:
        assert cpu == [], f"dev must have no RDS CPU alarm: {[r.urn for r in cpu]}"
        return
    instances = data.outputs[DataOutputs.INSTANCE_IDENTIFIERS]
    assert instances and sorted(r.inputs["dimensions"]["DBInstanceIdentifier"] for r in cpu) == sorted(instances)
    for alarm in cpu:
        assert (alarm.inputs["namespace"], alarm.inputs["threshold"], alarm.inputs["comparisonOperator"]) == (
            "AWS/RDS", threshold, "GreaterThanThreshold"
        ), alarm.urn


def test_aurora_memory_and_connection_alarms_watch_every_instance(env_plan):
    _, data, _, plan = layers(env_plan)
    instances = sorted(data.outputs[DataOutputs.INSTANCE_IDENTIFIERS])
    for metric in ("FreeableMemory", "DatabaseConnections"):
        assert sorted(r.inputs["dimensions"]["DBInstanceIdentifier"] for r in alarms_of(plan, metric)) == instances, metric


def test_lambda_alarms_use_the_real_function_names_and_timeouts(env_plan):
    _, _, compute, plan = layers(env_plan)
    names = compute.outputs[ComputeOutputs.FUNCTION_NAMES]
    timeouts = compute.outputs[ComputeOutputs.FUNCTION_TIMEOUTS]
    fraction = json.loads(load_stack_config(project_dir("observability"), env_plan.environment).values["observability:lambdaDurationAlarm"])["threshold"]
    reconcile = compute.outputs[ComputeOutputs.RECONCILE_FUNCTION_NAME]  # its errors: its own alarm (issue 16)
    for metric in ("Errors", "Throttles", "Duration"):
        found = [r for r in alarms_of(plan, metric) if r.inputs["dimensions"]["FunctionName"] != reconcile]
        assert sorted(r.inputs["dimensions"]["FunctionName"] for r in found) == sorted(names.values()), metric
    for alarm in alarms_of(plan, "Duration"):
        logical = next(k for k, v in names.items() if v == alarm.inputs["dimensions"]["FunctionName"])
        assert alarm.inputs["extendedStatistic"] == "p99" and "statistic" not in alarm.inputs, alarm.urn
        assert alarm.inputs["threshold"] == fraction * timeouts[logical] * 1000, alarm.urn


def test_dlq_and_dynamodb_alarms_use_the_real_queue_and_table(env_plan):
    _, data, compute, plan = layers(env_plan)
    (dlq,) = alarms_of(plan, "ApproximateNumberOfMessagesVisible")
    assert dlq.inputs["dimensions"] == {"QueueName": compute.outputs[ComputeOutputs.DLQ_NAME]}, dlq.urn
    # The transaction log and the idempotency table the functions' Powertools layer uses.
    tables = [data.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME], data.outputs[DataOutputs.IDEMPOTENCY_TABLE_NAME]]
    for metric in ("ThrottledRequests", "SystemErrors"):
        alarms = math_alarms_of(plan, metric)
        assert len(alarms) == len(tables), metric
        # One alarm per table, matched by the table its first query reads (the plan's order is by name).
        by_table = {next(q for q in a.inputs["metricQueries"] if "metric" in q)["metric"]["dimensions"]["TableName"]: a for a in alarms}
        assert sorted(by_table) == sorted(tables), metric
        for table, alarm in by_table.items():
            queries = alarm.inputs["metricQueries"]
            reads = [q for q in queries if "metric" in q]
            assert [q["metric"]["dimensions"] for q in reads] == [{"TableName": table, "Operation": op} for op in DYNAMODB_OPERATIONS], alarm.urn
            assert [q for q in queries if q.get("returnData")] == [q for q in queries if "expression" in q], alarm.urn
            assert "metricName" not in alarm.inputs and "period" not in alarm.inputs, alarm.urn


def test_nat_alarms_follow_the_network_layers_nat_resources(env_plan):
    network, _, _, plan = layers(env_plan)
    gateways = network.outputs[NetworkOutputs.NAT_GATEWAY_IDS] or []
    groups = network.outputs[NetworkOutputs.NAT_INSTANCE_GROUP_NAMES] or []
    for metric in ("ErrorPortAllocation", "PacketsDropCount"):
        assert sorted(r.inputs["dimensions"]["NatGatewayId"] for r in alarms_of(plan, metric)) == sorted(gateways), metric
    health = alarms_of(plan, "GroupInServiceInstances")
    assert sorted(r.inputs["dimensions"]["AutoScalingGroupName"] for r in health) == sorted(groups)
    # The issue: gateway alarms in prod/staging, the NAT instance group's health in dev.
    if env_plan.environment == "dev":
        assert health and not gateways
    else:
        assert gateways and not health


def test_every_alarm_notifies_the_topic_on_alarm_and_ok_and_treats_missing_data_deliberately(env_plan):
    plan = env_plan.layer("observability")
    topic_arn = plan.outputs[ObservabilityOutputs.ALERT_TOPIC_ARN]
    alarms = plan.of_type(ALARM)
    assert alarms
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic_arn] and alarm.inputs["okActions"] == [topic_arn], alarm.urn
        assert alarm.inputs["treatMissingData"] in ("missing", "breaching", "notBreaching"), alarm.urn
        assert alarm.inputs["datapointsToAlarm"] <= alarm.inputs["evaluationPeriods"], alarm.urn
        assert alarm.inputs["name"].startswith(f"acme-payments-{env_plan.environment}-"), alarm.urn
        assert not alarm.protect and not alarm.retain_on_delete, alarm.urn


def test_topic_is_encrypted_with_the_data_key_and_only_this_accounts_alarms_publish(env_plan):
    _, data, _, plan = layers(env_plan)
    topic = plan.one(TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == data.outputs[DataOutputs.KMS_KEY_ARN], topic.urn
    policy = json.loads(plan.one("aws:sns/topicPolicy:TopicPolicy").inputs["policy"])
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "cloudwatch.amazonaws.com"} and allow["Action"] == "sns:Publish"
    assert allow["Resource"] == topic.outputs.get("arn", plan.outputs[ObservabilityOutputs.ALERT_TOPIC_ARN])
    assert allow["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}


def test_email_subscriptions_come_from_the_stack_file(env_plan):
    plan = env_plan.layer("observability")
    emails = json.loads(load_stack_config(project_dir("observability"), env_plan.environment).values.get("observability:alertEmails", "[]"))
    subscriptions = plan.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == sorted(emails)
    assert all(s.inputs["protocol"] == "email" for s in subscriptions)


def test_exports_name_the_planned_alarms_and_dashboard(env_plan):
    plan = env_plan.layer("observability")
    alarms = plan.of_type(ALARM)
    # The export is in program order, the plan in tree order: compare as sorted lists (no duplicates lost).
    assert sorted(plan.outputs[ObservabilityOutputs.ALARM_NAMES]) == sorted(a.inputs["name"] for a in alarms)
    assert len(plan.outputs[ObservabilityOutputs.ALARM_ARNS]) == len(alarms)
    assert all(arn.startswith("arn:aws:cloudwatch:us-east-1:") for arn in plan.outputs[ObservabilityOutputs.ALARM_ARNS])
    dashboard = plan.one("aws:cloudwatch/dashboard:Dashboard")
    assert plan.outputs[ObservabilityOutputs.DASHBOARD_NAME] == dashboard.inputs["dashboardName"]


def test_dashboard_is_json_naming_only_resources_of_its_own_environment(plans):
    for env, env_plan in plans.items():
        network, data, compute, plan = layers(env_plan)
        dashboard = plan.one("aws:cloudwatch/dashboard:Dashboard")
        body = json.loads(dashboard.inputs["dashboardBody"])
        own = {
            *data.outputs[DataOutputs.INSTANCE_IDENTIFIERS],
            data.outputs[DataOutputs.TRANSACTIONS_TABLE_NAME],
            data.outputs[DataOutputs.IDEMPOTENCY_TABLE_NAME],
            *compute.outputs[ComputeOutputs.FUNCTION_NAMES].values(),
            compute.outputs[ComputeOutputs.DLQ_NAME],
            # Reconciliation (issue 16): its function and the `service` its metrics carry.
            compute.outputs[ComputeOutputs.RECONCILE_FUNCTION_NAME],
            compute.outputs[ComputeOutputs.METRICS_SERVICE],
            *(network.outputs[NetworkOutputs.NAT_GATEWAY_IDS] or []),
            *(network.outputs[NetworkOutputs.NAT_INSTANCE_GROUP_NAMES] or []),
        }
        named = set()
        for widget in body["widgets"]:
            for line in widget["properties"].get("metrics", []):
                dims = [part for part in line[2:] if isinstance(part, str)]  # [ns, metric, key, value, ..., {options}]
                named |= {value for key, value in zip(dims[::2], dims[1::2]) if key != "Operation"}
        assert named and named <= own, f"{dashboard.urn} names {sorted(named - own)}"
        assert own - named == set(), f"{dashboard.urn} misses {sorted(own - named)}"
        for other in set(plans) - {env}:
            assert f"acme-payments-{other}-" not in dashboard.inputs["dashboardBody"], dashboard.urn


def test_the_topics_key_lets_cloudwatch_alarms_publish(env_plan):
    """An alarm cannot publish to a KMS-encrypted topic unless the key policy lets CloudWatch use the key."""
    _, data, _, plan = layers(env_plan)
    key_arn = plan.one(TOPIC).inputs["kmsMasterKeyId"]
    (key,) = [r for r in data.of_type("aws:kms/key:Key") if r.outputs.get("arn") == key_arn]
    statements = json.loads(key.inputs["policy"])["Statement"]
    grants = [s for s in statements if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    actions = {a for s in grants for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {"kms:Decrypt", "kms:GenerateDataKey*"} <= actions, f"{key.urn} does not let cloudwatch.amazonaws.com use the key"
