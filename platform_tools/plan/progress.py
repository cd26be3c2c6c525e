"""Which layer and environment is rendering: one status line on an interactive stderr, nothing when piped."""

from __future__ import annotations

import sys
from typing import TextIO

CLEAR_LINE = "\r\033[K"


class Progress:
    """`progress(project, stack)` before each layer renders. Writes only when `stream` (stderr by
    default) is a terminal, so piped or redirected output (CI logs, files, `--json` consumers)
    never sees it; stdout is never touched."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._shown = False

    def __call__(self, project: str, stack: str) -> None:
        if self.enabled:
            self.stream.write(f"{CLEAR_LINE}rendering {stack}: {project} …")
            self.stream.flush()
            self._shown = True

    def done(self) -> None:
        if self.enabled and self._shown:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self._shown = False
