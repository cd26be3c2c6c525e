"""Terminal output of the tooling: a console, data cells printed verbatim, numbers in fixed notation.

Data (ARNs, names, config values, error text) never goes through rich's markup or emoji
parsing: `arn:aws:secretsmanager:...:secret:rds!cluster-...` keeps its `:secret:` and a value
with `[brackets]` keeps them. Our own styling is applied to `Text` objects around the data.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

PIPED_WIDTH = 120  # piped output (CI logs, files): wide enough for the tables, no terminal to ask


def make_console(file: TextIO | None = None, *, stderr: bool = False, width: int | None = None) -> Console:
    """A console that never turns `:name:` into an emoji and never guesses highlighting in data.

    In a terminal the width is the terminal's; piped, `COLUMNS` or 120.
    """
    stream = file or (sys.stderr if stderr else sys.stdout)
    if width is None and not stream.isatty():
        width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else PIPED_WIDTH
    return Console(file=file, stderr=stderr, width=width, emoji=False, highlight=False)


def cell(value: Any, style: str = "") -> Text:
    """A table cell or line printed exactly as the data says (no markup, no emoji)."""
    return Text(value if isinstance(value, str) else str(value), style=style)


def line(*parts: str | tuple[str, str]) -> Text:
    """A line of plain data with some styled parts: `line(("note", "yellow"), " ", data)`."""
    return Text.assemble(*parts)


def fixed(value: float, significant: int = 6, max_decimals: int = 10) -> str:
    """A number in plain fixed notation with thousands separators: 5875000 -> '5,875,000',
    0.0000133334 -> '0.0000133334', 7500.0 -> '7,500', 0.5 -> '0.5'. Never scientific notation."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    magnitude = math.floor(math.log10(abs(value)))
    decimals = min(max(significant - 1 - magnitude, 0), max_decimals)
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def column_widths(total: int, first_wanted: int, others: int, share: float = 0.4, least: int = 12) -> list[int]:
    """Content widths for a table `total` columns wide: a first (label) column that gets what it
    wants up to `share` of the room, and `others` columns splitting the rest evenly."""
    columns = others + 1
    room = max(total - (columns + 1) - 2 * columns, least * columns)
    first = max(min(first_wanted, int(room * share)), least)
    rest = max((room - first) // max(others, 1), least)
    return [first] + [rest] * others
