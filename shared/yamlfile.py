"""Reading YAML files with libyaml's C parser when PyYAML has it (several times faster).

A syntax error becomes one line naming the file, the line and column, and what the parser
expected (`YamlSyntaxError`), never a parser traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from shared.paths import REPO_ROOT

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlSyntaxError(ValueError):
    """A YAML file that does not parse; the message is one line a person can act on."""


def display(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def syntax_error_message(path: Path, error: yaml.YAMLError) -> str:
    """`projects/network/Pulumi.dev.yaml, line 4, column 3: expected <block end>, but found '-'
    (while parsing a block mapping that started at line 2, column 1)`."""
    mark = getattr(error, "problem_mark", None)
    where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    context_mark = getattr(error, "context_mark", None)
    if context and context_mark is not None:
        context += f" that started at line {context_mark.line + 1}, column {context_mark.column + 1}"
    return f"{display(path)}{where}: invalid YAML: {problem}" + (f" ({context})" if context else "")


def read_yaml(path: Path) -> Any:
    """The document in `path` (safe: plain data only); None for an empty file."""
    try:
        return yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        raise YamlSyntaxError(syntax_error_message(path, error)) from None
