"""Deploy orchestration: run the four Pulumi layers in order with the real CLI, safely.

`tasks.py` holds thin `preview`/`deploy`/`destroy`/`refresh`/`outputs` tasks over `runner.Orchestrator`.
Pure pieces (layer selection, command lines, upstream checks, fingerprints) are separate modules.
"""

from platform_tools.orchestration.errors import OrchestrationError

__all__ = ["OrchestrationError"]
