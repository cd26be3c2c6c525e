"""Compute layer: the payment Lambda functions, the migration function, the scheduled reconcile
function (its schedules and dead-letter queue), one execution role each, and their log groups; the
payment API in front of the payment functions and the Cognito pool that issues merchants their tokens.

Reads the private subnets and application security group (network layer) and the tables, bucket,
cluster, secret and key (data layer) of the same environment; the code is `build/payments-lambda.zip`
(`invoke build`).
"""

import pulumi
import pulumi_aws as aws

from payments.contract import FUNCTIONS, MIGRATE, RECONCILE, ROUTES, ReconcileJob
from shared.components.compute.api import ApiTarget, PaymentApi, PaymentApiArgs, audiences
from shared.components.compute.cognito import MerchantAuth, MerchantAuthArgs, MerchantClient
from shared.components.compute.migration import MigrationFunction, MigrationFunctionArgs
from shared.components.compute.payment_functions import FunctionNames, PaymentFunctions, PaymentFunctionsArgs
from shared.components.compute.reconciliation import Reconciliation, ReconciliationArgs, ReconciliationNames
from shared.components.compute.settings import DataEndpoints, FunctionDeployment, FunctionSettings, ReconcileSettings
from shared.config import load_layer_config
from shared.config.compute import ComputeConfig
from shared.contracts import COMPUTE, DATA, NETWORK, ComputeOutputs, DataOutputs, NetworkOutputs
from shared.naming import Namer, NameKind, check_name
from shared.function_code import lambda_code
from shared.provider import aws_provider, invoke_options
from shared.stack_refs import Upstream

environment, config = load_layer_config(ComputeConfig)
namer = Namer.for_environment(environment)


def function_names(purpose: str) -> FunctionNames:
    function = namer.name(purpose, NameKind.LAMBDA_FUNCTION)
    return FunctionNames(
        function=function,
        role=namer.name(f"{purpose}-role", NameKind.IAM_ROLE),
        policy=namer.name(f"{purpose}-access", NameKind.IAM_POLICY),
        # The name Lambda would pick itself; created here so retention and key are ours.
        log_group=check_name(f"/aws/lambda/{function}", NameKind.LOG_GROUP),
    )


names = {spec.name: function_names(spec.name) for spec in FUNCTIONS}
reconciliation_names = ReconciliationNames(
    function=function_names(RECONCILE.name),
    dead_letter_queue=namer.name(f"{RECONCILE.name}-dlq", NameKind.SQS_QUEUE),
    schedule_group=namer.name("schedules", NameKind.SCHEDULER),
    scheduler_role=namer.name("scheduler-role", NameKind.IAM_ROLE),
    scheduler_policy=namer.name("scheduler-invoke", NameKind.IAM_POLICY),
    reconcile_schedule=namer.name(ReconcileJob.RECONCILE.value, NameKind.SCHEDULER),
    consistency_check_schedule=namer.name(ReconcileJob.CONSISTENCY_CHECK.value, NameKind.SCHEDULER),
)
code = lambda_code()

provider = aws_provider(environment)
upstream = Upstream(COMPUTE)
identity = aws.get_caller_identity_output(opts=invoke_options(provider))

settings = FunctionSettings(
    environment=environment.profile,
    payment_api_endpoint=config.payment_api_endpoint,
    payment_api_timeout_seconds=config.payment_api_timeout_seconds,
    max_amount_minor=config.max_amount_minor,
    log_level=config.log_level,
    powertools_service=environment.service,
    # One namespace per environment copy: copies sharing an account keep their metrics apart.
    metrics_namespace=namer.prefix,
)
data = DataEndpoints(
    kms_key_arn=upstream.require(DATA.project, DataOutputs.KMS_KEY_ARN),
    cluster_endpoint=upstream.require(DATA.project, DataOutputs.CLUSTER_ENDPOINT),
    db_port=upstream.require(DATA.project, DataOutputs.DB_PORT),
    db_name=upstream.require(DATA.project, DataOutputs.DB_NAME),
    master_secret_arn=upstream.require(DATA.project, DataOutputs.MASTER_SECRET_ARN),
    cluster_resource_id=upstream.require(DATA.project, DataOutputs.CLUSTER_RESOURCE_ID),
    transactions_table_name=upstream.require(DATA.project, DataOutputs.TRANSACTIONS_TABLE_NAME),
    transactions_table_arn=upstream.require(DATA.project, DataOutputs.TRANSACTIONS_TABLE_ARN),
    idempotency_table_name=upstream.require(DATA.project, DataOutputs.IDEMPOTENCY_TABLE_NAME),
    idempotency_table_arn=upstream.require(DATA.project, DataOutputs.IDEMPOTENCY_TABLE_ARN),
    audit_bucket_name=upstream.require(DATA.project, DataOutputs.AUDIT_BUCKET_NAME),
    audit_bucket_arn=upstream.require(DATA.project, DataOutputs.AUDIT_BUCKET_ARN),
)
deployment = FunctionDeployment(
    region=environment.region,
    account_id=identity.account_id,
    code=code,
    settings=settings,
    data=data,
    subnet_ids=upstream.require(NETWORK.project, NetworkOutputs.PRIVATE_SUBNET_IDS),
    security_group_ids=upstream.require(NETWORK.project, NetworkOutputs.APP_SECURITY_GROUP_ID).apply(lambda sg: [sg]),
    log_retention_days=config.log_retention_days,
)
components = pulumi.ResourceOptions(providers=[provider])

