"""`invoke merchant-credentials`: what a merchant needs to call the payment API of one environment.

Read from the compute layer's stack outputs (`pulumi stack output --json --stack ENV` in
projects/compute), as the deploy tasks read them. The client secret is shown only on request:
then, and only then, the command carries `--show-secrets`. Merchants themselves are config: an
entry in `compute:merchants` of the stack file, then a deploy (see README "Payment API").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from invoke import Context

from platform_tools.orchestration import commands
from platform_tools.orchestration.backend import resolve_backend
from platform_tools.orchestration.errors import OrchestrationError
from platform_tools.orchestration.layers import check_stack_name
from platform_tools.orchestration.preflight import parse_outputs
from shared.config.loader import stack_file_label
from shared.config.payment_api import SCOPES
from shared.contracts import COMPUTE, ComputeOutputs

SECRET_HIDDEN = "[secret]"  # what `pulumi stack output --json` prints for a secret without --show-secrets


@dataclass(frozen=True)
class MerchantCredentials:
    env: str
    merchant: str
    client_id: str
    token_url: str
    api_url: str
    client_secret: str | None  # None unless asked for

    def lines(self) -> list[str]:
        secret_command = commands.stack_output(COMPUTE.project, self.env, show_secrets=True).display
        secret = self.client_secret or (
            f"not shown; add --show-secret (runs `{secret_command}`, then reads "
            f"{ComputeOutputs.MERCHANT_CLIENT_SECRETS}.{self.merchant})"
        )
        scope = " ".join(SCOPES.values())
        return [
            f"merchant        {self.merchant} ({COMPUTE.project}/{self.env})",
            f"client id       {self.client_id}   (the merchant id the API records)",
            f"client secret   {secret}",
            f"token URL       {self.token_url}",
            f"API URL         {self.api_url}",
            "get a token     curl -s -u \"$CLIENT_ID:$CLIENT_SECRET\" -d grant_type=client_credentials "
            f"--data-urlencode 'scope={scope}' {self.token_url}",
        ]


def merchant_credentials(
    c: Context, env: str, merchant: str, show_secret: bool = False, local: bool = False, environ: Mapping[str, str] | None = None
) -> MerchantCredentials:
    env = check_stack_name(env)
    backend = resolve_backend(local, os.environ if environ is None else environ)
    command = commands.stack_output(COMPUTE.project, env, show_secrets=show_secret)
    with c.cd(str(command.cwd)):
        result = c.run(command.shell, warn=True, hide=True, pty=False, in_stream=False, env=dict(backend.env))
    if not result.ok:
        detail = (result.stderr or "").strip().splitlines()
        raise OrchestrationError(
            f"`{command.display}` failed{': ' + detail[-1] if detail else ''}; "
            f"is the compute layer deployed to {env}? (invoke deploy --env {env})"
        )
    outputs = parse_outputs(result.stdout, f"`{command.display}`")
    client_ids = outputs.get(ComputeOutputs.MERCHANT_CLIENT_IDS) or {}
    if merchant not in client_ids:
        known = ", ".join(sorted(client_ids)) or "none"
        raise OrchestrationError(
            f"no merchant {merchant!r} in {COMPUTE.project}/{env} (merchants: {known}); onboard one with an entry in "
            f"compute:merchants of {stack_file_label(COMPUTE.project, env)}, then invoke deploy --env {env} --layer {COMPUTE.project}"
        )
    secret = None
    if show_secret:
        secret = (outputs.get(ComputeOutputs.MERCHANT_CLIENT_SECRETS) or {}).get(merchant)
        if not secret or secret == SECRET_HIDDEN:
            raise OrchestrationError(f"{COMPUTE.project}/{env} exports no readable client secret for {merchant!r}")
    return MerchantCredentials(
        env=env,
        merchant=merchant,
        client_id=str(client_ids[merchant]),
        token_url=str(outputs.get(ComputeOutputs.TOKEN_URL, "")),
        api_url=str(outputs.get(ComputeOutputs.API_URL, "")),
        client_secret=secret,
    )
