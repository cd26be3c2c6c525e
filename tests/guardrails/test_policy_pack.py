"""The CrossGuard adapter: the pack serves every rule, mandatory, and its validators see what the CLI sends."""

from __future__ import annotations

import copy

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from platform_tools.guardrails.pack import build_policies
from platform_tools.guardrails.rules import RULES
from shared.paths import REPO_ROOT

POLICY_DIR = REPO_ROOT / "policy"


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def provider_of(plan_layer) -> PolicyProviderResource:
    provider = next(r for r in plan_layer.resources if r.type == "pulumi:providers:aws")
    return PolicyProviderResource(provider.type, unknown_checking_proxy(copy.deepcopy(provider.inputs)), provider.urn, provider.name)


def stack_args(plan_layer) -> StackValidationArgs:
    provider = provider_of(plan_layer)
    by_urn: dict[str, PolicyResource] = {}
    for r in plan_layer.resources:
        deps = [by_urn[d] for d in r.options.get("dependsOn", []) if d in by_urn]
        by_urn[r.urn] = PolicyResource(r.type, unknown_checking_proxy(copy.deepcopy(r.inputs)), r.urn, r.name,
                                       options(r.protect), provider, None, deps, {})
    return StackValidationArgs(list(by_urn.values()))


def run(policy, args) -> list[tuple[str, str]]:
    reported: list[tuple[str, str]] = []
    policy.validate(args, lambda message, urn=None: reported.append((urn, message)))
    return reported


def policies() -> dict:
    return {p.name: p for p in build_policies()}


def test_pack_serves_every_rule_as_mandatory():
    served = policies()
    assert list(served) == [r.id for r in RULES]
    for rule in RULES:
        policy = served[rule.id]
        assert policy.enforcement_level == EnforcementLevel.MANDATORY
        assert isinstance(policy, ResourceValidationPolicy if rule.scope == "resource" else StackValidationPolicy)
        assert policy.description == rule.requirement


def test_pack_project_reuses_the_repository_venv():
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    # The venv every layer project names, whether or not the running interpreter lives there.
    venv = (POLICY_DIR / project["runtime"]["options"]["virtualenv"]).resolve()
    for layer_dir in sorted((REPO_ROOT / "projects").iterdir()):
        layer_project = yaml.safe_load((layer_dir / "Pulumi.yaml").read_text())
        assert (layer_dir / layer_project["runtime"]["options"]["virtualenv"]).resolve() == venv, layer_dir.name
    assert "pulumi-policy==" in (POLICY_DIR / "requirements.txt").read_text()
    assert "PolicyPack(" in (POLICY_DIR / "__main__.py").read_text()


def test_stack_policies_pass_on_the_real_stacks_and_catch_a_broken_one(plans):
    served = policies()
    data = plans["prod"].layer("data")
    for rule in RULES:
        if rule.scope == "stack":
            assert run(served[rule.id], stack_args(data)) == [], rule.id
    broken = copy.deepcopy(data)
    broken.resources = [r for r in broken.resources if r.type != "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]
    reported = run(served["s3-bucket-controls"], stack_args(broken))
    assert any("BucketPublicAccessBlock" in m for _, m in reported), reported


def test_resource_policies_merge_provider_tags_and_tolerate_unknowns(plans):
    served = policies()
    data = plans["dev"].layer("data")
    cluster = next(r for r in data.resources if r.type == "aws:rds/cluster:Cluster")
    props = copy.deepcopy(cluster.inputs)
    props.pop("tags", None)  # required tags come from the provider's default tags
    props["kmsKeyId"] = UNKNOWN_STRING_VALUE  # an upstream ARN not known during preview
    args = ResourceValidationArgs(cluster.type, unknown_checking_proxy(props), cluster.urn, cluster.name, options(), provider_of(data))
    for rule in RULES:
        if rule.scope == "resource":
            assert run(served[rule.id], args) == [], rule.id
    protected = ResourceValidationArgs(cluster.type, unknown_checking_proxy(props), cluster.urn, cluster.name, options(protect=True), provider_of(data))
    assert run(served["destroyable"], protected) == [(cluster.urn, "protect is set")]
    props["kmsKeyId"] = None
    unencrypted = ResourceValidationArgs(cluster.type, unknown_checking_proxy(props), cluster.urn, cluster.name, options(), provider_of(data))
    assert run(served["encryption-at-rest-cmk"], unencrypted)
