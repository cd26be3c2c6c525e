"""Staleness: which layers were deployed against upstream outputs that have changed since.

After each successful layer deploy the orchestrator records, in a git-ignored JSON file, a hash of
the layer's own `stack output --json`, and a hash of each upstream output the layer reads (only the
keys its contract requires, so a change a layer does not read never makes it stale). A layer is
stale when one of those upstream hashes differs from the upstream's current output. Only hashes
are stored, never values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from shared.contracts import LAYERS, LayerContract
from platform_tools.orchestration.backend import LOCAL_STATE_DIR

FINGERPRINTS_FILE = LOCAL_STATE_DIR / "fingerprints.json"


def fingerprint(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def key_fingerprints(outputs: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {key: fingerprint(outputs.get(key)) for key in keys}


@dataclass(frozen=True)
class Stale:
    project: str
    upstream: str
    changed_keys: tuple[str, ...]

    def describe(self, env: str) -> str:
        return (
            f"{self.project}/{env} was deployed against older {self.upstream} outputs "
            f"({', '.join(self.changed_keys)} changed since)"
        )


class FingerprintStore:
    """`{backend: {env: {project: {"outputs": hash, "upstreams": {project: {key: hash}}, "deployedAt": iso}}}}`."""

    def __init__(self, path: Path | None = None):
        self.path = path or FINGERPRINTS_FILE
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.exists() else {}

    def _env(self, backend: str, env: str) -> dict[str, Any]:
        return self.data.setdefault(backend, {}).setdefault(env, {})

    def record(
        self,
        backend: str,
        env: str,
        contract: LayerContract,
        outputs: Mapping[str, Any],
        upstream_outputs: Mapping[str, Mapping[str, Any]],
    ) -> None:
        self._env(backend, env)[contract.project] = {
            "outputs": fingerprint(outputs),
            "upstreams": {
                upstream: key_fingerprints(upstream_outputs[upstream], keys)
                for upstream, keys in contract.requires.items()
            },
            "deployedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n")

    def forget(self, backend: str, env: str, project: str) -> None:
        if self._env(backend, env).pop(project, None) is not None:
            self.path.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n")

    def recorded(self, backend: str, env: str) -> dict[str, Any]:
        return dict(self.data.get(backend, {}).get(env, {}))


def stale_layers(recorded: Mapping[str, Any], current: Mapping[str, Mapping[str, Any]]) -> list[Stale]:
    """Layers (in deploy order) whose recorded upstream hashes differ from `current` upstream outputs.

    `current` holds the outputs of the upstream layers that exist now; a layer without a record (never
    deployed through these tasks) or an upstream without current outputs is not judged.
    """
    found: list[Stale] = []
    for contract in LAYERS:
        record = recorded.get(contract.project)
        if not record:
            continue
        for upstream, keys in contract.requires.items():
            if upstream not in current:
                continue
            was = record.get("upstreams", {}).get(upstream, {})
            now = key_fingerprints(current[upstream], keys)
            changed = tuple(key for key in keys if was.get(key) != now[key])
            if changed:
                found.append(Stale(contract.project, upstream, changed))
    return found
