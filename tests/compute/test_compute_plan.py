"""The compute layer of every environment, rendered by the offline plan on top of network and data."""

from __future__ import annotations

from payments.contract import DATABASE_USERS, FUNCTIONS, MIGRATE, RECONCILE, EnvVar
from shared.config.compute import ComputeConfig
from shared.config.loader import _decode
from shared.contracts import COMPUTE, ComputeOutputs, DataOutputs, NetworkOutputs
from shared.function_code import LAMBDA_ZIP, sha256_base64
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config

FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
QUEUE = "aws:sqs/queue:Queue"
EVENT_INVOKE = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
ROLE = "aws:iam/role:Role"

# The table (seed requirement 4).
MEMORY_MB = {"dev": 512, "staging": 1024, "prod": 3008}
# Every function of the layer: the API's, the scheduled reconcile function and the migration function.
ALL_FUNCTIONS = (*FUNCTIONS, RECONCILE, MIGRATE)


def stack_config(stack: str) -> ComputeConfig:
    values = load_stack_config(project_dir("compute"), stack).values
    return ComputeConfig.model_validate({k.removeprefix("compute:"): _decode(v) for k, v in values.items() if k.startswith("compute:")})


def functions(plan):
    found = plan.of_type(FUNCTION)
    assert len(found) == len(ALL_FUNCTIONS), [f.urn for f in found]
    return found


def function(plan, spec):
    (found,) = [f for f in plan.of_type(FUNCTION) if f.inputs["handler"] == spec.handler]
    return found


def api_functions(plan):
    handlers = {spec.handler for spec in FUNCTIONS}
    return [f for f in functions(plan) if f.inputs["handler"] in handlers]


def by_urn(plan):
    return {r.urn: r for r in plan.resources}


def test_exports_every_contract_key(env_plan):
    compute = env_plan.layer("compute")
    assert set(compute.outputs) == set(COMPUTE.exports)
    for key in (ComputeOutputs.FUNCTION_NAMES, ComputeOutputs.FUNCTION_ARNS):
        assert set(compute.outputs[key]) == {spec.name for spec in FUNCTIONS}, key
    for key in (ComputeOutputs.ROLE_ARNS, ComputeOutputs.LOG_GROUP_NAMES):
        assert set(compute.outputs[key]) == {spec.name for spec in ALL_FUNCTIONS}, key
    arns = {f.outputs.get("arn") for f in api_functions(compute)}
    assert set(compute.outputs[ComputeOutputs.FUNCTION_ARNS].values()) == arns
    for spec, name_key, arn_key in (
        (MIGRATE, ComputeOutputs.MIGRATE_FUNCTION_NAME, ComputeOutputs.MIGRATE_FUNCTION_ARN),
        (RECONCILE, ComputeOutputs.RECONCILE_FUNCTION_NAME, ComputeOutputs.RECONCILE_FUNCTION_ARN),
    ):
        fn = function(compute, spec)
        assert (compute.outputs[name_key], compute.outputs[arn_key]) == (fn.inputs["name"], fn.outputs["arn"]), spec.name
        assert compute.outputs[ComputeOutputs.ROLE_ARNS][spec.name] == fn.inputs["role"], spec.name
    assert compute.outputs[ComputeOutputs.DLQ_ARN] == compute.one(QUEUE).outputs["arn"]


