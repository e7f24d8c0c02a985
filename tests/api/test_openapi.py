"""The OpenAPI document is generated from the Catalog and is at least as strict as the server."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.platform.api.openapi import build
from loom.platform.limits import SEARCH_LENGTH
from loom.platform.limits import SORT_KEYS
from loom.platform.records.query import MAX_PAGE
from loom.platform.records.schemas import SERVER_OWNED
from loom.platform.records.schemas import Schemas


@pytest.fixture(scope="module")
def builtin():
    catalog = validate_paths([BUILTIN_APPS]).catalog
    document = build(catalog, Schemas(catalog))
    validate(document)
    return catalog, document


def schema(document: dict, name: str) -> dict:
    return document["components"]["schemas"][name]


def test_every_entity_says_what_a_client_may_send(builtin) -> None:
    catalog, document = builtin
    for entity in catalog.entities.values():
        name = f"{entity.app}.{entity.name}"
        read = schema(document, name)["properties"]
        for mode in ("row",) if entity.child else ("create", "update"):
            sent = schema(document, f"{name}.{mode}")
            assert sent["additionalProperties"] is False, f"{name}.{mode}"
            for field in entity.fields:
                writable = field.type not in SERVER_OWNED and not field.readonly
                assert (field.name in sent["properties"]) == writable, f"{name}.{mode}.{field.name}"
                assert read[field.name].get("readOnly", False) == (not writable), f"{name}.{field.name}"
            if mode == "create":
                expected = [f.name for f in entity.fields if writable_and_required(f)]
                assert sent.get("required", []) == expected, name


def writable_and_required(field) -> bool:
    if field.type in SERVER_OWNED or field.readonly:
        return False
    if field.type == "table":
        return bool(field.min_rows)
    return field.required and field.default is None


def test_a_required_field_may_not_be_empty(builtin) -> None:
    _, document = builtin
    title = schema(document, "oa.expense_claim.create")["properties"]["title"]
    assert title["minLength"] == 1 and "nullable" not in title
    assert schema(document, "oa.expense_claim.update")["properties"]["title"]["minLength"] == 1
    assert "required" not in schema(document, "oa.expense_claim.update")


def test_table_rows_and_decimals(builtin) -> None:
    catalog, document = builtin
    lines = schema(document, "oa.expense_claim.create")["properties"]["lines"]
    declared = catalog.entity("oa.expense_claim").field("lines")
    assert lines["minItems"] == declared.min_rows and lines["maxItems"] == declared.max_rows
    assert lines["items"] == {"$ref": "#/components/schemas/oa.expense_line.row"}
    optional = schema(document, "oa.expense_claim.create")["properties"]["loan_offset"]
    offset, empty = optional["anyOf"]  # an empty string is read as null
    assert empty["maxLength"] == 0
    pattern = re.compile(offset["pattern"])
    assert pattern.match("1200.50") and not pattern.match("1200.505") and not pattern.match("-1")
    assert offset["x-minimum"] == 0


def test_an_optional_phone_number_may_be_sent_empty(builtin) -> None:
    """The server reads "" as no value for every optional field: the document says so for a
    phone number's pattern too (the fuzz run sent "" and saw it accepted)."""
    _, document = builtin
    telephone = schema(document, "crm.lead.create")["properties"]["telephone"]
    phone, empty = telephone["anyOf"]
    assert re.compile(phone["pattern"]).match("0512-66661111") and empty["maxLength"] == 0


def test_list_parameters_are_typed(builtin) -> None:
    _, document = builtin
    parameters = {p["name"]: p for p in document["paths"]["/crm/customer"]["get"]["parameters"]}
    assert parameters["level"]["schema"] == {"type": "string", "enum": ["A", "B", "C"]}
    assert parameters["page"]["schema"]["maximum"] == MAX_PAGE
    assert parameters["q"]["schema"]["maxLength"] == SEARCH_LENGTH
    assert parameters["sort"]["schema"]["maxItems"] == SORT_KEYS
    assert "-name" in parameters["sort"]["schema"]["items"]["enum"]
    assert "filters" not in parameters  # no open-ended parameter the server would refuse
    owner = parameters["owner_user"]["schema"]
    assert owner["type"] == "integer" and owner["minimum"] == 1
    views = parameters["view"]["schema"]["enum"]
    assert "mine" in views and "pool" in views  # the customer's saved views, by name
    assert "view" not in {p["name"] for p in document["paths"]["/oa/expense_category"]["get"]["parameters"]}


def test_share_flow_and_button_bodies(builtin) -> None:
    _, document = builtin
    paths = document["paths"]
    grant = paths["/crm/customer/{id}/shares"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert grant["additionalProperties"] is False and grant["required"] == ["user_id"]
    transfer = paths["/crm/customer/{id}/buttons/crm.transfer_customer"]["post"]
    body = transfer["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["new_owner"] and body["properties"]["cascade"]["type"] == "boolean"
    flow = paths["/oa/leave_request/{id}/flow/{operation}"]["post"]
    payload = flow["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert payload["comment"]["type"] == "string" and payload["users"]["items"]["minimum"] == 1
    batch = paths["/tasks/approve"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert batch["properties"]["tasks"]["maxItems"] == 200
    listed = paths["/tasks"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert listed["properties"]["items"]["items"] == {"$ref": "#/components/schemas/TaskItem"}
    item = document["components"]["schemas"]["TaskItem"]["properties"]
    assert item["summary"]["nullable"] and item["headline"]["type"] == "string"


def test_the_server_refuses_what_the_document_does(site) -> None:
    """The sales package: the document's create schema and the server agree on a few bodies."""
    document = site.client().get("/api/v1/openapi.json").get_json()
    validate(document)
    create = schema(document, "sales.customer.create")
    assert create["required"] == ["title"] and create["properties"]["title"]["maxLength"] == 60
    anna = site.client("anna")
    assert anna.post("/api/v1/sales/customer", json={}).status_code == 422
    assert anna.post("/api/v1/sales/customer", json={"title": "A", "colour": "red"}).status_code == 422
    assert anna.post("/api/v1/sales/customer", json={"title": ""}).status_code == 422
    assert anna.post("/api/v1/sales/customer", json={"title": "A" * 61}).status_code == 422
    assert anna.post("/api/v1/sales/customer", json={"title": "A", "credit": "1.23456"}).status_code == 422
    assert anna.post("/api/v1/sales/customer", json={"title": "A"}).status_code == 201


def test_every_operation_may_be_a_400(builtin) -> None:
    """Every parameter is bounded (NUL, length), so any operation can answer 400 bad-input."""
    _, document = builtin
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                assert "400" in operation["responses"], f"{method} {path}"
