"""The NAT instance's user data: a checked-in shell template with three values filled in."""

from __future__ import annotations

import base64
import re
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nat_instance_user_data.sh")
_PLACEHOLDER = re.compile(r"%%[A-Z_]+%%")
_ENI_ID = re.compile(r"^eni-[0-9a-f]{8,17}$")
_ALLOCATION_ID = re.compile(r"^eipalloc-[0-9a-f]{8,17}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def render_nat_user_data(eni_id: str, eip_allocation_id: str, region: str) -> str:
    """The bootstrap script for one NAT instance; refuses values that are not what they claim to be.

    The values land in a shell config file, so they are checked against the AWS id formats
    instead of being quoted: nothing but an id can reach the script.
    """
    for label, value, pattern in (
        ("network interface id", eni_id, _ENI_ID),
        ("Elastic IP allocation id", eip_allocation_id, _ALLOCATION_ID),
        ("region", region, _REGION),
    ):
        if not pattern.match(value):
            raise ValueError(f"{label} {value!r} does not look like one")
    script = (
        TEMPLATE.read_text()
        .replace("%%ENI_ID%%", eni_id)
        .replace("%%EIP_ALLOCATION_ID%%", eip_allocation_id)
        .replace("%%REGION%%", region)
    )
    leftover = _PLACEHOLDER.findall(script)
    if leftover:
        raise ValueError(f"the template has placeholders this function does not fill: {sorted(set(leftover))}")
    return script


def encode_user_data(script: str) -> str:
    """Launch templates take user data base64-encoded."""
    return base64.b64encode(script.encode()).decode()
