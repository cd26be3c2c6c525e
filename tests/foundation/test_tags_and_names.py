"""Every taggable resource carries the required tags; every name carries the environment suffix."""

from __future__ import annotations

from shared.tagging import REQUIRED_TAGS

EXPECTED_COST_CENTERS = {"dev": "CC-1001-payments-dev", "staging": "CC-1002-payments-staging", "prod": "CC-1003-payments-prod"}


def test_every_taggable_resource_has_the_required_tags(env_plan):
    checked = 0
    for layer in env_plan.layers:
        for resource in layer.resources:
            if resource.tags is None:
                continue
            checked += 1
            missing = [t for t in REQUIRED_TAGS if not resource.tags.get(t)]
            assert not missing, f"{resource.urn} lacks {missing}"
            assert resource.tags["Environment"] == env_plan.environment, resource.urn
            assert resource.tags["CostCenter"] == EXPECTED_COST_CENTERS[env_plan.environment], resource.urn
            assert resource.tags.get("Name"), f"{resource.urn} has no Name tag"
    assert checked > 0


def test_every_aws_resource_uses_the_layer_provider(env_plan):
    for layer in env_plan.layers:
        providers = [r for r in layer.resources if r.type == "pulumi:providers:aws"]
        assert len(providers) == 1, f"{layer.project}: one explicit AWS provider per layer"
        provider_ref = f"{providers[0].urn}::{providers[0].id}"
        for resource in layer.resources:
            if resource.custom and resource.type.startswith("aws:"):
                assert resource.provider == provider_ref, f"{resource.urn} uses {resource.provider}"


def test_team_tag_is_the_owning_team_of_each_layer(env_plan):
    teams = {}
    for layer in env_plan.layers:
        teams[layer.project] = {r.tags["Team"] for r in layer.resources if r.tags}
        assert len(teams[layer.project]) == 1, layer.project
    assert len({next(iter(t)) for t in teams.values()}) == len(teams), "each layer is owned by its own team"


def test_resource_names_carry_the_environment_suffix(env_plan):
    suffix = f"-{env_plan.environment}-"
    for layer in env_plan.layers:
        for resource in layer.resources:
            assert suffix in f"{resource.name}-" or resource.name.endswith(f"-{env_plan.environment}"), resource.urn


def test_nothing_is_protected_or_retained(env_plan):
    for layer in env_plan.layers:
        for resource in layer.resources:
            assert not resource.protect and not resource.retain_on_delete, resource.urn
