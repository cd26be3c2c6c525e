"""The pure comparison behind `invoke diff`: synthetic plan documents, no git, no subprocess."""

from __future__ import annotations

import json

from rich.console import Console

from platform_tools.diff.compare import ABSENT, InputChange, diff_documents, diff_environment, downstream_of, value_changes
from platform_tools.diff.render import markdown_summary, print_diff

REQUIRES = {"network": (), "data": ("network",), "compute": ("network", "data"), "observability": ("data", "compute")}


def resource(urn_name, type_="aws:ec2/vpc:Vpc", **inputs):
    return {"urn": f"urn:pulumi:dev::network::{type_}::{urn_name}", "type": type_, "name": urn_name, "id": "x", "inputs": inputs, "outputs": {"arn": "random"}}


def document(env="dev", **layers):
    return {"environment": env, "layers": [{"project": p, "resources": list(rs)} for p, rs in layers.items()]}


def test_nested_keys_are_dotted_paths_and_lists_are_indexed():
    old = {"cidrBlock": "10.2.0.0/16", "tags": {"Name": "a", "Team": "x"}, "ingress": [{"fromPort": 5432}]}
    new = {"cidrBlock": "10.2.0.0/16", "tags": {"Name": "b"}, "ingress": [{"fromPort": 5433}]}
    assert list(value_changes(old, new)) == [
        InputChange("ingress[0].fromPort", 5432, 5433),
        InputChange("tags.Name", "a", "b"),
        InputChange("tags.Team", "x", ABSENT),
    ]


def test_json_text_is_compared_as_the_structure_it_holds():
    old = {"policy": json.dumps({"Statement": [{"Action": "s3:GetObject"}]})}
    same = {"policy": json.dumps({"Statement": [{"Action": "s3:GetObject"}]}, indent=2)}
    new = {"policy": json.dumps({"Statement": [{"Action": "s3:PutObject"}]})}
    assert list(value_changes(old, same)) == []
    assert list(value_changes(old, new)) == [InputChange("policy.Statement[0].Action", "s3:GetObject", "s3:PutObject")]


def test_lists_of_another_length_change_as_a_whole():
    assert list(value_changes({"zones": ["a", "b"]}, {"zones": ["a", "b", "c"]})) == [InputChange("zones", ["a", "b"], ["a", "b", "c"])]


def test_resource_order_ids_and_outputs_do_not_matter():
    a, b = resource("vpc", cidrBlock="10.2.0.0/16"), resource("subnet", type_="aws:ec2/subnet:Subnet", cidrBlock="10.2.0.0/20")
    moved = dict(b, id="other-id", outputs={"arn": "another"})
    diff = diff_environment(document(network=[a, b]), document(network=[moved, a]), REQUIRES)
    assert diff.affected == () and diff.deploy == ()


def test_added_removed_changed_and_downstream_layers():
    old = document(network=[resource("vpc", cidrBlock="10.2.0.0/16"), resource("gone")], data=[], compute=[], observability=[])
    new = document(network=[resource("vpc", cidrBlock="10.9.0.0/16"), resource("new")], data=[], compute=[], observability=[])
    (diff,) = diff_documents([old], [new], REQUIRES)
    network = diff.layers[0]
    assert [(r.name, r.kind) for r in network.resources] == [("gone", "removed"), ("new", "added"), ("vpc", "changed")]
    assert network.resources[2].inputs == (InputChange("cidrBlock", "10.2.0.0/16", "10.9.0.0/16"),)
    assert diff.affected == ("network",)
    assert diff.deploy == ("network", "data", "compute", "observability")


def test_downstream_is_transitive_and_skips_layers_that_do_not_read_the_change():
    assert downstream_of(["compute"], REQUIRES) == ("observability",)
    assert downstream_of(["network"], {"network": (), "data": ("network",), "other": (), "obs": ("data",)}) == ("data", "obs")


def test_function_package_changes_through_its_sources_not_the_placeholder():
    fn = "aws:lambda/function:Function"
    old = document(compute=[resource("fn", type_=fn, code={"archive": "placeholder"}, sourceCodeHash="aaa", memorySize=512)])
    new = document(compute=[resource("fn", type_=fn, code={"FileArchive": "build/x.zip"}, sourceCodeHash="bbb", memorySize=512)])
    assert diff_environment(old, new, REQUIRES).affected == ()
    changed = diff_environment(old, new, REQUIRES, code_change=("sha256:1", "sha256:2"))
    assert changed.layers[0].resources[0].inputs == (InputChange("code", "sha256:1", "sha256:2"),)


def test_secrets_stay_placeholders():
    old = document(data=[resource("db", masterPassword="[secret]", port=5432)])
    new = document(data=[resource("db", masterPassword="[secret]", port=5433)])
    (diff,) = diff_documents([old], [new], REQUIRES)
    assert diff.to_json()["layers"][0]["resources"][0]["inputs"] == [{"key": "port", "kind": "changed", "old": 5432, "new": 5433}]


def test_the_table_prints_data_verbatim_and_markdown_escapes_pipes():
    old = document(network=[resource("vpc", tags={"Name": "a"})])
    new = document(network=[resource("vpc", tags={"Name": "[bold]x:secret:|y"})])
    diffs = diff_documents([old], [new], REQUIRES)
    console = Console(record=True, width=300)
    print_diff(console, diffs, "main")
    text = console.export_text()
    assert '"[bold]x:secret:|y"' in text and "tags.Name" in text
    assert "\\|y" in markdown_summary(diffs, "main")
