"""`invoke check`: the policy pack's rules, run offline against the offline plan of an environment."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from platform_tools.text import cell, column_widths, line

from platform_tools.guardrails.context import NAT_MODE_KEY, NETWORK_PROJECT, context_for, declared_nat_mode_from_stack_file
from platform_tools.guardrails.rules import RULES, Rule, Violation, evaluate
from platform_tools.guardrails.view import views_of
from platform_tools.plan.engine import EnvironmentPlan, LayerPlan


@dataclass(frozen=True)
class LayerResult:
    project: str
    stack: str
    resources: int
    violations: list[Violation]


def declared_nat_mode(plan: EnvironmentPlan) -> str | None:
    """The network layer's rendered natMode output; its stack file when the output is not exported."""
    for layer in plan.layers:
        if layer.project == NETWORK_PROJECT and NAT_MODE_KEY in layer.outputs:
            return str(layer.outputs[NAT_MODE_KEY])
    return declared_nat_mode_from_stack_file(plan.environment)


def check_layer(layer: LayerPlan, nat_mode: str | None, rules: Sequence[Rule] = RULES) -> LayerResult:
    views = views_of(layer.resources)
    return LayerResult(layer.project, layer.stack, len(views), evaluate(views, context_for(views, nat_mode), rules))


def check_environment(plan: EnvironmentPlan, rules: Sequence[Rule] = RULES) -> list[LayerResult]:
    nat_mode = declared_nat_mode(plan)
    return [check_layer(layer, nat_mode, rules) for layer in plan.layers]


def results_table(environment: str, results: list[LayerResult], width: int = 120) -> Table:
    table = Table(title=cell(f"guardrails / {environment}", "bold"), title_justify="left")
    widths = column_widths(width, max(len(rule.id) for rule in RULES), len(results), share=0.45, least=8)
    table.add_column("rule", style="cyan", overflow="fold", width=widths[0])
    for result, column_width in zip(results, widths[1:]):
        table.add_column(cell(f"{result.project} ({result.resources})"), justify="center", overflow="fold", width=column_width)
    for rule in RULES:
        cells = []
        for result in results:
            count = Counter(v.rule for v in result.violations)[rule.id]
            cells.append("[green]pass[/green]" if not count else f"[red]{count} violation(s)[/red]")
        table.add_row(cell(rule.id), *cells)
    return table


def print_results(console: Console, environment: str, results: list[LayerResult]) -> int:
    """Prints the rule × layer table and every violation; returns the number of violations."""
    console.print(results_table(environment, results, console.width))
    violations = [v for r in results for v in r.violations]
    for v in violations:
        console.print(line((v.rule, "red"), f" {v.urn}\n    {v.message}"))
    return len(violations)
