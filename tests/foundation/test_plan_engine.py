"""The offline plan: its JSON document, realistic mock answers, and clean failures."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from pathlib import Path

import pytest

from shared.contracts import LAYERS
from platform_tools.plan.cli import plan_document
from platform_tools.plan.engine import PlanError, run_layer
from shared.paths import ENVIRONMENTS_FILE, project_dir

RESOURCE_KEYS = ["urn", "type", "name", "id", "parent", "custom", "protect", "retainOnDelete", "inputs", "outputs", "tags"]
LAYER_KEYS = ["project", "stack", "resources", "outputs", "requires", "invokes"]
ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/networkInterface:NetworkInterface": "eni-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
}
ARN = re.compile(r"^arn:aws:[a-z0-9-]+:(us-east-1)?:(123456789012)?:.+$")


def test_document_has_exactly_the_documented_keys(plans):
    document = plan_document([plans["prod"]], "prod")
    assert list(document) == ["environment", "layers"] and document["environment"] == "prod"
    for layer in document["layers"]:
        assert list(layer) == LAYER_KEYS
        assert layer["stack"] == "prod"
        for resource in layer["resources"]:
            assert list(resource) == RESOURCE_KEYS, resource["urn"]
    json.dumps(document)  # serializable as it is


def test_all_environments_make_an_array(plans):
    document = plan_document(list(plans.values()), "all")
    assert [d["environment"] for d in document] == ["dev", "staging", "prod"]


def test_layers_are_planned_in_dependency_order(plans):
    order = [l.project for l in LAYERS]
    for plan in plans.values():
        planned = [l.project for l in plan.layers]
        assert planned == [p for p in order if p in planned]
        assert planned[0] == "network"


def test_ids_carry_real_prefixes_and_arns_the_real_format(env_plan):
    for layer in env_plan.layers:
        for resource in layer.resources:
            prefix = ID_PREFIXES.get(resource.type)
            if prefix:
                assert resource.id and resource.id.startswith(prefix), resource.urn
            arn = resource.outputs.get("arn")
            if isinstance(arn, str) and resource.type.startswith("aws:"):
                assert ARN.match(arn) or arn.startswith("arn:aws:s3:::") or arn.startswith("arn:aws:iam::123456789012:"), f"{resource.urn}: {arn}"


def test_component_children_record_their_parent(env_plan):
    urns = {r.urn for l in env_plan.layers for r in l.resources}
    for layer in env_plan.layers:
        for resource in layer.resources:
            assert resource.parent, resource.urn
            assert resource.parent in urns or resource.parent.endswith(f"::pulumi:pulumi:Stack::{layer.project}-{layer.stack}"), resource.urn


def _copy_project(tmp_path: Path, project: str) -> Path:
    target = tmp_path / project
    shutil.copytree(project_dir(project), target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_invalid_config_fails_with_the_problem_not_a_traceback(tmp_path):
    copy = _copy_project(tmp_path, "network")
    stack_file = copy / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("10.2.0.0/16", "10.2.0.0/8"))
    with pytest.raises(PlanError) as caught:
        run_layer("network", "dev", project_dir=copy)
    message = str(caught.value)
    assert message.startswith("[network/dev] invalid configuration in projects/network/Pulumi.dev.yaml")
    assert "network:vpcCidr = '10.2.0.0/8'" in message
    assert "Traceback" not in message


def test_a_name_prefix_too_long_for_aws_is_one_line_naming_the_limit_and_the_config(tmp_path, monkeypatch):
    from shared.config import environment

    long_company = tmp_path / "environments.yaml"
    long_company.write_text(ENVIRONMENTS_FILE.read_text().replace("company: acme", "company: acme-financial-services-holdings"))
    monkeypatch.setattr(environment, "ENVIRONMENTS_FILE", long_company)
    environment.read_environments_file.cache_clear()  # it is read once per process
    try:
        with pytest.raises(PlanError) as caught:
            run_layer("network", "dev")
    finally:
        environment.read_environments_file.cache_clear()  # the next reader gets the real file again
    assert str(caught.value) == (
        "[network/dev] the program raised NamingError: iam_role name "
        "'acme-financial-services-holdings-payments-dev-nat-instance-profile' is 66 characters; AWS allows 1-64 "
        "(built from environments.yaml company/service and payments:environmentSuffix)"
    )


def test_a_stack_suffix_too_long_for_names_is_one_line(tmp_path):
    copy = _copy_project(tmp_path, "network")
    stack_file = copy / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text() + "  payments:environmentSuffix: dev-with-a-long-suffix\n")
    with pytest.raises(PlanError) as caught:
        run_layer("network", "dev", project_dir=copy)
    assert str(caught.value) == (
        "[network/dev] invalid configuration in projects/network/Pulumi.dev.yaml: payments:environmentSuffix = "
        "'dev-with-a-long-suffix': must be 1-16 lowercase letters, digits and single hyphens, starting with a letter"
    )


def test_a_program_that_raises_is_reported_by_layer(tmp_path):
    copy = _copy_project(tmp_path, "network")
    (copy / "__main__.py").write_text("raise RuntimeError('boom at line one')\n")
    with pytest.raises(PlanError, match=r"^\[network/dev\] the program raised RuntimeError: boom at line one"):
        run_layer("network", "dev", project_dir=copy)


def test_a_missing_stack_file_is_reported(tmp_path):
    with pytest.raises(PlanError, match="Pulumi.qa.yaml is missing"):
        run_layer("network", "qa")


def test_plan_errors_survive_the_trip_from_a_worker_process():
    """`--env all` renders in worker processes, which send a failure back pickled: it must arrive
    as the same one-line error, not as a broken pool and a traceback."""
    from platform_tools.plan.cli import UnknownEnvironment

    error = pickle.loads(pickle.dumps(PlanError("data", "dev", "the program raised ModuleNotFoundError: x")))
    assert type(error) is PlanError and (error.project, error.stack) == ("data", "dev")
    assert str(error) == "[data/dev] the program raised ModuleNotFoundError: x"
    unknown = pickle.loads(pickle.dumps(UnknownEnvironment("no environment 'qa': the environments are dev")))
    assert type(unknown) is UnknownEnvironment and str(unknown) == "no environment 'qa': the environments are dev"


def test_a_required_upstream_output_that_is_not_exported_stops_the_plan():
    with pytest.raises(PlanError) as caught:
        run_layer("data", "dev", upstream_outputs={"network": {"vpcId": "vpc-0123456789abcdef0"}})
    assert "requires databaseSubnetIds" in str(caught.value) and "from network/dev" in str(caught.value)


def test_secret_inputs_are_rendered_as_placeholders(tmp_path):
    copy = _copy_project(tmp_path, "network")
    main = copy / "__main__.py"
    main.write_text(
        main.read_text()
        + "\nimport pulumi_aws as _aws\n_aws.ssm.Parameter('probe', type='SecureString', value=pulumi.Output.secret('hunter2'),"
        " opts=pulumi.ResourceOptions(provider=provider))\n"
    )
    plan = run_layer("network", "dev", project_dir=copy)
    probe = next(r for r in plan.resources if r.name == "probe")
    assert probe.inputs["value"] == "[secret]"
    assert "hunter2" not in json.dumps(plan.to_json())
