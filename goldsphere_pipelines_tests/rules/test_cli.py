"""`goldsphere rules list|add|remove|template|targets` against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from goldsphere_pipelines.cli import main
from goldsphere_pipelines.mapping import RuleSpec, validate_rule
from goldsphere_pipelines_tests.rules.support import (
    ensure_reference_data,
    insert_connector,
    rule_rows,
)

STATUS_RULE = {
    "entity_type": "order",
    "source_field": "status",
    "target_field": "order_status",
    "transform": {"map": {"wc-shipped": "shipped", "completed": "completed"}},
}


@pytest.fixture
def shop(db: sa.Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("GOLDSPHERE_DATABASE_URL", database_url)
    ensure_reference_data(db)
    insert_connector(db, "bullion-shop")
    return db


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["rules", *args], input=input)


def refused(result: Result) -> str:
    """The one line an admin sees when a command is refused."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_add_from_stdin_list_and_remove(shop: sa.Engine) -> None:
    added = run("add", "bullion-shop", input=json.dumps(STATUS_RULE))
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith("added ")
    assert "order_status" in added.stdout

    listed = run("list", "bullion-shop", "--json")
    assert listed.exit_code == 0, listed.output
    (rule,) = json.loads(listed.stdout)
    assert {k: rule[k] for k in STATUS_RULE} == STATUS_RULE

    human = run("list", "bullion-shop")
    assert rule["id"] in human.stdout
    assert "<- status" in human.stdout

    removed = run("remove", "bullion-shop", rule["id"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(run("list", "bullion-shop", "--json").stdout) == []
    assert "the templates apply" in run("list", "bullion-shop").stdout


def test_add_several_from_a_file(shop: sa.Engine, tmp_path: Path) -> None:
    rules = [
        STATUS_RULE,
        {
            "entity_type": "product",
            "source_field": "attributes[name=Feingehalt].options[0]",
            "target_field": "purity",
            "transform": {"purity": True},
        },
    ]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(rules))
    result = run("add", "bullion-shop", "--file", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert [r["target_field"] for r in json.loads(result.stdout)] == ["order_status", "purity"]
    product_rules = json.loads(run("list", "bullion-shop", "--entity", "product", "--json").stdout)
    assert [r["target_field"] for r in product_rules] == ["purity"]


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('{"entity_type": "order", "source_field": "status"}', "target_field"),
        (json.dumps({**STATUS_RULE, "transform": {"map": {"x": "sent"}}}), "'sent'"),
        (json.dumps({**STATUS_RULE, "transform": {"capitalize": True}}), "Unknown transform"),
        (json.dumps({**STATUS_RULE, "source_field": "line_items[name=x"}), "never closed"),
        (json.dumps({**STATUS_RULE, "target_field": "colour"}), "Unknown order target"),
        ("[]", "No rule given"),
    ],
)
def test_bad_rules_exit_1_with_one_line_and_write_nothing(
    shop: sa.Engine, document: str, reason: str
) -> None:
    assert reason in refused(run("add", "bullion-shop", input=document))
    assert rule_rows(shop) == []


def test_a_second_rule_for_a_target_is_refused(shop: sa.Engine) -> None:
    assert run("add", "bullion-shop", input=json.dumps(STATUS_RULE)).exit_code == 0
    again = run("add", "bullion-shop", input=json.dumps(STATUS_RULE))
    assert "already has an order rule for target 'order_status'" in refused(again)
    assert len(rule_rows(shop)) == 1


def test_unknown_connector_and_rule(shop: sa.Engine) -> None:
    assert "No connector is named 'nowhere'" in refused(run("list", "nowhere"))
    assert "No connector is named 'nowhere'" in refused(
        run("add", "nowhere", input=json.dumps(STATUS_RULE))
    )
    assert "not a rule id" in refused(run("remove", "bullion-shop", "42"))
    assert "has no rule" in refused(
        run("remove", "bullion-shop", "00000000-0000-0000-0000-000000000000")
    )


@pytest.mark.parametrize("entity", ["product", "order"])
def test_template_prints_rules_that_validate(entity: str) -> None:
    result = run("template", entity)
    assert result.exit_code == 0, result.output
    for rule in json.loads(result.stdout):
        assert validate_rule(entity, RuleSpec.model_validate(rule)) == []  # type: ignore[arg-type]


def test_targets_lists_every_fillable_field() -> None:
    result = run("targets", "product")
    assert result.exit_code == 0
    assert "purity" in result.stdout
    assert "(required)" in result.stdout
