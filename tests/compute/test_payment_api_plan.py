"""The payment API of every environment, as the offline plan renders the real compute program."""

from __future__ import annotations

import json

import pytest

from config_edits import problems
from payments.contract import ROUTES
from platform_tools.plan.stackconfig import load_stack_config
from shared.components.compute.api import (
    NO_MERCHANT_AUDIENCE,
    audiences,
    integration_timeout_ms,
    route_source_arn,
    statement_id,
)
from shared.components.compute.cognito import issuer_of, token_url
from shared.config.compute import ComputeConfig
from shared.config.loader import _decode
from shared.contracts import ComputeOutputs, DataOutputs
from shared.paths import project_dir



API = "aws:apigatewayv2/api:Api"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
RESOURCE_SERVER = "aws:cognito/resourceServer:ResourceServer"


def stack_config(stack: str) -> ComputeConfig:
    values = load_stack_config(project_dir("compute"), stack).values
    return ComputeConfig.model_validate({k.removeprefix("compute:"): _decode(v) for k, v in values.items() if k.startswith("compute:")})


def test_every_route_of_the_contract_and_nothing_else(env_plan):
    compute = env_plan.layer("compute")
    assert compute.one(API).inputs["protocolType"] == "HTTP"
    assert sorted(r.inputs["routeKey"] for r in compute.of_type(ROUTE)) == sorted(r.route_key for r in ROUTES)


def test_each_route_has_the_jwt_authorizer_and_its_scope(env_plan):
    compute = env_plan.layer("compute")
    authorizer = compute.one(AUTHORIZER)
    integrations = {f"integrations/{i.outputs['id']}": i for i in compute.of_type(INTEGRATION)}
    invoke_arns = {f.inputs["name"]: f.outputs["invokeArn"] for f in compute.of_type(FUNCTION)}
    function_names = compute.outputs[ComputeOutputs.FUNCTION_NAMES]
    for contract_route in ROUTES:
        route = next(r for r in compute.of_type(ROUTE) if r.inputs["routeKey"] == contract_route.route_key)
        assert route.inputs["authorizationType"] == "JWT", route.urn
        assert route.inputs["authorizerId"] == authorizer.outputs["id"], route.urn
        assert route.inputs["authorizationScopes"] == [contract_route.scope], route.urn
        integration = integrations[route.inputs["target"]]
        assert integration.inputs["integrationType"] == "AWS_PROXY", integration.urn
        assert integration.inputs["payloadFormatVersion"] == "2.0", integration.urn
        assert integration.inputs["integrationUri"] == invoke_arns[function_names[contract_route.function.name]], integration.urn


def test_authorizer_trusts_this_pool_and_these_merchants_only(env_plan):
    compute = env_plan.layer("compute")
    jwt = compute.one(AUTHORIZER).inputs["jwtConfiguration"]
    pool = compute.one(POOL)
    assert jwt["issuer"] == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.outputs['id']}"
    assert compute.one(AUTHORIZER).inputs["identitySources"] == ["$request.header.Authorization"]
    client_ids = sorted(c.outputs["id"] for c in compute.of_type(CLIENT))
    assert jwt["audiences"] == (client_ids or [NO_MERCHANT_AUDIENCE])


def test_merchants_come_from_the_stack_file(env_plan):
    compute = env_plan.layer("compute")
    config = stack_config(env_plan.environment)
    clients = {c.inputs["name"]: c for c in compute.of_type(CLIENT)}
    expected = {f"acme-payments-{env_plan.environment}-merchant-{m.name}": m for m in config.merchants}
    assert set(clients) == set(expected)
    for name, merchant in expected.items():
        client = clients[name].inputs
        assert client["allowedOauthFlows"] == ["client_credentials"] and client["generateSecret"] is True, name
        assert client["allowedOauthScopes"] == list(merchant.scope_identifiers), name
    assert compute.outputs[ComputeOutputs.MERCHANT_CLIENT_IDS] == {m.name: clients[n].outputs["id"] for n, m in expected.items()}


def test_dev_and_staging_have_a_test_merchant_and_prod_none_yet(plans):
    assert [m.name for m in stack_config("dev").merchants] == ["test-merchant"]
    assert [m.name for m in stack_config("staging").merchants] == ["test-merchant"]
    assert plans["prod"].layer("compute").of_type(CLIENT) == []


def test_each_permission_names_this_api_method_and_path(env_plan):
    compute = env_plan.layer("compute")
    execution_arn = compute.one(API).outputs["executionArn"]
    function_names = compute.outputs[ComputeOutputs.FUNCTION_NAMES]
    permissions = compute.of_type(PERMISSION)
    assert len(permissions) == len(ROUTES)
    expected = {
        f"{execution_arn}/*/POST/payments": function_names["process-payment"],
        f"{execution_arn}/*/GET/payments/*": function_names["get-payment"],
    }
    assert {p.inputs["sourceArn"]: p.inputs["function"] for p in permissions} == expected
    for permission in permissions:
        assert permission.inputs["principal"] == "apigateway.amazonaws.com", permission.urn
        assert permission.inputs["action"] == "lambda:InvokeFunction", permission.urn


def test_throttling_comes_from_the_stack_file(env_plan):
    stage = env_plan.layer("compute").one(STAGE)
    throttling = stack_config(env_plan.environment).api_throttling
    assert stage.inputs["name"] == "$default" and stage.inputs["autoDeploy"] is True
    settings = stage.inputs["defaultRouteSettings"]
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (throttling.rate_limit, throttling.burst_limit)


