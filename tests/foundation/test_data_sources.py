"""Data sources answered with the provider's semantics, and the calls the programs make checked against them."""

from __future__ import annotations

import gc
import json

import pytest

from platform_tools.plan import aws_data_sources, aws_mocks
from platform_tools.plan.aws_data_sources import RDS, DataSourceError, OrderableOption, call_result, select_orderable
from platform_tools.plan.engine import PlanError, plan_environment, run_layer
from shared.components.data import aurora

ORDERABLE = "aws:rds/getOrderableDbInstance:getOrderableDbInstance"
OLD_CALL = {"engine": "aurora-postgresql", "engineVersion": "17.9", "instanceClass": "db.t3.medium"}


# --- getOrderableDbInstance, as terraform-provider-aws's orderable_instance_data_source.go ------------


def test_engine_version_and_class_alone_match_one_option_per_storage_type():
    with pytest.raises(DataSourceError) as refused:
        select_orderable(OLD_CALL, RDS.options)
    message = refused.value.provider_message
    assert message.startswith(
        "multiple (2) RDS DB Instance Classes ([{db.t3.medium 17.9 aurora} {db.t3.medium 17.9 aurora-iopt1}]) "
        "match the criteria; try a different search: {DBInstanceClass:db.t3.medium Engine:aurora-postgresql EngineVersion:17.9 MaxRecords:1000}"
    ), message
    assert message.endswith("Preferred instance classes: []\nPreferred engine versions: []"), message


def test_the_storage_type_makes_it_unambiguous():
    found = select_orderable({**OLD_CALL, "storageType": "aurora"}, RDS.options)
    assert (found.instanceClass, found.engineVersion, found.storageType) == ("db.t3.medium", "17.9", "aurora")


def test_many_matches_list_only_the_search():
    with pytest.raises(DataSourceError, match=r"^invoking .*: multiple \(\d+\) RDS DB Instance Classes match the criteria; try a different search: \{Engine:aurora-postgresql MaxRecords:1000\}"):
        select_orderable({"engine": "aurora-postgresql"}, RDS.options)


@pytest.mark.parametrize(
    "args",
    [
        {"engine": "aurora-postgresql", "engineVersion": "9.6", "instanceClass": "db.t3.medium"},  # no such version
        {"engine": "aurora-postgresql", "engineVersion": "17.9", "instanceClass": "db.m1.small"},  # no such class
        {**OLD_CALL, "storageType": "gp3"},  # exact client-side filter
    ],
)
def test_no_match_is_an_error(args):
    with pytest.raises(DataSourceError, match="no RDS Orderable DB Instance Options found matching criteria; try different search"):
        select_orderable(args, RDS.options)


def test_a_false_flag_filters_nothing_as_in_the_provider():
    # `d.GetOk` treats false as unset: asking for supportsGlobalDatabases=false still finds db.r5 options.
    found = select_orderable({**OLD_CALL, "instanceClass": "db.r5.large", "storageType": "aurora", "supportsGlobalDatabases": False}, RDS.options)
    assert found.supportsGlobalDatabases is True
    with pytest.raises(DataSourceError, match="no RDS Orderable"):
        select_orderable({**OLD_CALL, "storageType": "aurora", "supportsGlobalDatabases": True}, RDS.options)


def test_preferred_classes_take_the_first_listed_class_that_is_offered():
    args = {"engine": "aurora-postgresql", "engineVersion": "17.9", "storageType": "aurora", "preferredInstanceClasses": ["db.x9.huge", "db.r5.large", "db.t3.medium"]}
    assert select_orderable(args, RDS.options).instanceClass == "db.r5.large"
    with pytest.raises(DataSourceError, match=r'matching preferred_instance_classes: \["db.x9.huge"\]'):
        select_orderable({**args, "preferredInstanceClasses": ["db.x9.huge"]}, RDS.options)


def test_latest_version_among_the_preferred_class():
    args = {"engine": "aurora-postgresql", "storageType": "aurora", "preferredInstanceClasses": ["db.r5.large"], "engineLatestVersion": True}
    assert select_orderable(args, RDS.options).engineVersion == "17.9"
    # Without engineLatestVersion the first option of the class wins, in RDS's order.
    assert select_orderable({**args, "engineLatestVersion": False}, RDS.options).engineVersion == "16.6"


def test_preferred_engine_versions_keep_their_order():
    args = {"engine": "aurora-postgresql", "instanceClass": "db.r5.large", "storageType": "aurora", "preferredEngineVersions": ["17.5", "16.8"]}
    assert select_orderable(args, RDS.options).engineVersion == "17.5"


def test_the_answer_carries_the_providers_outputs():
    answer = call_result(ORDERABLE, {**OLD_CALL, "storageType": "aurora"})
    assert answer["instanceClass"] == "db.t3.medium" and answer["id"] == "db.t3.medium"
    assert answer["supportedEngineModes"] == ["provisioned"] and answer["supportsMultiAz"] is True


