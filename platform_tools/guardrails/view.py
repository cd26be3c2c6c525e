"""The neutral resource view the rules read, and its two adapters (offline plan, policy pack).

Props are the resource's inputs in wire camelCase. A value the engine cannot know yet (during
`pulumi preview`) becomes `UNKNOWN`; rules treat it as "cannot tell" and pass, so only known
values can fail a check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The sentinels pulumi_policy puts in props for values unknown during preview (pulumi_policy/proxy.py).
_UNKNOWN_SENTINELS = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:  # an unknown value is never "missing"
        return True


UNKNOWN: Any = _Unknown()
_URN = re.compile(r"^urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::")


@dataclass(frozen=True)
class ResourceView:
    """What a rule may look at: type, names, inputs, effective tags and the lifecycle options."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    tags: Mapping[str, str] | None  # provider default tags merged with the resource's own; None: untaggable
    protect: bool = False
    retain_on_delete: bool = False
    depends_on: frozenset[str] = field(default_factory=frozenset)  # URNs it references or depends on
    custom: bool = True

    @property
    def stack(self) -> str:
        match = _URN.match(self.urn)
        return match.group("stack") if match else ""

    @property
    def project(self) -> str:
        match = _URN.match(self.urn)
        return match.group("project") if match else ""

    def get(self, *path: str | int, default: Any = None) -> Any:
        """`view.get("vpcConfig", "subnetIds")`: a nested prop, `default` when any step is absent."""
        value: Any = self.props
        for step in path:
            if value is UNKNOWN:
                return UNKNOWN
            if isinstance(step, int) and isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
            elif isinstance(step, str) and isinstance(value, Mapping) and step in value:
                value = value[step]
            else:
                return default
        return value


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def parse_json(value: Any) -> Any:
    """Policy documents and provider config arrive as JSON strings or as objects."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def default_tags_of(provider_props: Mapping[str, Any] | None) -> dict[str, str]:
    raw = parse_json((provider_props or {}).get("defaultTags"))
    tags = raw.get("tags") if isinstance(raw, Mapping) else None
    return {str(k): str(v) for k, v in (tags or {}).items()}


def effective_tags(type_: str, props: Mapping[str, Any], provider_tags: Mapping[str, str]) -> dict[str, str] | None:
    """What AWS will hold: provider default tags, then the resource's own (an ASG's list: its own only)."""
    from platform_tools.plan.taggable import is_taggable

    if not is_taggable(type_):
        return None
    own = props.get("tags")
    if isinstance(own, list):
        return {str(t.get("key")): str(t.get("value")) for t in own if isinstance(t, Mapping)}
    own = own if isinstance(own, Mapping) else {}
    return {**provider_tags, **{str(k): str(v) for k, v in own.items()}}


# --- adapter 1: the offline plan ------------------------------------------------------------------


def from_planned(resource: Any) -> ResourceView:
    """A `platform_tools.plan.engine.PlannedResource` (or its JSON form) as a view."""
    if isinstance(resource, Mapping):  # the JSON plan written by `invoke plan --json`
        return ResourceView(
            urn=resource["urn"],
            type=resource["type"],
            name=resource["name"],
            props=resource.get("inputs") or {},
            tags=resource.get("tags"),
            protect=bool(resource.get("protect")),
            retain_on_delete=bool(resource.get("retainOnDelete")),
            custom=bool(resource.get("custom", True)),
        )
    options = getattr(resource, "options", {}) or {}
    return ResourceView(
        urn=resource.urn,
        type=resource.type,
        name=resource.name,
        props=resource.inputs,
        tags=resource.tags,
        protect=resource.protect,
        retain_on_delete=resource.retain_on_delete,
        depends_on=frozenset(options.get("dependsOn") or ()),
        custom=resource.custom,
    )


# --- adapter 2: the policy pack (duck-typed: no pulumi_policy import needed here) ------------------


def unwrap_props(value: Any) -> Any:
    """pulumi_policy's unknown-checking proxies as plain data, unknown values as `UNKNOWN`."""
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    if isinstance(value, Mapping):
        target = value["__target"] if _has_target(value) else value
        return {k: unwrap_props(v) for k, v in dict(target).items()}
    if isinstance(value, (list, tuple)) or _has_target(value):
        target = value["__target"] if _has_target(value) else value
        return [unwrap_props(v) for v in list(target)]
    return value


def _has_target(value: Any) -> bool:
    try:
        return type(value).__name__ in ("_DictProxy", "_ListProxy") and value["__target"] is not None
    except Exception:  # noqa: BLE001 - anything else simply is not a proxy
        return False


def from_policy(args: Any) -> ResourceView:
    """A `ResourceValidationArgs` (inputs) or a stack validation's `PolicyResource` (outputs) as a view."""
    props = unwrap_props(args.props)
    provider = getattr(args, "provider", None)
    provider_props = unwrap_props(provider.props) if provider is not None else {}
    opts = getattr(args, "opts", None)
    dependencies = getattr(args, "dependencies", None) or []
    return ResourceView(
        urn=args.urn,
        type=args.resource_type,
        name=args.name,
        props=props,
        tags=effective_tags(args.resource_type, props, default_tags_of(provider_props)),
        protect=bool(getattr(opts, "protect", False)),
        # pulumi_policy does not expose retainOnDelete; the offline check covers it.
        retain_on_delete=False,
        depends_on=frozenset(d.urn for d in dependencies),
        custom=not args.resource_type.startswith(("pulumi:pulumi:", "payments:")),
    )


def views_of(resources: Iterable[Any]) -> list[ResourceView]:
    return [from_planned(r) for r in resources]
