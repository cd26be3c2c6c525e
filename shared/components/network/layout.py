"""The VPC's subnet plan: the subnet tiers and their CIDRs, computed from the VPC CIDR (same layout in every environment).

Pure functions, no Pulumi: `Vpc` (vpc.py) declares one subnet per tier and zone from `subnet_cidrs`.

The VPC is cut into sixteen equal blocks (a /16 gives /20 blocks). Private application subnets take
one whole block per zone, because VPC-attached Lambda functions take one IP per execution
environment; public and database subnets are small (a sixteenth of a block) and share one block
per tier. Everything else is left free for growth:

    block 0..2   private application subnets, one per zone    (/20 each in a /16)
    block 3      reserved: a fourth zone's application subnet
    block 4      public subnets, one sixteenth each           (/24 each in a /16)
    block 5      database subnets, one sixteenth each         (/24 each in a /16)
    block 6..15  free (62.5 % of the VPC)

A VPC of /20 (the smallest `NetworkConfig` allows) gives /28 public and database subnets, the
smallest subnet AWS allows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import Enum
BLOCK_BITS = 4  # the VPC is cut into 2**4 blocks
SMALL_SUBNET_BITS = 4  # a public or database subnet is 1/2**4 of a block
MAX_ZONES = 4  # the layout has room for up to four zones per tier
AWS_SMALLEST_SUBNET_PREFIX = 28


class Tier(str, Enum):
    """The subnet tiers of the VPC, and what each may reach."""

    PUBLIC = "public"  # internet gateway; NAT gateways / the NAT instance live here
    PRIVATE = "private"  # application tier (Lambda ENIs): default route through NAT
    DATABASE = "database"  # Aurora: no route out of the VPC at all


@dataclass(frozen=True)
class TierPlacement:
    block: int  # which of the sixteen blocks of the VPC
    split_bits: int  # 0: one whole block per zone (blocks block..block+zones-1); >0: split one block


PLACEMENT: dict[Tier, TierPlacement] = {
    Tier.PRIVATE: TierPlacement(block=0, split_bits=0),
    Tier.PUBLIC: TierPlacement(block=4, split_bits=SMALL_SUBNET_BITS),
    Tier.DATABASE: TierPlacement(block=5, split_bits=SMALL_SUBNET_BITS),
}


class LayoutError(ValueError):
    pass


def subnet_cidrs(vpc_cidr: str, zone_count: int) -> dict[Tier, list[str]]:
    """The CIDR of each tier's subnet per zone, in zone order.

    Raises LayoutError for a VPC too small for the layout or more zones than it has room for.
    """
    vpc = ipaddress.ip_network(vpc_cidr, strict=True)
    if not 1 <= zone_count <= MAX_ZONES:
        raise LayoutError(f"the layout has room for 1-{MAX_ZONES} zones, got {zone_count}")
    smallest = vpc.prefixlen + BLOCK_BITS + SMALL_SUBNET_BITS
    if smallest > AWS_SMALLEST_SUBNET_PREFIX:
        raise LayoutError(
            f"{vpc_cidr} is too small: its public and database subnets would be /{smallest}, "
            f"AWS allows /{AWS_SMALLEST_SUBNET_PREFIX} at the smallest (use a /{AWS_SMALLEST_SUBNET_PREFIX - 8} or larger VPC)"
        )
    blocks = list(vpc.subnets(prefixlen_diff=BLOCK_BITS))
    layout: dict[Tier, list[str]] = {}
    for tier, placement in PLACEMENT.items():
        if placement.split_bits:
            pieces = list(blocks[placement.block].subnets(prefixlen_diff=placement.split_bits))
            layout[tier] = [str(p) for p in pieces[:zone_count]]
        else:
            layout[tier] = [str(b) for b in blocks[placement.block : placement.block + zone_count]]
    return layout


def free_fraction(vpc_cidr: str, zone_count: int) -> float:
    """The share of the VPC's addresses no subnet uses: the room left to grow."""
    vpc = ipaddress.ip_network(vpc_cidr)
    used = sum(ipaddress.ip_network(c).num_addresses for cidrs in subnet_cidrs(vpc_cidr, zone_count).values() for c in cidrs)
    return 1 - used / vpc.num_addresses
