"""Payments guardrails policy pack: `pulumi preview --policy-pack policy` runs it with the real CLI.

The rules themselves live in `platform_tools.guardrails` so `invoke check` runs the same code offline.
"""

import sys
from pathlib import Path

# The repository root, so `shared` imports from a plain checkout as well as from the installed venv.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from platform_tools.guardrails.pack import PACK_NAME, build_policies  # noqa: E402

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=build_policies())
