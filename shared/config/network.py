"""Stack configuration of the network layer (`projects/network/Pulumi.<stack>.yaml`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from shared.config.layer import LayerConfig, LogRetentionDays
from shared.paths import project_dir
from shared.yamlfile import read_yaml

REQUIRED_AZ_COUNT = 3
PRIVATE_RANGES = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Room for the subnet layout (shared.components.network.layout) with space left to grow.
VPC_PREFIX_RANGE = (16, 20)
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")
# The NAT instance's image: an SSM parameter the launch template resolves at each launch
# (`resolve:ssm:<name>`, e.g. the public Amazon Linux 2023 ones), or a fixed AMI id.
SSM_IMAGE_PREFIX = "resolve:ssm:"
_SSM_PARAMETER = re.compile(r"^/[A-Za-z0-9_.\-/]{1,2047}$")
_AMI_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
# Public parameters name their architecture last: ".../al2023-ami-kernel-default-arm64".
_PARAMETER_ARCHITECTURE = re.compile(r"-(arm64|x86_64)$")

NatMode = Literal["gateway", "instance"]

# Graviton families carry a "g" right after the generation digit (t4g, c7gn, m6gd, x2gd, im4gn);
# a1 is the first-generation Graviton. Everything else this platform might pick is x86_64.
_GRAVITON_FAMILY = re.compile(r"^(?:a1|[a-z]+\d+g[a-z-]*)$")

Architecture = Literal["arm64", "x86_64"]


def instance_architecture(instance_type: str) -> Architecture:
    """The CPU architecture of an EC2 instance type, to pick the matching AMI."""
    family = instance_type.split(".", 1)[0]
    return "arm64" if _GRAVITON_FAMILY.match(family) else "x86_64"


def other_stack_cidrs(project: str, stack: str) -> dict[str, str]:
    """`vpcCidr` of every other stack file of the project, to refuse overlapping environments."""
    found = {}
    for path in sorted(project_dir(project).glob("Pulumi.*.yaml")):
        other = path.name[len("Pulumi.") : -len(".yaml")]
        if other == stack:
            continue
        config = (read_yaml(path) or {}).get("config") or {}
        cidr = config.get(f"{project}:vpcCidr")
        if cidr:
            found[other] = str(cidr)
    return found


def parse_ipv4_cidr(value: str) -> ipaddress.IPv4Network:
    """An IPv4 network in CIDR notation, or a ValueError saying which part is wrong: the form,
    the address, a prefix length past /32, or host bits set."""
    address, slash, prefix = str(value).partition("/")
    if not slash or not prefix.isdigit():
        raise ValueError("not CIDR notation (address/prefix length), e.g. 10.2.0.0/16")
    if int(prefix) > 32:
        low, high = VPC_PREFIX_RANGE
        raise ValueError(f"/{prefix} is not an IPv4 prefix length (at most /32; a VPC takes /{low} to /{high})")
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError(f"{address!r} is not an IPv4 address, e.g. 10.2.0.0/16") from None
    network = ipaddress.IPv4Network(value, strict=False)
    if str(network.network_address) != address:
        raise ValueError(f"host bits are set: the network of this address is {network}")
    return network


class NetworkConfig(LayerConfig):
    vpc_cidr: str
    availability_zones: list[str]
    nat_mode: NatMode
    nat_gateway_count: int = Field(default=0, ge=0, le=REQUIRED_AZ_COUNT)
    nat_instance_type: str  # default in projects/network/Pulumi.yaml
    # default in projects/network/Pulumi.yaml; changes only when someone edits it (see README "After the first deploy")
    nat_instance_image: str
    # How long an instance refresh waits after a new NAT instance is in service before it
    # terminates the old one: the boot script needs it to attach the interface and take the address.
    nat_instance_warmup_seconds: int = Field(default=180, ge=60, le=900)
    # The AL2023 AMI's root snapshot is 8 GiB; a volume may not be smaller than its snapshot.
    nat_instance_root_volume_gib: int = Field(default=8, ge=8, le=64)
    flow_log_retention_days: LogRetentionDays
    flow_log_traffic_type: Literal["ALL", "ACCEPT", "REJECT"] = "ALL"
    # KMS waits this long before deleting the flow-log key (AWS allows 7-30 days).
    flow_log_key_deletion_window_days: int = Field(default=30, ge=7, le=30)

    @field_validator("vpc_cidr")
    @classmethod
    def _private_cidr(cls, value: str, info: ValidationInfo) -> str:
        network = parse_ipv4_cidr(value)
        if not any(network.subnet_of(r) for r in PRIVATE_RANGES):
            raise ValueError("must be inside a private range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
        low, high = VPC_PREFIX_RANGE
        if not low <= network.prefixlen <= high:
            raise ValueError(f"prefix length must be /{low} to /{high}")
        context = info.context or {}
        if "project" in context:
            for other_stack, other_cidr in other_stack_cidrs(context["project"], context["stack"]).items():
                try:
                    overlaps = network.overlaps(ipaddress.ip_network(other_cidr, strict=False))
                except ValueError:
                    continue  # that stack's own validation reports it
                if overlaps:
                    raise ValueError(f"overlaps {other_cidr} of stack {other_stack!r}; environments need disjoint CIDRs")
        return value

    @field_validator("availability_zones")
    @classmethod
    def _three_zones(cls, zones: list[str], info: ValidationInfo) -> list[str]:
        if len(zones) != REQUIRED_AZ_COUNT:
            raise ValueError(f"exactly {REQUIRED_AZ_COUNT} availability zones are required, got {len(zones)}")
        if len(set(zones)) != len(zones):
            raise ValueError("availability zones must be distinct")
        environment = (info.context or {}).get("environment")
        if environment is not None:
            wrong = [z for z in zones if not re.fullmatch(re.escape(environment.region) + r"[a-z]", z)]
            if wrong:
                raise ValueError(f"{wrong} are not availability zones of {environment.region} (e.g. {environment.region}a)")
        return zones

    @field_validator("nat_instance_type")
    @classmethod
    def _instance_type(cls, value: str) -> str:
        if not _INSTANCE_TYPE.match(value):
            raise ValueError("not an EC2 instance type such as t4g.nano")
        return value

    @field_validator("nat_instance_image")
    @classmethod
    def _image(cls, value: str) -> str:
        parameter = value.removeprefix(SSM_IMAGE_PREFIX)
        if value.startswith(SSM_IMAGE_PREFIX) and _SSM_PARAMETER.match(parameter):
            return value
        if _AMI_ID.match(value):
            return value
        raise ValueError(
            "expected 'resolve:ssm:<parameter name>' (e.g. resolve:ssm:/aws/service/ami-amazon-linux-latest/"
            "al2023-ami-kernel-default-arm64) or an AMI id such as ami-0123456789abcdef0"
        )

    @model_validator(mode="after")
    def _image_architecture(self) -> "NetworkConfig":
        found = _PARAMETER_ARCHITECTURE.search(self.nat_instance_image) if self.nat_instance_image.startswith(SSM_IMAGE_PREFIX) else None
        wanted = instance_architecture(self.nat_instance_type)
        if found and found.group(1) != wanted:
            raise ValueError(
                f"natInstanceImage: an {found.group(1)} image, but natInstanceType {self.nat_instance_type} is "
                f"{wanted}; use the parameter ending in -{wanted}"
            )
        return self

    @model_validator(mode="after")
    def _nat_consistent(self) -> "NetworkConfig":
        if self.nat_mode == "gateway" and self.nat_gateway_count < 1:
            raise ValueError("natGatewayCount: natMode 'gateway' needs between 1 and 3 (one per AZ for high availability)")
        if self.nat_mode == "instance" and self.nat_gateway_count:
            raise ValueError("natGatewayCount: natMode 'instance' takes no NAT gateways; remove the key or set it to 0")
        return self
