"""The diff as a person reads it: one table per environment and a summary of what needs a deploy.

Every cell of data is a `rich.text.Text`, so values are printed verbatim: `[bold]` in a tag or
`:secret:` in an ARN is never read as markup or an emoji.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from platform_tools.diff.compare import ABSENT, EnvironmentDiff

MAX_VALUE = 120
_KIND_STYLE = {"added": "green", "removed": "red", "changed": "yellow"}
_KIND_MARK = {"added": "+", "removed": "-", "changed": "~"}


def show_value(value: Any) -> str:
    """A value as one line: JSON for structures, strings quoted, long values shortened in the middle."""
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    if len(text) > MAX_VALUE:
        keep = (MAX_VALUE - 1) // 2
        text = f"{text[:keep]}…{text[-keep:]}"
    return text


def print_environment(console: Console, diff: EnvironmentDiff) -> None:
    if not diff.affected:
        console.print(Text(f"{diff.environment}: no changes"))
        return
    table = Table(title=Text(f"{diff.environment}: resources that change"), title_justify="left", show_lines=False)
    for column in ("layer", "", "resource", "input", "old → new"):
        table.add_column(column, overflow="fold")
    for layer in diff.layers:
        for resource in layer.resources:
            style = _KIND_STYLE[resource.kind]
            label = Text(f"{resource.type} {resource.name}")
            mark = Text(_KIND_MARK[resource.kind], style=style)
            if resource.kind != "changed":
                table.add_row(Text(layer.project), mark, label, Text(resource.kind, style=style), Text(""))
                continue
            for index, change in enumerate(resource.inputs):
                first = index == 0
                table.add_row(
                    Text(layer.project if first else ""),
                    mark if first else Text(""),
                    label if first else Text(""),
                    Text(change.key),
                    Text(f"{show_value(change.old)} → {show_value(change.new)}"),
                )
    console.print(table)


def print_summary(console: Console, diffs: Sequence[EnvironmentDiff], base: str) -> None:
    table = Table(title=Text(f"against {base}: layers to deploy"), title_justify="left")
    for column in ("environment", "layer", "added", "removed", "changed", "deploy"):
        table.add_column(column)
    for diff in diffs:
        for layer in diff.layers:
            if layer.project in diff.affected:
                reason = "yes"
            elif layer.project in diff.downstream:
                reason = "yes (reads a changed layer)"
            else:
                reason = "no"
            table.add_row(
                Text(diff.environment),
                Text(layer.project),
                *(Text(str(layer.count(kind))) for kind in ("added", "removed", "changed")),
                Text(reason),
            )
    console.print(table)


def print_diff(console: Console, diffs: Sequence[EnvironmentDiff], base: str) -> None:
    for diff in diffs:
        print_environment(console, diff)
    print_summary(console, diffs, base)


def diff_document(diffs: Sequence[EnvironmentDiff], base: str, base_commit: str) -> dict[str, Any]:
    return {
        "base": base,
        "baseCommit": base_commit,
        "changed": any(d.affected for d in diffs),
        "environments": [d.to_json() for d in diffs],
    }


def markdown_summary(diffs: Sequence[EnvironmentDiff], base: str) -> str:
    """The diff as GitHub-flavoured Markdown (a job summary): values in code spans, `|` escaped."""

    def cell(text: str) -> str:
        return "`" + text.replace("`", "'").replace("|", "\\|") + "`"

    lines = [f"### Offline diff against `{base}`", ""]
    for diff in diffs:
        lines.append(f"**{diff.environment}**: " + (f"deploy {', '.join(diff.deploy)}" if diff.deploy else "no changes"))
        lines.append("")
        if not diff.affected:
            continue
        lines += ["| layer | change | resource | input | old → new |", "|---|---|---|---|---|"]
        for layer in diff.layers:
            for resource in layer.resources:
                label = cell(f"{resource.type} {resource.name}")
                if resource.kind != "changed":
                    lines.append(f"| {layer.project} | {resource.kind} | {label} | | |")
                for change in resource.inputs:
                    values = cell(f"{show_value(change.old)} → {show_value(change.new)}")
                    lines.append(f"| {layer.project} | changed | {label} | {cell(change.key)} | {values} |")
        lines.append("")
    return "\n".join(lines)
