"""CODEOWNERS and the layers' Team values (projects/<layer>/Pulumi.yaml) are one source."""

from __future__ import annotations

from platform_tools.delivery.codeowners import CODEOWNERS_FILE, expected_rules, handle, layer_team, parse
from shared.contracts import LAYERS
from shared.paths import REPO_ROOT


def test_every_layer_and_its_components_belong_to_the_team_its_pulumi_yaml_names():
    rules = parse(CODEOWNERS_FILE.read_text())
    expected = expected_rules()
    assert {pattern: rules.get(pattern) for pattern in expected} == expected


def test_every_team_in_codeowners_is_a_layer_team_or_the_platform_group():
    teams = {handle(layer_team(c.project)) for c in LAYERS} | {handle("platform")}
    used = {owner for owners in parse(CODEOWNERS_FILE.read_text()).values() for owner in owners}
    assert used == teams


def test_every_path_in_codeowners_exists():
    for pattern in parse(CODEOWNERS_FILE.read_text()):
        if pattern != "*":
            assert (REPO_ROOT / pattern.strip("/")).exists(), pattern


def test_a_renamed_team_breaks_the_rule(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "Pulumi.yaml").write_text("name: data\nconfig:\n  team:\n    default: payments-storage\n")
    assert layer_team("data", tmp_path) == "payments-storage"
    assert parse("/projects/data/ @acme/payments-data\n# comment\n/projects/data/ @acme/x @acme/y")["/projects/data/"] == ("@acme/x", "@acme/y")