def test_unknown_data_sources_and_other_regions_are_refused():
    with pytest.raises(NotImplementedError, match="no mock for the data source aws:ec2/getAmi:getAmi"):
        call_result("aws:ec2/getAmi:getAmi", {})
    with pytest.raises(DataSourceError, match="us-west-2"):
        call_result("aws:index/getRegion:getRegion", {"region": "us-west-2"})


# --- the programs' calls ------------------------------------------------------------------------------


def test_every_recorded_call_in_every_environment_is_answered_unambiguously(plans):
    walked = 0
    for stack, plan in plans.items():
        for layer in plan.layers:
            for token, args in layer.calls:
                call_result(token, args)  # raises what the provider would raise
                walked += 1
                if token == ORDERABLE:
                    # Unambiguous by its filters alone, not by a tie-break among preferences.
                    matching = [o for o in RDS.options if all(args.get(k) in (None, getattr(o, k)) for k in ("engine", "engineVersion", "instanceClass", "storageType"))]
                    assert len(matching) == 1, (stack, layer.project, args, matching)
    assert walked >= 12, walked


def test_the_old_orderable_call_fails_the_plan_with_the_providers_message(plans, monkeypatch):
    network = plans["dev"].layer("network")
    monkeypatch.setattr(aurora, "STANDARD_STORAGE", None)  # the call as it was: no storage type
    with pytest.raises(PlanError, match=r"\[data/dev\] .*multiple \(2\) RDS DB Instance Classes \(\[\{db.t3.medium 17.9 aurora\} \{db.t3.medium 17.9 aurora-iopt1\}\]\) match the criteria; try a different search"):
        run_layer("data", "dev", {"network": network.outputs})
    # The refused invoke leaves futures whose exception nobody awaits; finalize them here, not
    # inside some later test (asyncio logs them from __del__, which can land in the middle of ast.parse).
    gc.collect()
    monkeypatch.undo()
    fixed = run_layer("data", "dev", {"network": network.outputs})
    (call,) = [args for token, args in fixed.calls if token == ORDERABLE]
    assert call["storageType"] == "aurora", call


def test_plan_json_lists_every_layers_invokes_in_a_stable_order(plans):
    for stack, plan in plans.items():
        document = json.loads(json.dumps(plan.to_json()))
        for layer in document["layers"]:
            assert layer["invokes"], f"{stack}/{layer['project']} made no data-source call?"
            assert {"token": "aws:index/getCallerIdentity:getCallerIdentity", "args": {}} in layer["invokes"], layer["invokes"]
            keys = [(i["token"], json.dumps(i["args"], sort_keys=True)) for i in layer["invokes"]]
            assert keys == sorted(keys), f"{stack}/{layer['project']}: invokes not in their stable order"
        data = next(l for l in document["layers"] if l["project"] == "data")
        (orderable,) = [i for i in data["invokes"] if i["token"] == ORDERABLE]
        assert {"engine", "engineVersion", "instanceClass", "storageType"} <= set(orderable["args"]) <= {
            "engine", "engineVersion", "instanceClass", "storageType", "supportsEnhancedMonitoring", "supportsPerformanceInsights"
        }, orderable


# --- the mocks serve what the programs use, nothing else ------------------------------------------------


def test_every_mock_handler_serves_a_type_or_token_some_program_uses(plans):
    types = {r.type for plan in plans.values() for layer in plan.layers for r in layer.resources}
    tokens = {token for plan in plans.values() for layer in plan.layers for token, _ in layer.calls}
    assert not set(aws_mocks.HANDLERS) - types, f"mock handlers for types no program declares: {sorted(set(aws_mocks.HANDLERS) - types)}"
    assert not set(aws_data_sources.CALL_HANDLERS) - tokens, f"mock answers for data sources no program calls: {sorted(set(aws_data_sources.CALL_HANDLERS) - tokens)}"
    assert tokens <= set(aws_data_sources.CALL_HANDLERS)


# --- launch templates: the image parameter must exist ---------------------------------------------------


def test_an_unknown_image_parameter_is_refused_and_a_fixed_ami_passes():
    with pytest.raises(aws_mocks.ResourceRefused, match="/aws/service/ami-amazon-linux-latest/al2099"):
        aws_mocks.resolve_image("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2099")
    assert aws_mocks.resolve_image("ami-0123456789abcdef0") == "ami-0123456789abcdef0"
    assert aws_mocks.resolve_image("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64").startswith("ami-")


def test_option_dataclass_has_the_provider_filter_names():
    names = set(OrderableOption.__dataclass_fields__) | {"supportsMultiAz"}
    from platform_tools.plan.aws_data_sources import _CLIENT_FILTERS, _SERVER_FILTERS

    assert set(_CLIENT_FILTERS) <= names and {field for _, field in _SERVER_FILTERS} <= names
