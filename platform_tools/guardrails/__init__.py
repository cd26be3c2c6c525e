"""Guardrails: the platform's mandatory rules.

The rules are pure functions over a neutral `ResourceView`, so the same implementation runs in
the CrossGuard policy pack (`policy/`, adapting `pulumi_policy` arguments) and offline in
`invoke check` (adapting the offline plan's `PlannedResource`).
"""
