"""Every rendered input, nested keys included, is a property the pulumi-aws v7 SDK declares."""

from __future__ import annotations

import copy

from platform_tools.plan.sdk_inputs import unknown_input_keys


def test_every_input_key_is_declared_by_the_sdk(env_plan):
    checked = 0
    for layer in env_plan.layers:
        for resource in layer.resources:
            if resource.type.startswith("aws:"):
                checked += 1
                assert unknown_input_keys(resource.type, resource.inputs) == [], resource.urn
    assert checked > 90


def test_a_misspelt_nested_key_is_found(plans):
    compute = plans["dev"].layer("compute")
    function = compute.of_type("aws:lambda/function:Function")[0]
    inputs = copy.deepcopy(function.inputs)
    inputs["loggingConfig"]["logFromat"] = "JSON"
    inputs["vpcConfig"]["subnetIDs"] = inputs["vpcConfig"]["subnetIds"]
    assert sorted(unknown_input_keys(function.type, inputs)) == ["loggingConfig.logFromat", "vpcConfig.subnetIDs"]


def test_keys_inside_lists_of_input_types_are_checked(plans):
    template = plans["dev"].layer("network").one("aws:ec2/launchTemplate:LaunchTemplate")
    inputs = copy.deepcopy(template.inputs)
    inputs["tagSpecifications"][1]["resource_type"] = "volume"
    assert unknown_input_keys(template.type, inputs) == ["tagSpecifications[1].resource_type"]


def test_free_form_maps_are_not_mistaken_for_input_types(plans):
    function = plans["prod"].layer("compute").of_type("aws:lambda/function:Function")[0]
    assert "PAYMENTS_DB_HOST" in function.inputs["environment"]["variables"]
    assert unknown_input_keys(function.type, function.inputs) == []