def test_memory_timeout_concurrency_runtime(env_plan):
    compute = env_plan.layer("compute")
    config = stack_config(env_plan.environment)
    for fn in api_functions(compute):
        inputs = fn.inputs
        assert inputs["memorySize"] == MEMORY_MB[env_plan.environment], fn.urn
        assert inputs["timeout"] == config.lambda_timeout_seconds, fn.urn
        assert inputs["reservedConcurrentExecutions"] == config.lambda_reserved_concurrency, fn.urn
    expected = {
        RECONCILE: (config.reconcile_memory_mb, config.reconcile_timeout_seconds, 2),
        MIGRATE: (config.migration_memory_mb, config.migration_timeout_seconds, 1),
    }
    for spec, values in expected.items():
        fn = function(compute, spec)
        assert (fn.inputs["memorySize"], fn.inputs["timeout"], fn.inputs["reservedConcurrentExecutions"]) == values, fn.urn
    for fn in functions(compute):
        inputs = fn.inputs
        assert (inputs["runtime"], inputs["architectures"]) == ("python3.13", ["arm64"]), fn.urn
        assert inputs["handler"] in {spec.handler for spec in ALL_FUNCTIONS}, fn.urn
        assert inputs["sourceCodeHash"] and inputs["code"], fn.urn


def test_functions_run_in_the_private_subnets_with_the_app_security_group(env_plan):
    network = env_plan.layer("network").outputs
    for fn in functions(env_plan.layer("compute")):
        vpc = fn.inputs["vpcConfig"]
        assert vpc["subnetIds"] == network[NetworkOutputs.PRIVATE_SUBNET_IDS], fn.urn
        assert vpc["securityGroupIds"] == [network[NetworkOutputs.APP_SECURITY_GROUP_ID]], fn.urn


def test_tracing_and_json_logs_into_an_encrypted_log_group_created_first(env_plan):
    compute = env_plan.layer("compute")
    key = env_plan.layer("data").outputs[DataOutputs.KMS_KEY_ARN]
    retention = stack_config(env_plan.environment).log_retention_days
    groups = {g.inputs["name"]: g for g in compute.of_type(LOG_GROUP)}
    for fn in functions(compute):
        assert fn.inputs["tracingConfig"] == {"mode": "Active"}, fn.urn
        logging = fn.inputs["loggingConfig"]
        assert logging["logFormat"] == "JSON", fn.urn
        assert logging["logGroup"] == f"/aws/lambda/{fn.inputs['name']}", fn.urn
        group = groups[logging["logGroup"]]
        assert group.inputs["retentionInDays"] == retention, group.urn
        assert group.inputs["kmsKeyId"] == key, group.urn
        assert group.urn in fn.options["dependsOn"], fn.urn
        assert fn.inputs["kmsKeyArn"] == key, fn.urn


def test_environment_variables_point_at_this_environment(plans):
    endpoints = set()
    for stack, env_plan in plans.items():
        data = env_plan.layer("data").outputs
        config = stack_config(stack)
        expected = {
            EnvVar.ENVIRONMENT: stack,
            EnvVar.TRANSACTIONS_TABLE: data[DataOutputs.TRANSACTIONS_TABLE_NAME],
            EnvVar.IDEMPOTENCY_TABLE: data[DataOutputs.IDEMPOTENCY_TABLE_NAME],
            EnvVar.AUDIT_BUCKET: data[DataOutputs.AUDIT_BUCKET_NAME],
            EnvVar.DB_HOST: data[DataOutputs.CLUSTER_ENDPOINT],
            EnvVar.DB_PORT: str(data[DataOutputs.DB_PORT]),
            EnvVar.DB_NAME: data[DataOutputs.DB_NAME],
            EnvVar.PAYMENT_API_ENDPOINT: config.payment_api_endpoint,
            EnvVar.PAYMENT_API_TIMEOUT_SECONDS: "5",
            EnvVar.MAX_AMOUNT_MINOR: str(config.max_amount_minor),
            EnvVar.POWERTOOLS_SERVICE_NAME: "payments",
            EnvVar.POWERTOOLS_LOG_LEVEL: config.log_level,
            EnvVar.POWERTOOLS_METRICS_NAMESPACE: f"acme-payments-{stack}",
        }
        # Each function's own: its database user; the master secret (migration only); the reconcile knobs.
        own = {spec.name: {EnvVar.DB_USER: DATABASE_USERS[spec.name].name} for spec in (*FUNCTIONS, RECONCILE)}
        own[MIGRATE.name] = {EnvVar.DB_SECRET_ARN: data[DataOutputs.MASTER_SECRET_ARN]}
        own[RECONCILE.name] |= {
            EnvVar.PENDING_THRESHOLD_SECONDS: str(config.pending_threshold_seconds),
            EnvVar.RECONCILE_BATCH_SIZE: str(config.reconcile_batch_size),
            EnvVar.RECONCILE_MAX_ATTEMPTS: str(config.reconcile_max_attempts),
        }
        assert set(expected).union(*own.values()) == set(EnvVar), "every variable of the contract is set"
        compute = env_plan.layer("compute")
        for spec in ALL_FUNCTIONS:
            fn = function(compute, spec)
            variables = fn.inputs["environment"]["variables"]
            assert variables == {k.value: v for k, v in (expected | own[spec.name]).items()}, fn.urn
            assert not any("password" in k.lower() for k in variables), fn.urn
            endpoints.add(variables[EnvVar.PAYMENT_API_ENDPOINT])
    assert len(endpoints) == len(plans), "each environment calls its own payment API endpoint"


