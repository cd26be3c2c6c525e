"""The network layer's own config keys are refused with the key, the value and what is allowed."""

from __future__ import annotations

import pytest
from pulumi.runtime import config as runtime_config

from shared.config import ConfigError, load_layer_config
from shared.config.network import NetworkConfig
from shared.paths import project_dir
from platform_tools.plan.stackconfig import load_stack_config


def problems(stack: str, **changes: str) -> dict[str, str]:
    values = dict(load_stack_config(project_dir("network"), stack).values)
    values.update({f"network:{k}": v for k, v in changes.items()})
    runtime_config.set_all_config(values, [])
    with pytest.raises(ConfigError) as caught:
        load_layer_config(NetworkConfig, "network", stack)
    return {p.key: p.render() for p in caught.value.problems}


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("flowLogKeyDeletionWindowDays", "3", "greater than or equal to 7"),
        ("natInstanceRootVolumeGib", "4", "greater than or equal to 8"),
        ("flowLogTrafficType", "SOME", "'ALL', 'ACCEPT' or 'REJECT'"),
        ("natInstanceType", "nano", "not an EC2 instance type"),
    ],
)
def test_bad_values_name_the_key(key, value, message):
    found = problems("dev", **{key: value})
    assert message in found[f"network:{key}"]


@pytest.mark.parametrize(
    "value, message",
    [
        ("ami-latest", "resolve:ssm:<parameter name>"),
        ("resolve:ssm:al2023", "resolve:ssm:<parameter name>"),
        ("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64", "resolve:ssm:<parameter name>"),
        # t4g.nano is Graviton: an x86_64 image would never boot on it.
        ("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", "an x86_64 image, but natInstanceType t4g.nano is arm64"),
    ],
)
def test_the_nat_image_is_a_parameter_or_an_ami_of_the_instance_architecture(value, message):
    found = problems("dev", natInstanceImage=value)
    assert any(message in text for text in found.values()), found


@pytest.mark.parametrize(
    "value",
    ["ami-0123456789abcdef0", "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-arm64"],
)
def test_a_fixed_ami_or_another_parameter_is_accepted(value):
    values = dict(load_stack_config(project_dir("network"), "dev").values)
    values["network:natInstanceImage"] = value
    runtime_config.set_all_config(values, [])
    _, config = load_layer_config(NetworkConfig, "network", "dev")
    assert config.nat_instance_image == value
