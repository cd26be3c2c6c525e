"""Where the repository's files are, independent of the current directory."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECTS_DIR = REPO_ROOT / "projects"
FUNCTIONS_DIR = REPO_ROOT / "functions"
ENVIRONMENTS_FILE = REPO_ROOT / "environments.yaml"
BUILD_DIR = REPO_ROOT / "build"


def project_dir(project: str) -> Path:
    return PROJECTS_DIR / project


def stack_file(project: str, stack: str) -> Path:
    return project_dir(project) / f"Pulumi.{stack}.yaml"
