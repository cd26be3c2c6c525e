"""The cross-layer contract holds in every environment; upstream reads go through it."""

from __future__ import annotations

import pytest

from shared.contracts import COMPUTE, DATA, LAYERS, NETWORK, layer, stack_reference_name
from shared.stack_refs import MissingUpstreamOutput, Upstream


def test_every_required_output_is_exported_upstream(env_plan):
    exported = {l.project: set(l.outputs) for l in env_plan.layers}
    for planned in env_plan.layers:
        for upstream, keys in layer(planned.project).requires.items():
            missing = set(keys) - exported[upstream]
            assert not missing, f"{planned.project}/{env_plan.environment} requires {sorted(missing)} from {upstream}"


def test_every_layer_exports_its_whole_contract(env_plan):
    for planned in env_plan.layers:
        missing = set(layer(planned.project).exports) - set(planned.outputs)
        assert not missing, f"{planned.project}/{env_plan.environment} does not export {sorted(missing)}"


def test_each_layer_reads_exactly_what_its_contract_declares(env_plan):
    for planned in env_plan.layers:
        declared = {(up, key) for up, keys in layer(planned.project).requires.items() for key in keys}
        assert set(planned.reads) == declared, (
            f"{planned.project}: declared but never read {sorted(declared - set(planned.reads))}; "
            f"read but undeclared {sorted(set(planned.reads) - declared)}"
        )


def test_rendered_requires_match_the_contract(env_plan):
    for planned in env_plan.layers:
        assert planned.requires == {k: list(v) for k, v in layer(planned.project).requires.items()}


def test_layer_order_is_declared_once_and_respects_dependencies():
    assert [l.project for l in LAYERS] == ["network", "data", "compute", "observability"]
    for index, contract in enumerate(LAYERS):
        earlier = {l.project for l in LAYERS[:index]}
        assert set(contract.depends_on) <= earlier


@pytest.mark.parametrize(
    "organization, expected",
    [(None, "organization/network/prod"), ("organization", "organization/network/prod"), ("acme-corp", "acme-corp/network/prod")],
)
def test_stack_reference_names_work_on_cloud_and_self_managed_backends(organization, expected):
    assert stack_reference_name(organization, "network", "prod") == expected


def test_reading_an_undeclared_upstream_output_is_refused():
    upstream = Upstream(COMPUTE, stack="dev", organization="organization")
    with pytest.raises(MissingUpstreamOutput, match="without declaring it in shared/contracts.py"):
        upstream.require(NETWORK.project, "vpcCidr")


def test_unknown_layer_names_are_refused():
    with pytest.raises(ValueError, match="unknown layer 'storage'"):
        layer("storage")
    assert DATA.depends_on == ("network",)
