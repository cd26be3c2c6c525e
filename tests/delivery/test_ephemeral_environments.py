"""Ephemeral environments: minimal stack files, inheritance from the profile at deploy time and offline."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import shutil
from pathlib import Path

import pytest
from pulumi.runtime import config as runtime_config

from platform_tools.delivery import environments
from platform_tools.delivery.environments import EphemeralEnvironmentError, ephemeral_files, free_cidr, plan_create, write
from platform_tools.diff.cli import REQUIRES
from platform_tools.diff.compare import diff_documents
from platform_tools.plan.engine import EnvironmentPlan, run_layer
from platform_tools.plan.stackconfig import load_stack_config, read_project_file
from shared.config.errors import ConfigError
from shared.config.inheritance import as_cli_string, profile_inheritance
from shared.config.loader import load_layer_config
from shared.config.network import NetworkConfig
from shared.contracts import LAYERS, layer
from shared.paths import PROJECTS_DIR

NAME = "dev-pr42"
# What the mock engine invents (ids, ARN and endpoint parts): a run of 8+ letters and digits with both
# (mixed case: Cognito user pool ids are `us-east-1_Ab3dEf9Gh`, Aurora resource ids `cluster-ABC1...`).
SHORT_ID = re.compile(r"[a-z0-9]{6,7}")
GENERATED = re.compile(r"(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}")


@pytest.fixture
def projects(tmp_path) -> Path:
    """A copy of projects/ with the minimal files of dev-pr42 written by `env create`'s logic."""
    copy = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    write(plan_create(NAME, "dev", copy))
    return copy


def test_create_writes_two_short_lines_per_layer_and_a_free_cidr(projects):
    for contract in LAYERS:
        text = (projects / contract.project / f"Pulumi.{NAME}.yaml").read_text()
        settings = [line for line in text.splitlines() if line.startswith("  ")]
        assert settings[0] == "  payments:environment: dev"
        assert len(settings) == (2 if contract.project == "network" else 1), text
    cidr = load_stack_config(projects / "network", NAME).values["network:vpcCidr"]
    others = [load_stack_config(projects / "network", s).values["network:vpcCidr"] for s in ("dev", "staging", "prod")]
    assert not any(ipaddress.ip_network(cidr).overlaps(ipaddress.ip_network(o)) for o in others)
    assert cidr == "10.3.0.0/16"  # the first /16 of 10.0.0.0/8 after prod, staging and dev
    # A second environment gets the next free block, and an existing name is refused.
    assert plan_create("dev-pr43", "dev", projects).files[projects / "network" / "Pulumi.dev-pr43.yaml"].endswith("10.4.0.0/16\n")
    with pytest.raises(EphemeralEnvironmentError, match="already exists"):
        plan_create(NAME, "dev", projects)


@pytest.mark.parametrize(
    ("name", "profile", "message"),
    [
        ("prod", "dev", "is a profile"),
        ("Dev_PR42", "dev", "lowercase letters"),
        ("dev-pull-request-4242", "dev", "1-16"),
        ("dev-pr42", "qa", "not an environment profile; allowed: dev, staging, prod"),
    ],
)
def test_create_refuses_bad_names_and_profiles(projects, name, profile, message):
    with pytest.raises(EphemeralEnvironmentError, match=message):
        plan_create(name, profile, projects)


def test_a_requested_cidr_is_checked_against_every_stack(projects):
    assert plan_create("dev-pr9", "dev", projects, cidr="10.142.0.0/16").files[projects / "network" / "Pulumi.dev-pr9.yaml"].endswith(
        "network:vpcCidr: 10.142.0.0/16\n"
    )
    with pytest.raises(EphemeralEnvironmentError, match="overlaps 10.3.0.0/16 of another stack"):
        plan_create("dev-pr9", "dev", projects, cidr="10.3.128.0/17")
    with pytest.raises(EphemeralEnvironmentError, match="not an IPv4 network"):
        plan_create("dev-pr9", "dev", projects, cidr="10.3.0.1/16")


