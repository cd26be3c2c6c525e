"""Config problems are collected and reported together, in one error that a person can act on."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

_MISSING = object()


@dataclass(frozen=True)
class ConfigProblem:
    """One bad or missing value: which key, what it was, what is allowed."""

    key: str
    message: str
    value: object = _MISSING

    def render(self) -> str:
        shown = "(missing)" if self.value is _MISSING else repr(self.value)
        return f"{self.key} = {shown}: {self.message}"


class ConfigError(pulumi.RunError):
    """Raised before any resource is declared; the CLI prints it without a traceback."""

    def __init__(self, source: str, problems: list[ConfigProblem]):
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:  # one problem, one line
            super().__init__(f"invalid configuration in {source}: {self.problems[0].render()}")
            return
        lines = [f"invalid configuration in {source} ({len(self.problems)} problems):"]
        lines += [f"  - {p.render()}" for p in self.problems]
        super().__init__("\n".join(lines))


MISSING = _MISSING
