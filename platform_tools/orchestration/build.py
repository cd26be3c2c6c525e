"""The one hook between orchestration and the function build (`platform_tools.packaging`, also `invoke build`)."""

from __future__ import annotations

from rich.console import Console

from platform_tools.orchestration.errors import OrchestrationError


def build_function_package(console: Console) -> None:
    """Build the Lambda package before any program that archives it is previewed or deployed."""
    from platform_tools.packaging import BuildError, build_lambda_zip, describe  # pip and zip work only when asked

    console.print("building the function package (same as `invoke build`)")
    try:
        result = build_lambda_zip()
    except BuildError as error:
        raise OrchestrationError(f"build failed, nothing was deployed: {error}") from None
    console.print(f"built {describe(result)}")
