"""Layer selection, command lines, upstream checks, backends and fingerprints, without any CLI."""

from __future__ import annotations

import pytest

from conftest import PROJECTS, exports
from shared.contracts import LAYERS
from platform_tools.orchestration import commands
from platform_tools.orchestration.backend import resolve_backend
from platform_tools.orchestration.errors import OrchestrationError
from platform_tools.orchestration.fingerprints import FingerprintStore, stale_layers
from platform_tools.orchestration.layers import Action, check_stack_name, select_layers
from platform_tools.orchestration.preflight import StackInfo, destroy_problems, parse_stack_ls, upstream_problems
from shared.paths import REPO_ROOT


def names(layers):
    return [layer.project for layer in layers]


def test_layer_order_comes_from_the_contract_and_destroy_reverses_it():
    assert names(select_layers(Action.DEPLOY)) == list(PROJECTS) == names(LAYERS)
    assert names(select_layers(Action.DESTROY)) == list(reversed(PROJECTS))
    assert names(select_layers(Action.DESTROY, "data")) == ["data"]
    with pytest.raises(OrchestrationError, match="--layer: unknown layer 'dns'"):
        select_layers(Action.DEPLOY, "dns")


@pytest.mark.parametrize("env, message", [("all", "invoke plan"), ("prod; rm", "not a valid Pulumi stack name")])
def test_bad_stack_names_are_refused(env, message):
    with pytest.raises(OrchestrationError, match=message):
        check_stack_name(env)


def test_command_lines_are_what_a_person_types_in_the_project_folder():
    up = commands.up("data", "prod", REPO_ROOT / "policy")
    assert up.argv == ("pulumi", "up", "--stack", "prod", "--yes", "--policy-pack", "../../policy")
    assert up.cwd == REPO_ROOT / "projects" / "data"
    assert up.display == "cd projects/data && pulumi up --stack prod --yes --policy-pack ../../policy"
    assert commands.preview("network", "dev").shell == "pulumi preview --stack dev --diff"
    assert commands.destroy("network", "dev", preview_only=True).shell == "pulumi destroy --stack dev --preview-only"


def test_stack_ls_accepts_org_qualified_names():
    text = '[{"name": "acme/prod", "resourceCount": 12}, {"name": "dev", "resourceCount": null}]'
    assert parse_stack_ls(text, "prod") == StackInfo("acme/prod", 12)
    assert parse_stack_ls(text, "dev") == StackInfo("dev", 0)
    assert parse_stack_ls(text, "staging") is None


def test_upstreams_in_the_same_deploy_are_exempt_but_not_in_a_preview():
    layers = select_layers(Action.DEPLOY)
    nothing = lambda project: None  # noqa: E731
    assert upstream_problems(Action.DEPLOY, "dev", layers, nothing, lambda p: {}) == []
    problems = upstream_problems(Action.PREVIEW, "dev", layers, nothing, lambda p: {})
    assert problems[0] == "data reads network/dev, which does not exist; deploy network first: invoke deploy --env dev --layer network"
    assert len(problems) == 6  # data←network, compute←network,data, observability←network,data,compute


def test_destroy_problems_name_the_downstream_to_destroy_first():
    stacks = {"data": StackInfo("dev", 3), "compute": StackInfo("dev", 0)}
    problems = destroy_problems("dev", select_layers(Action.DESTROY, "network"), stacks.get)
    assert problems == ["data/dev still has 3 resources that read network; destroy data first: invoke destroy --env dev --layer data"]
    assert destroy_problems("dev", select_layers(Action.DESTROY), stacks.get) == []


def test_local_backend_needs_a_passphrase_and_points_into_the_repo(tmp_path):
    with pytest.raises(OrchestrationError, match="PULUMI_CONFIG_PASSPHRASE"):
        resolve_backend(True, {}, tmp_path)
    backend = resolve_backend(True, {"PULUMI_CONFIG_PASSPHRASE_FILE": "/x"}, tmp_path)
    assert backend.env == {"PULUMI_BACKEND_URL": f"file://{tmp_path}"}
    assert resolve_backend(False, {}).env == {}


def test_a_layer_is_stale_only_when_a_key_it_reads_changed(tmp_path):
    store = FingerprintStore(tmp_path / "fp.json")
    network, data = exports("network"), exports("data")
    data_contract, observability = LAYERS[1], LAYERS[3]
    store.record("b", "dev", data_contract, data, {"network": network})
    unread_change = {**network, "egressPublicIps": ["1.2.3.4"]}  # data does not read it
    assert stale_layers(FingerprintStore(tmp_path / "fp.json").recorded("b", "dev"), {"network": unread_change}) == []
    read_change = {**network, "databaseSubnetIds": ["subnet-0new"]}
    [stale] = stale_layers(store.recorded("b", "dev"), {"network": read_change})
    assert (stale.project, stale.upstream, stale.changed_keys) == ("data", "network", ("databaseSubnetIds",))
    assert observability.project not in store.recorded("b", "dev")


def test_a_failing_build_stops_before_any_layer(monkeypatch):
    import io

    from rich.console import Console

    from platform_tools import packaging
    from platform_tools.orchestration.build import build_function_package

    def broken(*args, **kwargs):
        raise packaging.BuildError("requirements.txt is missing")

    monkeypatch.setattr(packaging, "build_lambda_zip", broken)
    with pytest.raises(OrchestrationError, match="build failed, nothing was deployed: requirements.txt is missing"):
        build_function_package(Console(file=io.StringIO()))