def test_free_cidr_skips_every_overlap():
    assert free_cidr(["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/15"], 16) == "10.4.0.0/16"
    assert free_cidr(["10.0.0.0/9"], 16) == "10.128.0.0/16"
    with pytest.raises(EphemeralEnvironmentError, match="no free /9"):
        free_cidr(["10.0.0.0/9", "10.128.0.0/9"], 9)


def test_profile_values_come_between_project_defaults_and_the_own_file(projects):
    (projects / "compute" / f"Pulumi.{NAME}.yaml").write_text("config:\n  payments:environment: dev\n  compute:lambdaMemoryMb: 768\n")
    values = load_stack_config(projects / "compute", NAME).values
    dev = load_stack_config(projects / "compute", "dev").values
    assert values["compute:lambdaMemoryMb"] == "768"  # own file wins
    assert values["compute:team"] == dev["compute:team"]  # Pulumi.yaml default
    assert {k: v for k, v in values.items() if k not in ("compute:lambdaMemoryMb", "payments:environment")} == {
        k: v for k, v in dev.items() if k != "compute:lambdaMemoryMb"
    }


def test_secrets_chains_and_missing_profiles_are_clear_problems(tmp_path):
    folder = tmp_path / "compute"
    folder.mkdir()
    (folder / "Pulumi.dev.yaml").write_text("config:\n  compute:apiKey:\n    secure: v1:abc\n  compute:logLevel: DEBUG\n")
    (folder / "Pulumi.dev-pr1.yaml").write_text("config:\n  payments:environment: dev\n")
    inherited = profile_inheritance(folder, "compute", "dev-pr1")
    assert dict(inherited.values) == {"compute:logLevel": "DEBUG"}
    (problem,) = inherited.problems
    assert problem.key == "compute:apiKey" and "pulumi config set --secret compute:apiKey --stack dev-pr1" in problem.message
    (folder / "Pulumi.dev-pr2.yaml").write_text("config:\n  payments:environment: dev-pr1\n")
    assert "no chains" in profile_inheritance(folder, "compute", "dev-pr2").problems[0].message
    (folder / "Pulumi.qa-1.yaml").write_text("config:\n  payments:environment: qa\n")
    assert "Pulumi.qa.yaml does not exist" in profile_inheritance(folder, "compute", "qa-1").problems[0].message
    assert profile_inheritance(folder, "compute", "dev") == profile_inheritance(folder, "compute", "nothing")