def test_dead_letter_queue_only_on_the_asynchronous_path(env_plan):
    """The scheduled reconcile function is the only asynchronous caller's target: one encrypted queue,
    one async config with it as on-failure destination; the API's functions have neither (issue 13)."""
    compute = env_plan.layer("compute")
    config = stack_config(env_plan.environment)
    queue = compute.one(QUEUE)
    assert queue.inputs["kmsMasterKeyId"] == env_plan.layer("data").outputs[DataOutputs.KMS_KEY_ARN], queue.urn
    invoke = compute.one(EVENT_INVOKE)
    assert invoke.inputs["functionName"] == compute.outputs[ComputeOutputs.RECONCILE_FUNCTION_NAME], invoke.urn
    assert invoke.inputs["maximumRetryAttempts"] == config.async_max_retry_attempts, invoke.urn
    assert invoke.inputs["maximumEventAgeInSeconds"] == config.async_max_event_age_seconds, invoke.urn
    assert invoke.inputs["destinationConfig"] == {"onFailure": {"destination": queue.outputs["arn"]}}, invoke.urn
    for fn in api_functions(compute):
        assert "deadLetterConfig" not in fn.inputs, fn.urn


def test_one_role_per_function_and_nothing_protected_or_retained(env_plan):
    compute = env_plan.layer("compute")
    lambda_roles = {
        r.outputs["arn"] for r in compute.of_type(ROLE) if "lambda.amazonaws.com" in r.inputs["assumeRolePolicy"]
    }
    fn_roles = [fn.inputs["role"] for fn in functions(compute)]
    assert len(set(fn_roles)) == len(fn_roles) == len(lambda_roles)
    assert set(fn_roles) == lambda_roles
    # The one other role is the scheduler's.
    assert len(compute.of_type(ROLE)) == len(lambda_roles) + 1
    for resource in compute.resources:
        assert not resource.protect and not resource.retain_on_delete, resource.urn


def test_every_taggable_resource_carries_the_required_tags(env_plan):
    for resource in env_plan.layer("compute").resources:
        if resource.tags is not None:
            assert {"Environment", "Team", "CostCenter", "Name"} <= set(resource.tags), resource.urn
            assert resource.tags["Environment"] == env_plan.environment, resource.urn


def test_code_is_the_built_artifact_or_the_plan_says_it_is_missing(env_plan):
    compute = env_plan.layer("compute")
    for fn in functions(compute):
        if LAMBDA_ZIP.exists():
            assert fn.inputs["code"] == {"FileArchive": str(LAMBDA_ZIP)}, fn.urn
            assert fn.inputs["sourceCodeHash"] == sha256_base64(LAMBDA_ZIP), fn.urn
        else:
            assert any("invoke build" in note for note in compute.notes), compute.notes
