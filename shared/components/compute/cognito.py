"""`MerchantAuth`: the Cognito user pool that issues the payment API's access tokens to merchants.

Machine-to-machine only: the pool holds no users (no self sign-up), one resource server
(`payments`, scopes `payments.write` / `payments.read` from `payments.contract`) and one app client
per merchant of the stack file, each with a generated secret and the OAuth client-credentials
grant for exactly the scopes its entry lists. Merchants get tokens from the pool domain's
`/oauth2/token` endpoint; the API's JWT authorizer checks issuer, audience (the client id) and
scope. The access token's `client_id` claim is the merchant id the functions use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from payments.contract import RESOURCE_SERVER_IDENTIFIER
from shared.config.payment_api import SCOPES
from shared.tagging import name_tag

SCOPE_DESCRIPTIONS = {"payments.write": "Submit payments", "payments.read": "Read the merchant's own payments"}
# Cognito's default; merchants cache a token for its lifetime (every token request is billed).
ACCESS_TOKEN_MINUTES = 60


def token_url(domain_prefix: str, region: str) -> str:
    """The pool domain's OAuth 2.0 token endpoint."""
    return f"https://{domain_prefix}.auth.{region}.amazoncognito.com/oauth2/token"


def issuer_of(pool_endpoint: str) -> str:
    """`UserPool.endpoint` has no scheme (`cognito-idp.<region>.amazonaws.com/<pool id>`); the tokens' `iss` has."""
    return f"https://{pool_endpoint}"


@dataclass(frozen=True)
class MerchantClient:
    client_name: str  # physical app client name
    scopes: tuple[str, ...]  # full scope identifiers, e.g. "payments/payments.write"


@dataclass(frozen=True)
class MerchantAuthArgs:
    pool_name: str
    domain_prefix: str
    region: str
    merchants: Mapping[str, MerchantClient]  # keyed by the merchant's name in the stack file


class MerchantAuth(pulumi.ComponentResource):
    """User pool, resource server, hosted domain (token endpoint) and one app client per merchant.
    Client secrets are only ever outputs marked secret."""

    user_pool_id: pulumi.Output[str]
    user_pool_arn: pulumi.Output[str]
    issuer: pulumi.Output[str]
    token_url: str
    client_ids: pulumi.Output[dict[str, str]]
    client_secrets: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: MerchantAuthArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("payments:compute:MerchantAuth", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        pool = aws.cognito.UserPool(
            f"{name}-pool",
            name=args.pool_name,
            # Only app clients authenticate here; nobody signs up.
            admin_create_user_config={"allow_admin_create_user_only": True},
            deletion_protection="INACTIVE",  # the platform's rule: every resource destroyable
            tags=name_tag(args.pool_name),
            opts=child,
        )
        server = aws.cognito.ResourceServer(
            f"{name}-resource-server",
            identifier=RESOURCE_SERVER_IDENTIFIER,
            name=f"{args.pool_name}-{RESOURCE_SERVER_IDENTIFIER}",
            user_pool_id=pool.id,
            scopes=[{"scope_name": s, "scope_description": SCOPE_DESCRIPTIONS[s]} for s in SCOPES],
            opts=child,
        )
        aws.cognito.UserPoolDomain(f"{name}-domain", domain=args.domain_prefix, user_pool_id=pool.id, opts=child)

        clients: dict[str, aws.cognito.UserPoolClient] = {}
        for merchant, client in sorted(args.merchants.items()):
            clients[merchant] = aws.cognito.UserPoolClient(
                f"{name}-client-{merchant}",
                name=client.client_name,
                user_pool_id=pool.id,
                generate_secret=True,
                allowed_oauth_flows_user_pool_client=True,
                allowed_oauth_flows=["client_credentials"],
                allowed_oauth_scopes=list(client.scopes),
                # No user sign-in flows: the pool has no users; refresh is the minimum Cognito keeps.
                explicit_auth_flows=["ALLOW_REFRESH_TOKEN_AUTH"],
                prevent_user_existence_errors="ENABLED",
                enable_token_revocation=True,
                access_token_validity=ACCESS_TOKEN_MINUTES,
                token_validity_units={"access_token": "minutes"},
                # The scopes must exist on the resource server before a client may be granted them.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[server]),
            )

        self.user_pool_id = pool.id
        self.user_pool_arn = pool.arn
        self.issuer = pool.endpoint.apply(issuer_of)
        self.token_url = token_url(args.domain_prefix, args.region)
        self.client_ids = pulumi.Output.all(**{m: c.id for m, c in clients.items()}) if clients else pulumi.Output.from_input({})
        self.client_secrets = pulumi.Output.secret(
            pulumi.Output.all(**{m: c.client_secret for m, c in clients.items()}) if clients else {}
        )
        self.register_outputs(
            {
                "userPoolId": self.user_pool_id,
                "userPoolArn": self.user_pool_arn,
                "issuer": self.issuer,
                "tokenUrl": self.token_url,
                "clientIds": self.client_ids,
                "clientSecrets": self.client_secrets,
            }
        )