def test_deploy_time_loader_reads_the_keys_the_engine_did_not_pass(projects, monkeypatch):
    """What `pulumi up -s dev-pr42` hands the program: Pulumi.yaml defaults and the minimal file only."""
    folder = projects / "network"
    passed = {}
    for key, declaration in (read_project_file(folder).get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            passed[f"network:{key}"] = as_cli_string(declaration["default"])
    passed.update({"payments:environment": "dev", "network:vpcCidr": "10.3.0.0/16"})
    monkeypatch.chdir(folder)  # the engine runs the program in its project folder
    runtime_config.set_all_config(passed, [])
    environment, config = load_layer_config(NetworkConfig, "network", NAME)
    assert (environment.profile, environment.suffix) == ("dev", NAME)
    assert config.vpc_cidr == "10.3.0.0/16"
    assert (config.nat_mode, config.flow_log_retention_days) == ("instance", 14)  # from Pulumi.dev.yaml
    # Without the profile's file the error names the key and the missing file, before any resource.
    (folder / "Pulumi.dev.yaml").unlink()
    with pytest.raises(ConfigError, match="payments:environment = 'dev': the profile's stack file projects/network/Pulumi.dev.yaml does not exist"):
        load_layer_config(NetworkConfig, "network", NAME)


def _plan(projects: Path, stack: str) -> dict:
    outputs: dict = {}
    planned = []
    for contract in LAYERS:
        result = run_layer(contract.project, stack, {u: outputs[u] for u in layer(contract.project).requires}, project_dir=projects / contract.project)
        planned.append(result)
        outputs[contract.project] = result.outputs
    return EnvironmentPlan(stack, planned).to_json()


def _normalized(document: dict, dev: dict, own_cidr: str, dev_cidr: str) -> dict:
    """The ephemeral plan in dev's terms: names, the VPC range, and the mock's generated ids mapped to dev's."""
    text = json.dumps(document).replace(NAME, "dev")
    own, theirs = ipaddress.ip_network(own_cidr), ipaddress.ip_network(dev_cidr)
    offset = int(theirs.network_address) - int(own.network_address)

    def move(match: re.Match) -> str:
        address = ipaddress.ip_address(match.group(0))
        return str(address + offset) if address in own else match.group(0)

    text = re.sub(r"\b\d+\.\d+\.\d+\.\d+\b", move, text)
    mine = json.loads(text)
    # Ids and ARNs are invented per stack by the mock engine: pair them through the URNs.
    theirs_by_urn = {r["urn"]: r for l in dev["layers"] for r in l["resources"]}
    replacements: dict[str, str] = {}

    def pair(a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in a.keys() & b.keys():
                pair(a[k], b[k])
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for x, y in zip(a, b):
                pair(x, y)
        elif isinstance(a, str) and isinstance(b, str) and a != b and GENERATED.search(a) and GENERATED.search(b):
            replacements[a] = b

    for l in mine["layers"]:
        for r in l["resources"]:
            if r["urn"] in theirs_by_urn:
                other = theirs_by_urn[r["urn"]]
                pair({"id": r["id"], "outputs": r["outputs"]}, {"id": other["id"], "outputs": other["outputs"]})
                # Short ids are generated too (API Gateway: authorizer 6, route/integration 7 characters).
                if r["id"] != other["id"] and SHORT_ID.fullmatch(str(r["id"])) and SHORT_ID.fullmatch(str(other["id"])):
                    replacements[r["id"]] = other["id"]
    for l in mine["layers"]:
        for r in l["resources"]:
            if isinstance(r["inputs"].get("userData"), str):  # base64 of a script that names ids
                r["inputs"]["userData"] = base64.b64decode(r["inputs"]["userData"]).decode()
    text = json.dumps(mine)
    for old in sorted(replacements, key=len, reverse=True):
        text = text.replace(json.dumps(old)[1:-1], json.dumps(replacements[old])[1:-1])
    return json.loads(text)


def test_the_minimal_ephemeral_stack_renders_dev_apart_from_names_tags_and_cidrs(projects):
    dev, ephemeral = _plan(projects, "dev"), _plan(projects, NAME)
    for l in dev["layers"]:
        for r in l["resources"]:
            if isinstance(r["inputs"].get("userData"), str):
                r["inputs"]["userData"] = base64.b64decode(r["inputs"]["userData"]).decode()
    cidr = load_stack_config(projects / "network", NAME).values["network:vpcCidr"]
    normalized = _normalized(ephemeral, dev, cidr, load_stack_config(projects / "network", "dev").values["network:vpcCidr"])
    assert sum(len(l["resources"]) for l in ephemeral["layers"]) == sum(len(l["resources"]) for l in dev["layers"]) > 100
    (diff,) = diff_documents([dev], [normalized], REQUIRES)
    leftovers = [(r.urn, [c.to_json() for c in r.inputs]) for l in diff.layers for r in l.resources]
    assert leftovers == []
    # And the names really differ: every physical name carries the ephemeral suffix.
    vpc = next(r for l in ephemeral["layers"] for r in l["resources"] if r["type"] == "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == cidr and f"-{NAME}-" in vpc["inputs"]["tags"]["Name"]


def test_delete_finds_only_ephemeral_files(projects, monkeypatch):
    monkeypatch.setattr(environments, "PROJECTS_DIR", projects)
    assert sorted(p.parent.name for p in ephemeral_files(NAME)) == sorted(c.project for c in LAYERS)
    (projects / "data" / "Pulumi.qa-7.yaml").write_text("config:\n  data:auroraInstanceCount: 1\n")
    with pytest.raises(EphemeralEnvironmentError, match="names no profile"):
        ephemeral_files("qa-7")
    with pytest.raises(EphemeralEnvironmentError, match="is a profile"):
        ephemeral_files("dev")
