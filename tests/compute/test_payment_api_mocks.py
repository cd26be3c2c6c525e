"""The offline plan's API Gateway and Cognito mocks answer like AWS, refusals included."""

from __future__ import annotations

import re

import pytest

from platform_tools.plan.aws_mocks import ResourceRefused, resource_state

API = "aws:apigatewayv2/api:Api"
AUTHORIZER = "aws:apigatewayv2/authorizer:Authorizer"
INTEGRATION = "aws:apigatewayv2/integration:Integration"
ROUTE = "aws:apigatewayv2/route:Route"
STAGE = "aws:apigatewayv2/stage:Stage"
POOL = "aws:cognito/userPool:UserPool"
CLIENT = "aws:cognito/userPoolClient:UserPoolClient"
DOMAIN = "aws:cognito/userPoolDomain:UserPoolDomain"
PERMISSION = "aws:lambda/permission:Permission"
INVOKE_ARN = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:f/invocations"
M2M_CLIENT = {
    "generateSecret": True,
    "allowedOauthFlowsUserPoolClient": True,
    "allowedOauthFlows": ["client_credentials"],
    "allowedOauthScopes": ["payments/payments.write"],
}


def state(type_: str, inputs: dict) -> dict:
    return resource_state(type_, "logical", inputs, f"seed-{type_}")[1]


def test_ids_and_endpoints_have_aws_formats():
    api = state(API, {"protocolType": "HTTP", "name": "acme-payments-dev-api"})
    assert re.fullmatch(r"[a-z0-9]{10}", api["id"])
    assert api["apiEndpoint"] == f"https://{api['id']}.execute-api.us-east-1.amazonaws.com"
    assert api["executionArn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api['id']}"
    pool = state(POOL, {"name": "p"})
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]{9}", pool["id"])
    assert pool["endpoint"] == f"cognito-idp.us-east-1.amazonaws.com/{pool['id']}"
    client = state(CLIENT, M2M_CLIENT)
    assert re.fullmatch(r"[a-z0-9]{26}", client["id"]) and client["clientSecret"]
    stage = state(STAGE, {"apiId": api["id"], "name": "$default", "autoDeploy": True})
    assert stage["invokeUrl"] == f"https://{api['id']}.execute-api.us-east-1.amazonaws.com/"
    assert stage["executionArn"] == f"{api['executionArn']}/$default"


@pytest.mark.parametrize(
    "type_, inputs, message",
    [
        (AUTHORIZER, {"authorizerType": "JWT", "identitySources": ["$request.header.Authorization"], "jwtConfiguration": {"issuer": "https://x", "audiences": []}}, "at least one"),
        (AUTHORIZER, {"authorizerType": "JWT", "identitySources": ["$request.header.Authorization"], "jwtConfiguration": {"audiences": ["a"]}}, "issuer"),
        (ROUTE, {"routeKey": "POST payments"}, "routeKey"),
        (ROUTE, {"routeKey": "POST /payments", "authorizationType": "JWT"}, "authorizerId"),
        (ROUTE, {"routeKey": "POST /payments", "authorizationType": "NONE", "authorizationScopes": ["payments/payments.write"]}, "only with authorizationType JWT"),
        (INTEGRATION, {"integrationType": "AWS_PROXY", "integrationUri": INVOKE_ARN, "integrationMethod": "POST", "timeoutMilliseconds": 31000}, "50-30000"),
        (INTEGRATION, {"integrationType": "AWS_PROXY", "integrationUri": INVOKE_ARN}, "integrationMethod"),
        (STAGE, {"apiId": "a", "name": "$default", "accessLogSettings": {"destinationArn": "arn:aws:s3:::b", "format": "x"}}, "CloudWatch Logs"),
        (CLIENT, {**M2M_CLIENT, "generateSecret": False}, "does not have a client secret"),
        (CLIENT, {**M2M_CLIENT, "allowedOauthFlows": ["client_credentials", "code"]}, "along with code flow"),
        (CLIENT, {**M2M_CLIENT, "allowedOauthScopes": ["openid"]}, "custom resource-server scopes"),
        (CLIENT, {**M2M_CLIENT, "allowedOauthFlowsUserPoolClient": False}, "allowedOauthFlowsUserPoolClient"),
        (DOMAIN, {"domain": "acme-aws-payments", "userPoolId": "p"}, "reserved word"),
        (DOMAIN, {"domain": "Acme-Payments", "userPoolId": "p"}, "lowercase"),
        (PERMISSION, {"principal": "apigateway.amazonaws.com", "sourceArn": "arn:aws:lambda:us-east-1:1:function:f"}, "execute-api"),
    ],
)
def test_what_aws_refuses_is_refused(type_, inputs, message):
    with pytest.raises(ResourceRefused, match=message):
        state(type_, inputs)
