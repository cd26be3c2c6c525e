"""`invoke merchant-credentials` through the fake `pulumi`: ids from the compute outputs, the secret only on request."""

from __future__ import annotations

import json
import os
import subprocess
import sysconfig

import pytest
from invoke import Context

from platform_tools.orchestration.errors import OrchestrationError
from platform_tools.orchestration.merchants import merchant_credentials
from shared.contracts import ComputeOutputs
from shared.paths import REPO_ROOT

INVOKE = os.path.join(sysconfig.get_path("scripts"), "invoke")
CLIENT_ID = "1example23456789abcdefghij"
SECRET = "s3cr3t" * 8


def deploy_compute(fake, env: str = "dev") -> None:
    state = json.loads(fake.state_file.read_text())
    state["stacks"].setdefault("compute", {})[env] = {
        "outputs": {
            ComputeOutputs.API_URL: "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            ComputeOutputs.TOKEN_URL: f"https://acme-payments-{env}-auth.auth.us-east-1.amazoncognito.com/oauth2/token",
            ComputeOutputs.MERCHANT_CLIENT_IDS: {"test-merchant": CLIENT_ID},
            ComputeOutputs.MERCHANT_CLIENT_SECRETS: {"test-merchant": SECRET},
        },
        "secretOutputs": [ComputeOutputs.MERCHANT_CLIENT_SECRETS],
        "resources": 40,
    }
    fake.state_file.write_text(json.dumps(state))


def test_prints_ids_and_urls_without_the_secret(fake):
    deploy_compute(fake)
    credentials = merchant_credentials(Context(), "dev", "test-merchant")
    text = "\n".join(credentials.lines())
    assert CLIENT_ID in text and "acme-payments-dev-auth.auth.us-east-1.amazoncognito.com/oauth2/token" in text
    assert SECRET not in text and "--show-secret" in text
    assert fake.calls() == ["projects/compute $ pulumi stack output --json --stack dev"]


def test_show_secret_reads_the_outputs_with_show_secrets(fake):
    deploy_compute(fake)
    credentials = merchant_credentials(Context(), "dev", "test-merchant", show_secret=True)
    assert credentials.client_secret == SECRET
    assert fake.calls() == ["projects/compute $ pulumi stack output --json --show-secrets --stack dev"]


def test_unknown_merchant_names_the_known_ones_and_how_to_onboard(fake):
    deploy_compute(fake)
    with pytest.raises(OrchestrationError) as caught:
        merchant_credentials(Context(), "dev", "acme")
    message = str(caught.value)
    assert "merchants: test-merchant" in message and "compute:merchants of projects/compute/Pulumi.dev.yaml" in message


def test_undeployed_environment_says_to_deploy(fake):
    with pytest.raises(OrchestrationError, match="invoke deploy --env staging"):
        merchant_credentials(Context(), "staging", "test-merchant")


def test_the_task_exits_non_zero_with_one_readable_line(fake):
    result = subprocess.run(
        [INVOKE, "merchant-credentials", "--env", "prod", "--merchant", "test-merchant"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("merchant-credentials failed:") and "Traceback" not in result.stderr


def test_the_task_prints_the_credentials(fake):
    deploy_compute(fake)
    result = subprocess.run(
        [INVOKE, "merchant-credentials", "--env", "dev", "--merchant", "test-merchant", "--show-secret"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert CLIENT_ID in result.stdout and SECRET in result.stdout
