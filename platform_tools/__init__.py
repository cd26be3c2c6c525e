"""The platform's tooling: what only `invoke` (and the CrossGuard pack) runs, never `pulumi up`.

- `plan/`           the offline plan: stack-config loader, AWS-shaped mocks, engine, report, environment matrix
- `guardrails/`     the platform's rules, one implementation for the policy pack and `invoke check`
- `cost/`           the monthly cost estimate over the rendered resources
- `orchestration/`  what the deploy tasks run: layer order, preflight, pulumi commands, stale layers
- `packaging.py`    building the payment functions' deployment package (`invoke build`)

The deploy-time library is `shared/`; it never imports this package (tests/foundation/test_import_rule.py).
"""
