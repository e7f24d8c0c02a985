"""The Catalog: resolved names, filled defaults, compiled expressions, a stable revision."""

from __future__ import annotations

import dataclasses

import pytest

from loom.metadata import validate_paths

FILES = {
    "entities/claim.yaml": """\
        kind: entity
        name: claim
        label: {zh: 报销, en: Claim}
        title_field: title
        fields:
          - {name: title, type: string, required: true}
          - {name: amount, type: money}
          - {name: lines, type: table, entity: line}
          - {name: total, type: money, compute: "sum(lines.map(l, l.amount))"}
          - name: stage
            type: select
            options:
              - {key: new, label: {zh: 新建, en: New}, color: blue, data: {probability: 10}}
              - {key: won, label: {zh: 赢单, en: Won}, data: {probability: 100}}
        rules:
          - {check: "total >= 0.0", message: {zh: 金额不能为负, en: Total cannot be negative}}
        permissions:
          - {role: employee, create: true, read: own, write: own}
        """,
    "entities/line.yaml": """\
        kind: entity
        name: line
        label: Line
        child: true
        fields:
          - {name: amount, type: money}
        """,
    "flows/claim.yaml": """\
        kind: flow
        name: claim_approval
        label: Claim approval
        entity: claim
        nodes:
          - {name: manager, approve: {manager: 1}}
          - name: big
            branch:
              - {when: "total > 5000.0", nodes: [{name: finance, approve: {role: admin}, mode: any}]}
              - {else: []}
        """,
}


@pytest.fixture
def catalog(write_package):
    result = validate_paths([write_package(FILES)])
    assert result.problems == ()
    return result.catalog


def test_entities_are_resolved_and_defaults_filled(catalog) -> None:
    claim = catalog.entity("shop.claim")
    assert claim.table_name == "shop_claim"
    assert claim.field("lines").entity == "shop.line"
    amount = claim.field("amount")
    assert (amount.precision, amount.scale, amount.currency) == (18, 2, "CNY")
    assert claim.field("title").max_length == 255
    assert claim.permissions[0].read == "own" and claim.permissions[0].delete == "none"
    assert claim.has_flow and not catalog.entity("shop.line").has_flow
    stage = claim.field("stage")
    assert stage.option("won").data["probability"] == 100
    assert stage.option("new").label.get("en") == "New"


def test_expressions_are_compiled_once_and_run(catalog) -> None:
    claim = catalog.entity("shop.claim")
    total = claim.field("total").compute
    assert total.evaluate({"lines": [{"amount": 1.5}, {"amount": 2.0}]}) == 3.5
    assert claim.rules[0].check.evaluate({"total": -1.0}) is False
    flow = catalog.definition("flow", "shop.claim_approval")
    assert flow.entity == "shop.claim"
    assert flow.expressions["/nodes/1/branch/0/when"].evaluate({"total": 6000.0}) is True


def test_catalog_is_immutable(catalog) -> None:
    claim = catalog.entity("shop.claim")
    with pytest.raises(dataclasses.FrozenInstanceError):
        claim.name = "other"
    with pytest.raises(TypeError):
        catalog.entities["shop.x"] = claim
    with pytest.raises(TypeError):
        catalog.definition("flow", "shop.claim_approval").spec["label"] = "x"


def test_revision_is_a_content_hash(write_package, tmp_path, catalog) -> None:
    again = validate_paths([write_package(FILES, root=tmp_path / "copy")]).catalog
    assert again.revision == catalog.revision
    changed = dict(FILES)
    changed["entities/line.yaml"] = FILES["entities/line.yaml"].replace("label: Line", "label: Row")
    other = validate_paths([write_package(changed, root=tmp_path / "changed")]).catalog
    assert other.revision != catalog.revision
