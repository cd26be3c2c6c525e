"""Base model for a layer's stack configuration, and the validated value types layers share."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"not a CloudWatch Logs retention period; allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return days


_TEAM = re.compile(r"^[a-z][a-z0-9-]{1,62}$")


def _team(name: str) -> str:
    if not _TEAM.match(name):
        raise ValueError("must be 2-63 lowercase letters, digits and hyphens, starting with a letter")
    return name


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
Percent = Annotated[float, Field(ge=0, le=100)]
TeamName = Annotated[str, AfterValidator(_team)]


class LayerConfig(BaseModel):
    """Keys are camelCase in the stack files (`network:vpcCidr`); unknown keys are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)

    team: TeamName  # the team that owns the layer: the Team tag of everything it creates
