"""Ephemeral environments (`invoke env create` / `invoke env delete`): minimal stack files per layer.

An ephemeral environment is a stack such as `dev-pr42` in every layer. Its stack files hold only
what differs from the profile it copies (shared/config/inheritance.py reads the rest from the
profile's stack file): `payments:environment`, and in the network layer its own VPC CIDR, taken
from the private range so it overlaps no other stack of the network project.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.config.environment import NAME_PART, SUFFIX_MAX_LENGTH, read_environments_file
from shared.config.inheritance import ENVIRONMENT_KEY, stack_file_config
from shared.contracts import LAYERS
from shared.paths import PROJECTS_DIR

NETWORK_PROJECT = "network"
CIDR_KEY = "network:vpcCidr"
# Where ephemeral VPCs are carved from: the range the standard environments use, 10.0.0.0/8.
CIDR_POOL = ipaddress.ip_network("10.0.0.0/8")


class EphemeralEnvironmentError(RuntimeError):
    """A refusal with a one-line reason (bad name, unknown profile, files that exist or do not)."""


def check_name(name: str, profiles: Iterable[str]) -> str:
    if name in set(profiles):
        raise EphemeralEnvironmentError(f"--name {name!r} is a profile; an ephemeral environment needs its own name, e.g. dev-pr42")
    if len(name) > SUFFIX_MAX_LENGTH or not NAME_PART.match(name):
        raise EphemeralEnvironmentError(
            f"--name {name!r}: 1-{SUFFIX_MAX_LENGTH} lowercase letters, digits and single hyphens, starting with a "
            "letter (it becomes the suffix of every resource name)"
        )
    return name


def free_cidr(taken: Iterable[str], prefix_length: int, pool: ipaddress.IPv4Network = CIDR_POOL) -> str:
    """The first block of `prefix_length` in `pool` that overlaps none of `taken`."""
    used = []
    for cidr in taken:
        try:
            used.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue  # that stack's own validation reports it
    for candidate in pool.subnets(new_prefix=prefix_length):
        if not any(candidate.overlaps(other) for other in used):
            return str(candidate)
    raise EphemeralEnvironmentError(f"no free /{prefix_length} is left in {pool} for another environment")


def stack_file_text(name: str, profile: str, extra: Mapping[str, str]) -> str:
    lines = [
        f"# Ephemeral copy of {profile} (invoke env create): every key not set here is read from Pulumi.{profile}.yaml.",
        f"# Remove it with `invoke env delete --name {name}`.",
        "config:",
        f"  {ENVIRONMENT_KEY}: {profile}",
    ]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class EphemeralFiles:
    name: str
    profile: str
    files: dict[Path, str]  # path -> content


def _layers(directory: Path) -> list[str]:
    return [c.project for c in LAYERS if (directory / c.project / "__main__.py").exists()]


def check_cidr(cidr: str, taken: Iterable[str]) -> str:
    """A requested VPC CIDR: a network inside the pool that overlaps no other stack's."""
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise EphemeralEnvironmentError(f"--cidr {cidr!r} is not an IPv4 network in CIDR notation, e.g. 10.42.0.0/16") from None
    if not network.subnet_of(CIDR_POOL):  # type: ignore[arg-type]
        raise EphemeralEnvironmentError(f"--cidr {cidr} must be inside {CIDR_POOL}")
    for other in taken:
        try:
            if network.overlaps(ipaddress.ip_network(other, strict=False)):
                raise EphemeralEnvironmentError(f"--cidr {cidr} overlaps {other} of another stack; omit --cidr to get a free one")
        except ValueError:
            continue
    return cidr


def plan_create(name: str, profile: str, projects_dir: Path | None = None, cidr: str | None = None) -> EphemeralFiles:
    """The stack files `env create` writes, after every check; nothing is written here. Without
    `cidr`, the VPC gets the first free block of the profile's prefix length."""
    directory = projects_dir or PROJECTS_DIR
    profiles = read_environments_file().profiles
    if profile not in profiles:
        raise EphemeralEnvironmentError(f"--from {profile!r} is not an environment profile; allowed: {', '.join(profiles)}")
    check_name(name, profiles)
    files: dict[Path, str] = {}
    for project in _layers(directory):
        folder = directory / project
        source = folder / f"Pulumi.{profile}.yaml"
        target = folder / f"Pulumi.{name}.yaml"
        if not source.is_file():
            raise EphemeralEnvironmentError(f"{source} does not exist: nothing to copy")
        if target.exists():
            raise EphemeralEnvironmentError(f"{target} already exists: choose another --name or delete that environment first")
        extra = {}
        if project == NETWORK_PROJECT:
            taken = []
            for path in sorted(folder.glob("Pulumi.*.yaml")):
                stack = path.name[len("Pulumi.") : -len(".yaml")]
                existing = (stack_file_config(folder, project, stack) or {}).get(CIDR_KEY)
                if existing:
                    taken.append(str(existing))
            profile_cidr = (stack_file_config(folder, project, profile) or {}).get(CIDR_KEY)
            prefix = ipaddress.ip_network(str(profile_cidr), strict=False).prefixlen if profile_cidr else 16
            extra[CIDR_KEY] = check_cidr(cidr, taken) if cidr else free_cidr(taken, prefix)
        files[target] = stack_file_text(name, profile, extra)
    return EphemeralFiles(name, profile, files)


def write(files: EphemeralFiles) -> None:
    for path, text in files.files.items():
        path.write_text(text)


def ephemeral_files(name: str, projects_dir: Path | None = None) -> list[Path]:
    """The stack files of ephemeral environment `name`; refuses a profile's own stacks."""
    directory = projects_dir or PROJECTS_DIR
    profiles = read_environments_file().profiles
    check_name(name, profiles)
    found = []
    for project in _layers(directory):
        config = stack_file_config(directory / project, project, name)
        if config is None:
            continue
        if str(config.get(ENVIRONMENT_KEY, name)) == name:
            raise EphemeralEnvironmentError(f"projects/{project}/Pulumi.{name}.yaml names no profile to copy: not an ephemeral environment")
        found.append(directory / project / f"Pulumi.{name}.yaml")
    if not found:
        raise EphemeralEnvironmentError(f"no stack files of {name!r} under projects/: nothing to delete")
    return found
