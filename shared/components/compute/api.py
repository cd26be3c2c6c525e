"""`PaymentApi`: the HTTP API in front of the payment functions, closed to anyone without a token.

An API Gateway HTTP API (payload format 2.0) with exactly the routes of `payments.contract.ROUTES`,
each behind a JWT authorizer (issuer: the environment's Cognito pool; audience: the merchants' app
client ids) that also requires the route's OAuth scope. Each route's Lambda proxy integration may
invoke its function through a `lambda.Permission` whose source ARN names this API, the method and
the path, never `*`. One `$default` stage, deployed automatically, throttled (rate, burst from the
stack file) and writing JSON access logs to a KMS-encrypted log group. HTTPS only: execute-api
endpoints do not listen on plain HTTP, and HTTP APIs accept TLS 1.2 and later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments.contract import Route
from shared.components.log_group import encrypted_log_group
from shared.tagging import name_tag

STAGE_NAME = "$default"
PAYLOAD_FORMAT_VERSION = "2.0"
# API Gateway's ceiling for an HTTP API integration.
MAX_INTEGRATION_TIMEOUT_MS = 30_000
IDENTITY_SOURCE = "$request.header.Authorization"
# A JWT authorizer needs at least one audience. With no merchant onboarded, this one: Cognito
# client ids are 26 lowercase letters and digits, so no token can carry it and every call is 401.
NO_MERCHANT_AUDIENCE = "no-merchant-onboarded"

# One JSON object per request (`$context` variables of HTTP APIs). `status` is a string, so the
# observability layer's metric filter matches `{ $.status = "429" }`.
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "sourceIp": "$context.identity.sourceIp",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationLatency": "$context.integrationLatency",
    "merchant": "$context.authorizer.claims.client_id",
    "authorizerError": "$context.authorizer.error",
    "error": "$context.error.message",
}
ACCESS_LOG_FORMAT = json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))

_PATH_PARAMETER = re.compile(r"\{[A-Za-z0-9._-]+\+?\}")


def route_source_arn(execution_arn: str, route_key: str) -> str:
    """The caller a route's permission admits: `<execution arn>/*/<METHOD>/<path>`, any stage, path
    parameters as `*` (the request's own path arrives there), e.g. `.../*/GET/payments/*`."""
    method, path = route_key.split(" ", 1)
    if method in ("ANY", "*") or not path.startswith("/"):
        raise ValueError(f"route {route_key!r}: a permission is scoped to one method and one path")
    return f"{execution_arn}/*/{method}{_PATH_PARAMETER.sub('*', path)}"


def route_slug(route_key: str) -> str:
    """`GET /payments/{paymentId}` -> `get-payments-paymentid` (logical names, statement ids)."""
    return re.sub(r"[^a-z0-9]+", "-", route_key.lower()).strip("-")


def statement_id(api_name: str, route_key: str) -> str:
    """`acme-payments-dev-api-get-payments-paymentid`: one Lambda policy statement per route (<= 100 chars)."""
    return f"{api_name}-{route_slug(route_key)}"[:100]


def audiences(client_ids: Mapping[str, str]) -> list[str]:
    """The merchants' client ids, sorted; the never-matching placeholder when there is none."""
    return sorted(client_ids.values()) or [NO_MERCHANT_AUDIENCE]


def integration_timeout_ms(function_timeout_seconds: int) -> int:
    return min(function_timeout_seconds * 1000, MAX_INTEGRATION_TIMEOUT_MS)


@dataclass(frozen=True)
class ApiTarget:
    """A function the API invokes (from `PaymentFunctions`)."""

    function_name: pulumi.Input[str]
    invoke_arn: pulumi.Input[str]
    timeout_seconds: int


@dataclass(frozen=True)
class PaymentApiArgs:
    api_name: str
    routes: tuple[Route, ...]
    targets: Mapping[str, ApiTarget]  # keyed by FunctionSpec.name
    issuer: pulumi.Input[str]
    audiences: pulumi.Input[list[str]]
    throttling_rate_limit: float
    throttling_burst_limit: int
    access_log_group_name: str
    log_retention_days: int
    kms_key_arn: pulumi.Input[str]


class PaymentApi(pulumi.ComponentResource):
    """HTTP API, JWT authorizer, one integration per function, the contract's routes with their
    permissions, and the throttled, access-logged `$default` stage."""

    api_id: pulumi.Output[str]
    api_endpoint: pulumi.Output[str]
    execution_arn: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    access_log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: PaymentApiArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:PaymentApi", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        api = aws.apigatewayv2.Api(
            f"{name}-http-api",
            name=args.api_name,
            protocol_type="HTTP",
            description="Payment API: POST /payments, GET /payments/{paymentId}; OAuth client credentials (Cognito)",
            tags=name_tag(args.api_name),
            opts=child,
        )
        authorizer = aws.apigatewayv2.Authorizer(
            f"{name}-jwt",
            api_id=api.id,
            name=f"{args.api_name}-merchant-jwt",
            authorizer_type="JWT",
            identity_sources=[IDENTITY_SOURCE],
            jwt_configuration={"issuer": args.issuer, "audiences": args.audiences},
            opts=child,
        )
        integrations: dict[str, aws.apigatewayv2.Integration] = {}
        for function in sorted({route.function.name for route in args.routes}):
            target = args.targets[function]
            integrations[function] = aws.apigatewayv2.Integration(
                f"{name}-{function}",
                api_id=api.id,
                integration_type="AWS_PROXY",
                integration_method="POST",  # how API Gateway calls Lambda's Invoke API, whatever the route's method
                integration_uri=target.invoke_arn,
                payload_format_version=PAYLOAD_FORMAT_VERSION,
                timeout_milliseconds=integration_timeout_ms(target.timeout_seconds),
                opts=child,
            )
        routes = []
        for route in args.routes:
            slug = route_slug(route.route_key)
            routes.append(
                aws.apigatewayv2.Route(
                    f"{name}-{slug}",
                    api_id=api.id,
                    route_key=route.route_key,
                    target=integrations[route.function.name].id.apply(lambda i: f"integrations/{i}"),
                    authorization_type="JWT",
                    authorizer_id=authorizer.id,
                    authorization_scopes=[route.scope],
                    opts=child,
                )
            )
            aws.lambda_.Permission(
                f"{name}-{slug}-invoke",
                statement_id=statement_id(args.api_name, route.route_key),
                action="lambda:InvokeFunction",
                function=args.targets[route.function.name].function_name,
                principal="apigateway.amazonaws.com",
                source_arn=api.execution_arn.apply(lambda arn, key=route.route_key: route_source_arn(arn, key)),
                opts=child,
            )

        log_group = encrypted_log_group(
            f"{name}-access-logs",
            name=args.access_log_group_name,
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            parent=self,
        )
        stage = aws.apigatewayv2.Stage(
            f"{name}-stage",
            api_id=api.id,
            name=STAGE_NAME,
            auto_deploy=True,
            default_route_settings={
                "throttling_rate_limit": args.throttling_rate_limit,
                "throttling_burst_limit": args.throttling_burst_limit,
                # Route-level metrics are billed as custom metrics; the alarms read the stage's.
                "detailed_metrics_enabled": False,
            },
            access_log_settings={"destination_arn": log_group.arn, "format": ACCESS_LOG_FORMAT},
            tags=name_tag(f"{args.api_name}-default-stage"),
            # Deploy once the routes exist, so the first deployment already carries them.
            opts=pulumi.ResourceOptions(parent=self, depends_on=routes),
        )

        self.api_id = api.id
        self.api_endpoint = api.api_endpoint
        self.execution_arn = api.execution_arn
        self.stage_name = stage.name
        self.access_log_group_name = log_group.name
        self.register_outputs(
            {
                "apiId": self.api_id,
                "apiEndpoint": self.api_endpoint,
                "executionArn": self.execution_arn,
                "stageName": self.stage_name,
                "accessLogGroupName": self.access_log_group_name,
            }
        )
