"""Reading YAML files with libyaml's C parser when PyYAML has it (several times faster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """The document in `path` (safe: plain data only); None for an empty file."""
    return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader
