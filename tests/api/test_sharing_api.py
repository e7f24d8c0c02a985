"""Record sharing through HTTP: the share routes, and what a share opens on the record routes."""

from __future__ import annotations

import datetime as dt
import io

from openapi_spec_validator import validate
from sqlalchemy import update

CUSTOMERS = "/api/v1/sales/customer"


def shares_url(record_id: int, user_id: int | None = None) -> str:
    return f"{CUSTOMERS}/{record_id}/shares" + (f"/{user_id}" if user_id is not None else "")


def titles(client, **params) -> list[str]:
    return [
        r["title"] for r in client.get(CUSTOMERS, query_string={"sort": "id", **params}).get_json()["items"]
    ]


def test_bert_sees_annas_customer_only_once_shared(site) -> None:
    anna, bert = site.client("anna"), site.client("bert")
    bert.post(CUSTOMERS, json={"title": "乙公司", "industry": "finance"})
    customer = anna.post(CUSTOMERS, json={"title": "甲公司", "industry": "it"}).get_json()
    url = f"{CUSTOMERS}/{customer['id']}"
    assert bert.get(url).status_code == 404
    assert titles(bert, q="甲") == []

    shared = anna.post(shares_url(customer["id"]), json={"user_id": site.users["bert"], "level": "read"})
    assert shared.status_code == 200
    assert shared.get_json() | {"granted_at": None} == {
        "user_id": site.users["bert"],
        "level": "read",
        "expires_at": None,
        "granted_by": site.users["anna"],
        "granted_at": None,
    }
    assert bert.get(url).get_json()["title"] == "甲公司"
    assert titles(bert) == ["乙公司", "甲公司"]
    assert titles(bert, q="甲") == ["甲公司"]
    assert titles(bert, industry="it") == ["甲公司"]
    assert bert.get(CUSTOMERS, query_string={"count": "exact"}).get_json()["total"] == 2

    refused = bert.patch(url, json={"title": "改名"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("/forbidden")
    listed = bert.get(shares_url(customer["id"])).get_json()["items"]
    assert [(s["user_name"], s["level"]) for s in listed] == [("bert", "read")]


def test_a_write_share_writes_until_it_expires(site) -> None:
    anna, bert = site.client("anna"), site.client("bert")
    customer = anna.post(CUSTOMERS, json={"title": "甲公司"}).get_json()
    url = f"{CUSTOMERS}/{customer['id']}"
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).isoformat()
    grant = {"user_id": site.users["bert"], "level": "write", "expires_at": until}
    assert anna.post(shares_url(customer["id"]), json=grant).status_code == 200
    assert bert.patch(url, json={"title": "甲公司（华东）"}).get_json()["title"] == "甲公司（华东）"
    assert bert.delete(url).status_code == 403  # a share never opens delete

    services = site.app.extensions["loom"]
    shares = services.runtime.schema.metadata.tables["loom_shares"]
    with services.runtime.engine.begin() as conn:  # the week passes
        conn.execute(update(shares).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    assert bert.get(url).status_code == 404
    assert bert.patch(url, json={"title": "x"}).status_code == 404
    assert anna.get(shares_url(customer["id"])).get_json() == {"items": []}


def test_who_may_share_and_what_is_refused(site) -> None:
    anna, bert, fina = site.client("anna"), site.client("bert"), site.client("fina")
    customer = anna.post(CUSTOMERS, json={"title": "甲公司"}).get_json()
    url = shares_url(customer["id"])
    assert bert.post(url, json={"user_id": site.users["fina"]}).status_code == 404  # cannot see it
    refused = fina.post(url, json={"user_id": site.users["bert"]})  # reads everything, writes nothing
    assert refused.status_code == 403 and refused.get_json()["type"].endswith("/forbidden")

    unknown = anna.post(url, json={"user_id": 424242, "level": "write"})
    assert unknown.status_code == 422 and unknown.mimetype == "application/problem+json"
    assert [(e["field"], e["code"]) for e in unknown.get_json()["errors"]] == [("user_id", "link_not_found")]
    assert anna.post(url, json=["bert"]).status_code == 400
    assert anna.delete(shares_url(customer["id"], site.users["bert"])).status_code == 404

    assert site.client("lead").post(url, json={"user_id": site.users["bert"]}).status_code == 200
    assert anna.delete(shares_url(customer["id"], site.users["bert"])).status_code == 204
    assert bert.get(f"{CUSTOMERS}/{customer['id']}").status_code == 404


def test_files_of_a_shared_record_can_be_downloaded(site) -> None:
    anna, bert = site.client("anna"), site.client("bert")
    uploaded = anna.post("/api/v1/files", data={"file": (io.BytesIO(b"%PDF-1.4 contract"), "合同.pdf")})
    file_id = uploaded.get_json()["id"]
    customer = anna.post(CUSTOMERS, json={"title": "甲公司", "contract": file_id}).get_json()
    assert bert.get(f"/api/v1/files/{file_id}").status_code == 404
    anna.post(shares_url(customer["id"]), json={"user_id": site.users["bert"]})
    download = bert.get(f"/api/v1/files/{file_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 contract"


def test_share_routes_are_in_the_openapi_document(site) -> None:
    document = site.client().get("/api/v1/openapi.json").get_json()
    validate(document)
    assert set(document["paths"]["/sales/customer/{id}/shares"]) >= {"get", "post"}
    assert "delete" in document["paths"]["/sales/customer/{id}/shares/{user_id}"]
    assert document["components"]["schemas"]["Share"]["properties"]["level"]["enum"] == ["read", "write"]
