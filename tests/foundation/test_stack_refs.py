"""Upstream reads: one key at a time, so only the outputs the upstream marked secret are secret."""

from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime import rpc

from pulumi.runtime.sync_await import _sync_await as resolved  # the SDK's own way to wait outside a program

from shared.contracts import COMPUTE, DATA, DataOutputs
from shared.stack_refs import MissingUpstreamOutput, Upstream

DATA_OUTPUTS = {
    DataOutputs.DB_PORT: 5432,
    DataOutputs.DB_NAME: "payments",
    DataOutputs.MASTER_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!cluster-0f1e2d3c-AbCdEf",
}


class UpstreamMocks(pulumi.runtime.Mocks):
    """Answers a StackReference as the engine does: its outputs and which of them are secret."""

    def __init__(self, outputs: dict, secret: list[str]):
        self.outputs, self.secret = outputs, secret

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        assert args.typ == "pulumi:pulumi:StackReference", args.typ
        # The engine sends a secret output as a secret-wrapped value (the wire format's signature).
        outputs = {k: {rpc._special_sig_key: rpc._special_secret_sig, "value": v} if k in self.secret else v for k, v in self.outputs.items()}  # noqa: SLF001
        return args.name, {"name": args.name, "outputs": outputs, "secretOutputNames": self.secret}

    def call(self, args: pulumi.runtime.MockCallArgs):
        raise AssertionError(f"unexpected invoke {args.token}")


def read(outputs: dict, secret: list[str], key: str) -> tuple[object, bool]:
    pulumi.runtime.set_mocks(UpstreamMocks(outputs, secret), project="compute", stack="dev", preview=False)
    value = Upstream(COMPUTE, stack="dev", organization="organization").require(DATA.project, key)
    return resolved(value.future()), resolved(value.is_secret())


def test_a_plain_output_stays_plain_beside_a_secret_one():
    value, secret = read(DATA_OUTPUTS, [DataOutputs.MASTER_SECRET_ARN], DataOutputs.DB_PORT)
    assert (value, secret) == (5432, False)


def test_a_secret_output_stays_secret():
    value, secret = read(DATA_OUTPUTS, [DataOutputs.MASTER_SECRET_ARN], DataOutputs.MASTER_SECRET_ARN)
    assert secret is True
    assert value == DATA_OUTPUTS[DataOutputs.MASTER_SECRET_ARN]


def test_a_missing_upstream_output_names_the_stack_and_the_deploy_to_run():
    outputs = {k: v for k, v in DATA_OUTPUTS.items() if k != DataOutputs.DB_NAME}
    with pytest.raises(MissingUpstreamOutput, match=r"stack organization/data/dev has no output 'dbName'.*--layer data"):
        read(outputs, [], DataOutputs.DB_NAME)
