"""The approval chain before submitting: the real engine's path with the real people, for a
new form and for a draft, without writing anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from .test_flows_api import PACKAGE
from .test_flows_api import serve

PREVIEW = "/api/v1/oa2/claim/flow/preview"


@pytest.fixture
def clients(write_package, database_url):
    return serve(write_package, database_url, PACKAGE)[1]


def counts(clients) -> tuple[int, int]:
    runtime = clients.app.extensions["loom"].runtime
    claims = runtime.schema.of("oa2.claim").table
    instances = runtime.schema.metadata.tables["loom_flow_instances"]
    with runtime.engine.connect() as conn:
        claimed, started = (
            conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (claims, instances)
        )
        return claimed, started


def test_the_chain_follows_the_amount_with_real_names(clients) -> None:
    emp = clients("emp")
    small = emp.post(PREVIEW, json={"values": {"title": "差旅", "total": "300"}})
    assert small.status_code == 200, small.get_json()
    chain = small.get_json()
    assert chain["label"] == {"zh": "报销审批", "en": "Claim approval"}
    steps = [(s["node"], s["kind"], [u["name"] for u in s["users"]]) for s in chain["steps"]]
    assert steps == [("manager", "approve", ["王经理"]), ("big", "branch", [])]
    assert chain["steps"][0]["label"]["zh"] == "manager"  # a node without a label shows its name
    big = emp.post(PREVIEW, json={"values": {"title": "差旅", "total": "8000"}}).get_json()
    assert [(s["node"], [u["name"] for u in s["users"]]) for s in big["steps"]] == [
        ("manager", ["王经理"]),
        ("big", []),
        ("finance", ["李会计"]),
    ]
    assert big["steps"][1]["notes"][0]["code"] == "branch"
    assert counts(clients) == (0, 0)  # nothing was written


def test_a_draft_is_previewed_with_its_edits(clients) -> None:
    emp = clients("emp")
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅", "total": "300"}).get_json()
    edited = emp.post(PREVIEW, json={"record": claim["id"], "values": {"total": "9000"}}).get_json()
    assert [s["node"] for s in edited["steps"]] == ["manager", "big", "finance"]
    assert emp.get(f"/api/v1/oa2/claim/{claim['id']}").get_json()["total"] == "300.00"
    assert counts(clients) == (1, 0)


def test_invalid_values_and_bodies_are_field_errors(clients) -> None:
    emp = clients("emp")
    missing = emp.post(PREVIEW, json={"values": {"total": "300"}})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.get_json()["errors"]] == ["title"]
    unknown = emp.post(PREVIEW, json={"values": {}, "extra": 1})
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "extra"
    assert emp.post(PREVIEW, json={"record": "x"}).status_code == 400
    assert clients.app.test_client().post(PREVIEW, json={"values": {}}).status_code == 401
    claim = emp.post("/api/v1/oa2/claim", json={"title": "差旅"}).get_json()
    other = clients("fin")  # another employee's draft is not fin's to preview
    assert other.post(PREVIEW, json={"record": claim["id"], "values": {}}).status_code in (403, 404)