def test_throttling_differs_per_environment(plans):
    rates = {env: plan.layer("compute").one(STAGE).inputs["defaultRouteSettings"]["throttlingRateLimit"] for env, plan in plans.items()}
    assert len(set(rates.values())) == 3, rates


def test_access_logs_are_json_in_an_encrypted_log_group_with_the_environments_retention(env_plan):
    compute = env_plan.layer("compute")
    stage = compute.one(STAGE)
    logs = stage.inputs["accessLogSettings"]
    group = next(g for g in compute.of_type(LOG_GROUP) if g.outputs["arn"] == logs["destinationArn"])
    assert group.inputs["kmsKeyId"] == env_plan.layer("data").outputs[DataOutputs.KMS_KEY_ARN], group.urn
    assert group.inputs["retentionInDays"] == stack_config(env_plan.environment).log_retention_days, group.urn
    fields = json.loads(logs["format"])
    assert {"requestId", "status", "routeKey", "merchant", "integrationLatency"} <= set(fields)
    assert compute.outputs[ComputeOutputs.API_ACCESS_LOG_GROUP] == group.inputs["name"]


def test_outputs_name_the_api_and_the_token_endpoint(env_plan):
    compute = env_plan.layer("compute")
    api = compute.one(API)
    outputs = compute.outputs
    assert outputs[ComputeOutputs.API_URL] == f"https://{api.outputs['id']}.execute-api.us-east-1.amazonaws.com"
    assert outputs[ComputeOutputs.API_ID] == api.outputs["id"]
    assert outputs[ComputeOutputs.API_STAGE] == "$default"
    assert outputs[ComputeOutputs.TOKEN_ISSUER] == compute.one(AUTHORIZER).inputs["jwtConfiguration"]["issuer"]
    domain = compute.one(DOMAIN).inputs["domain"]
    assert outputs[ComputeOutputs.TOKEN_URL] == f"https://{domain}.auth.us-east-1.amazoncognito.com/oauth2/token"
    # Client secrets are exported, but only as a secret.
    assert outputs[ComputeOutputs.MERCHANT_CLIENT_SECRETS] == "[secret]"


def test_the_resource_server_carries_the_contracts_scopes(env_plan):
    server = env_plan.layer("compute").one(RESOURCE_SERVER)
    identifiers = {f"{server.inputs['identifier']}/{s['scopeName']}" for s in server.inputs["scopes"]}
    assert identifiers == {route.scope for route in ROUTES}


# ---- pure functions ---------------------------------------------------------------------------------


def test_route_source_arn_replaces_path_parameters_and_refuses_wildcard_methods():
    base = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"
    assert route_source_arn(base, "GET /payments/{paymentId}") == f"{base}/*/GET/payments/*"
    assert route_source_arn(base, "POST /payments") == f"{base}/*/POST/payments"
    with pytest.raises(ValueError, match="one method"):
        route_source_arn(base, "ANY /payments")


def test_audiences_fail_closed_without_merchants():
    assert audiences({}) == [NO_MERCHANT_AUDIENCE]
    assert audiences({"b": "zz", "a": "aa"}) == ["aa", "zz"]


def test_helpers():
    assert integration_timeout_ms(30) == 30_000 and integration_timeout_ms(900) == 30_000 and integration_timeout_ms(5) == 5_000
    assert len(statement_id("x" * 95, "GET /payments/{paymentId}")) == 100
    assert issuer_of("cognito-idp.us-east-1.amazonaws.com/us-east-1_abc") == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
    assert token_url("p", "us-east-1") == "https://p.auth.us-east-1.amazoncognito.com/oauth2/token"


# ---- config validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "throttling, message",
    [
        ({"rateLimit": 0, "burstLimit": 10}, "greater than 0"),
        ({"rateLimit": 20000, "burstLimit": 10}, "less than or equal to 10000"),
        ({"rateLimit": 10, "burstLimit": 6000}, "less than or equal to 5000"),
    ],
)
def test_bad_throttling_is_refused(throttling, message):
    found = problems("compute", "dev", compute__apiThrottling=throttling)
    assert any(key.startswith("compute:apiThrottling") and message in line for key, line in found.items()), found


def test_throttling_is_required():
    assert "required key is missing" in problems("compute", "dev", compute__apiThrottling=None)["compute:apiThrottling"]


@pytest.mark.parametrize(
    "merchants, key, message",
    [
        ([{"name": "Test_Merchant", "scopes": ["payments.read"]}], "compute:merchants.0.name", "lowercase letters"),
        ([{"name": "acme", "scopes": ["payments.admin"]}], "compute:merchants.0.scopes", "allowed: payments.write, payments.read"),
        ([{"name": "acme", "scopes": []}], "compute:merchants.0.scopes", "at least 1"),
        ([{"name": "acme", "scopes": ["payments.read"], "tier": "gold"}], "compute:merchants.0.tier", "unknown key"),
        (
            [{"name": "acme", "scopes": ["payments.read"]}, {"name": "acme", "scopes": ["payments.write"]}],
            "compute:merchants",
            "repeated: ['acme']",
        ),
    ],
)
def test_bad_merchants_are_refused(merchants, key, message):
    found = problems("compute", "staging", compute__merchants=merchants)
    assert message in found.get(key, ""), found
