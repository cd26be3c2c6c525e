"""The one error the orchestration raises; the tasks turn it into a non-zero exit."""


class OrchestrationError(Exception):
    """A readable reason to stop; nothing after the point of failure was run."""