functions = PaymentFunctions(
    namer.prefix,  # logical names carry the environment suffix, like the physical ones
    PaymentFunctionsArgs(
        functions=FUNCTIONS,
        deployment=deployment,
        names=names,
        memory_mb=config.lambda_memory_mb,
        timeout_seconds=config.lambda_timeout_seconds,
        reserved_concurrency=config.lambda_reserved_concurrency,
    ),
    opts=components,
)

migration = MigrationFunction(
    namer.name("migration"),
    MigrationFunctionArgs(
        names=function_names(MIGRATE.name),
        deployment=deployment,
        memory_mb=config.migration_memory_mb,
        timeout_seconds=config.migration_timeout_seconds,
    ),
    opts=components,
)

reconciliation = Reconciliation(
    namer.name("reconciliation"),
    ReconciliationArgs(
        names=reconciliation_names,
        deployment=deployment,
        reconcile=ReconcileSettings(
            pending_threshold_seconds=config.pending_threshold_seconds,
            batch_size=config.reconcile_batch_size,
            max_attempts=config.reconcile_max_attempts,
        ),
        interval_minutes=config.reconcile_interval_minutes,
        consistency_check_time=config.consistency_check_time,
        memory_mb=config.reconcile_memory_mb,
        timeout_seconds=config.reconcile_timeout_seconds,
        async_max_retry_attempts=config.async_max_retry_attempts,
        async_max_event_age_seconds=config.async_max_event_age_seconds,
    ),
    opts=components,
)

pulumi.export(ComputeOutputs.FUNCTION_NAMES, functions.function_names)
pulumi.export(ComputeOutputs.FUNCTION_ARNS, functions.function_arns)
pulumi.export(ComputeOutputs.FUNCTION_TIMEOUTS, functions.function_timeouts)
pulumi.export(
    ComputeOutputs.ROLE_ARNS,
    pulumi.Output.all(functions.role_arns, migration.role_arn, reconciliation.role_arn).apply(
        lambda v: {**v[0], MIGRATE.name: v[1], RECONCILE.name: v[2]}
    ),
)
pulumi.export(
    ComputeOutputs.LOG_GROUP_NAMES,
    pulumi.Output.all(functions.log_group_names, migration.log_group_name, reconciliation.log_group_name).apply(
        lambda v: {**v[0], MIGRATE.name: v[1], RECONCILE.name: v[2]}
    ),
)
pulumi.export(ComputeOutputs.MIGRATE_FUNCTION_NAME, migration.name)
pulumi.export(ComputeOutputs.MIGRATE_FUNCTION_ARN, migration.arn)
pulumi.export(ComputeOutputs.RECONCILE_FUNCTION_NAME, reconciliation.name)
pulumi.export(ComputeOutputs.RECONCILE_FUNCTION_ARN, reconciliation.arn)
pulumi.export(ComputeOutputs.RECONCILE_INTERVAL_MINUTES, config.reconcile_interval_minutes)
pulumi.export(ComputeOutputs.SCHEDULE_GROUP_NAME, reconciliation.schedule_group_name)
pulumi.export(ComputeOutputs.DLQ_ARN, reconciliation.dead_letter_queue_arn)
pulumi.export(ComputeOutputs.DLQ_NAME, reconciliation.dead_letter_queue_name)
pulumi.export(ComputeOutputs.METRICS_NAMESPACE, settings.metrics_namespace)
pulumi.export(ComputeOutputs.METRICS_SERVICE, settings.powertools_service)

# ---- The payment API (issue 18): merchants from the stack file, tokens from Cognito, routes from the contract.
auth = MerchantAuth(
    namer.name("merchant-auth"),
    MerchantAuthArgs(
        pool_name=namer.name("merchants", NameKind.COGNITO_USER_POOL),
        domain_prefix=namer.name("auth", NameKind.COGNITO_DOMAIN),
        region=environment.region,
        merchants={
            m.name: MerchantClient(namer.name(f"merchant-{m.name}", NameKind.COGNITO_CLIENT), m.scope_identifiers)
            for m in config.merchants
        },
    ),
    opts=pulumi.ResourceOptions(providers=[provider]),
)
api_name = namer.name("api", NameKind.HTTP_API)
api = PaymentApi(
    api_name,
    PaymentApiArgs(
        api_name=api_name,
        routes=ROUTES,
        targets={
            name: ApiTarget(fn.function.name, fn.function.invoke_arn, config.lambda_timeout_seconds)
            for name, fn in functions.functions.items()
        },
        issuer=auth.issuer,
        audiences=auth.client_ids.apply(audiences),
        throttling_rate_limit=config.api_throttling.rate_limit,
        throttling_burst_limit=config.api_throttling.burst_limit,
        access_log_group_name=check_name(f"/aws/apigateway/{api_name}-access", NameKind.LOG_GROUP),
        log_retention_days=config.log_retention_days,
        kms_key_arn=upstream.require(DATA.project, DataOutputs.KMS_KEY_ARN),
    ),
    opts=pulumi.ResourceOptions(providers=[provider]),
)

pulumi.export(ComputeOutputs.API_URL, api.api_endpoint)
pulumi.export(ComputeOutputs.API_ID, api.api_id)
pulumi.export(ComputeOutputs.API_STAGE, api.stage_name)
pulumi.export(ComputeOutputs.API_ACCESS_LOG_GROUP, api.access_log_group_name)
pulumi.export(ComputeOutputs.TOKEN_URL, auth.token_url)
pulumi.export(ComputeOutputs.TOKEN_ISSUER, auth.issuer)
pulumi.export(ComputeOutputs.MERCHANT_CLIENT_IDS, auth.client_ids)
pulumi.export(ComputeOutputs.MERCHANT_CLIENT_SECRETS, auth.client_secrets)
