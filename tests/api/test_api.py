"""The REST API through HTTP: auth, CSRF, CRUD, ETags, errors as problem+json, scopes."""

from __future__ import annotations

import datetime as dt
import io

from openapi_spec_validator import validate
from sqlalchemy import event
from sqlalchemy import update

from loom.platform.api import throttle


def test_login_then_write_needs_the_csrf_token(site) -> None:
    client = site.client("anna")
    token = client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    refused = client.post("/api/v1/sales/customer", json={"title": "华为"})
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("/csrf")
    created = client.post("/api/v1/sales/customer", json={"title": "华为"}, headers={"X-CSRF-Token": token})
    assert created.status_code == 201


def test_wrong_password_and_rate_limit(site, monkeypatch) -> None:
    monkeypatch.setattr(throttle, "MAX_FAILURES", 3)
    client = site.client()
    for _ in range(3):
        response = client.post("/api/v1/auth/login", json={"login": "anna", "password": "nope"})
        assert response.status_code == 401
    limited = client.post("/api/v1/auth/login", json={"login": "anna", "password": "anna-pw"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0


def test_anonymous_and_bearer_tokens(site) -> None:
    anonymous = site.client()
    assert anonymous.get("/api/v1/sales/customer").status_code == 401
    services = site.app.extensions["loom"]
    with services.runtime.engine.begin() as conn:
        created = services.identity.create_token(conn, site.users["anna"], "test", 1)
    bearer = {"Authorization": f"Bearer {created.token}"}
    response = anonymous.post("/api/v1/sales/customer", json={"title": "中兴"}, headers=bearer)
    assert response.status_code == 201  # no CSRF needed: nothing ambient to abuse
    assert anonymous.get("/api/v1/me", headers=bearer).get_json()["login"] == "anna"
    with services.runtime.engine.begin() as conn:
        services.identity.revoke_token(conn, created.id)
    assert anonymous.get("/api/v1/me", headers=bearer).status_code == 401
    assert anonymous.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_a_token_is_checked_with_its_user_and_roles_in_one_statement(site) -> None:
    services = site.app.extensions["loom"]
    identity, engine = services.identity, services.runtime.engine
    users = services.runtime.schema.metadata.tables["loom_users"]
    with engine.begin() as conn:
        created = identity.create_token(conn, site.users["lead"], "test", 1)
        expected = identity.actor(conn, site.users["lead"])
    assert identity.actor_for_token(created.token) == expected  # and last_used_at is written now
    statements: list[str] = []

    def keep(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert identity.actor_for_token(created.token) == expected
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert [s for s in statements if s.startswith("SELECT")] == statements[-1:]  # SQLite's BEGIN aside
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == site.users["lead"]).values(active=False))
    assert identity.actor_for_token(created.token) is None
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == site.users["lead"]).values(active=True))
        tokens = services.runtime.schema.metadata.tables["loom_tokens"]
        past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        conn.execute(update(tokens).where(tokens.c.id == created.id).values(expires_at=past))
    assert identity.actor_for_token(created.token) is None


def test_crud_with_etags(site) -> None:
    client = site.client("anna")
    created = client.post("/api/v1/sales/customer", json={"title": "华为", "industry": "it"})
    assert created.status_code == 201
    body = created.get_json()
    assert created.headers["Location"].endswith(f"/sales/customer/{body['id']}")
    url = f"/api/v1/sales/customer/{body['id']}"
    fetched = client.get(url)
    assert fetched.headers["ETag"] == '"1"'
    assert client.get(url, headers={"If-None-Match": '"1"'}).status_code == 304
    changed = client.patch(url, json={"industry": "it"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    stale = client.patch(url, json={"industry": "finance"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.get_json()["detail"].startswith("anna changed this record at ")  # who, and when
    assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 403  # sellers may not delete
    lead = site.client("lead")
    assert lead.delete(url, headers={"If-Match": '"1"'}).status_code == 409
    assert lead.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert client.get(url).status_code == 404


def test_validation_errors_in_the_callers_language(site) -> None:
    for lang, expected in (("en", "At most 60 characters."), ("zh", "最多 60 个字符。")):
        client = site.client("anna", lang=lang)
        response = client.post("/api/v1/sales/customer", json={"title": "x" * 61, "industry": "retail"})
        assert response.status_code == 422
        problem = response.get_json()
        assert problem["status"] == 422 and problem["request_id"] == response.headers["X-Request-Id"]
        errors = {e["field"]: e for e in problem["errors"]}
        assert errors["title"]["message"] == expected
        assert errors["industry"]["code"] == "not_option"


def test_bad_requests_and_preconditions_are_explained_in_the_callers_language(site) -> None:
    for lang, body, etag in (
        ("zh", "请求体须为 JSON 对象。", "ETag"),
        ("en", "The body must be a JSON object.", "ETag"),
    ):
        client = site.client("anna", lang=lang)
        refused = client.post("/api/v1/sales/customer", json=[1, 2])
        assert refused.status_code == 400 and refused.get_json()["detail"] == body
        created = client.post("/api/v1/sales/customer", json={"title": "Acme", "industry": "it"}).get_json()
        url = f"/api/v1/sales/customer/{created['id']}"
        precondition = client.patch(url, json={"industry": "it"}, headers={"If-Match": '"1", "2"'})
        assert precondition.status_code == 412 and etag in precondition.get_json()["detail"]
        assert precondition.headers["Content-Language"] == ("zh-CN" if lang == "zh" else "en")
        assert ("只能" in precondition.get_json()["detail"]) == (lang == "zh")


def test_the_api_speaks_the_language_the_user_picked_in_the_portal(site) -> None:
    client = site.client("anna", lang="en")  # the browser asks for English…
    with client.session_transaction() as session:
        session["lang"] = "zh"  # …but the person chose Chinese with the portal's switch
    refused = client.post("/api/v1/sales/customer", json=[1, 2])
    assert refused.get_json()["detail"] == "请求体须为 JSON 对象。"
    assert (
        client.post("/api/v1/sales/customer?lang=en", json=[1, 2]).get_json()["detail"].startswith("The body")
    )


def test_malformed_requests_are_problems_not_crashes(site) -> None:
    client = site.client("anna")
    cases = [
        client.post("/api/v1/sales/customer", data="{not json", content_type="application/json"),
        client.post("/api/v1/sales/customer", json=[1, 2]),
        client.get("/api/v1/sales/customer?page=abc"),
        client.get("/api/v1/sales/customer?amount__gt=5"),
        client.get("/api/v1/sales/nothing"),
        client.put("/api/v1/sales/customer/1", json={}),
        client.patch("/api/v1/sales/customer/1", json={}, headers={"If-Match": '"x", "y"'}),
    ]
    assert [r.status_code for r in cases] == [400, 400, 400, 422, 404, 405, 412]
    assert all(r.mimetype == "application/problem+json" for r in cases)


def test_department_scope_through_every_path(site) -> None:
    anna, bert, lead = site.client("anna"), site.client("bert"), site.client("lead")
    mine = anna.post("/api/v1/sales/customer", json={"title": "一组客户", "industry": "it"}).get_json()
    theirs = bert.post("/api/v1/sales/customer", json={"title": "二组客户", "industry": "it"}).get_json()
    listed = anna.get("/api/v1/sales/customer?count=exact").get_json()
    assert [c["title"] for c in listed["items"]] == ["一组客户"] and listed["total"] == 1
    assert anna.get("/api/v1/sales/customer?q=二组").get_json()["items"] == []
    assert anna.get("/api/v1/sales/customer?industry=it").get_json()["total"] == 1
    assert anna.get(f"/api/v1/sales/customer/{theirs['id']}").status_code == 404
    link = anna.post("/api/v1/sales/visit", json={"customer": theirs["id"]})
    assert link.status_code == 422 and link.get_json()["errors"][0]["code"] == "link_not_found"
    assert anna.post("/api/v1/sales/visit", json={"customer": mine["id"]}).status_code == 201
    assert lead.get("/api/v1/sales/customer?count=exact").get_json()["total"] == 2
    # A link filter takes the id as query strings carry it, as text.
    visits = anna.get(f"/api/v1/sales/visit?customer={mine['id']}&count=exact").get_json()
    assert visits["total"] == 1 and visits["items"][0]["customer"] == mine["id"]
    assert anna.get("/api/v1/sales/visit?customer=abc").status_code == 422


def test_hidden_field_never_appears(site) -> None:
    site.client("lead").post("/api/v1/sales/customer", json={"title": "A", "credit": "5"})
    fina = site.client("fina")
    item = fina.get("/api/v1/sales/customer").get_json()["items"][0]
    assert "credit" not in item
    assert "credit" not in fina.get(f"/api/v1/sales/customer/{item['id']}").get_json()
    assert fina.get("/api/v1/sales/customer?credit__gt=1").status_code == 422
    meta = fina.get("/api/v1/meta").get_json()
    customer = next(e for e in meta["entities"] if e["name"] == "sales.customer")
    assert "credit" not in [f["name"] for f in customer["fields"]]
    assert customer["can"]["create"] == "none" and customer["can"]["read"] == "all"


def test_files_upload_download_and_limits(site) -> None:
    anna, bert = site.client("anna"), site.client("bert")
    uploaded = anna.post("/api/v1/files", data={"file": (io.BytesIO(b"%PDF-1.4 contract"), "合同.pdf")})
    assert uploaded.status_code == 201
    file_id = uploaded.get_json()["id"]
    anna.post("/api/v1/sales/customer", json={"title": "A", "contract": file_id})
    download = anna.get(f"/api/v1/files/{file_id}")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 contract"
    assert "attachment" in download.headers["Content-Disposition"]
    assert bert.get(f"/api/v1/files/{file_id}").status_code == 404
    assert site.client("lead").get(f"/api/v1/files/{file_id}").status_code == 200
    site.app.config["MAX_CONTENT_LENGTH"] = 1000
    too_big = anna.post("/api/v1/files", data={"file": (io.BytesIO(b"x" * 5000), "big.bin")})
    assert too_big.status_code == 413 and too_big.mimetype == "application/problem+json"


def test_openapi_document_is_valid(site) -> None:
    document = site.client().get("/api/v1/openapi.json").get_json()
    validate(document)
    customer = document["components"]["schemas"]["sales.customer"]["properties"]
    assert customer["industry"]["enum"] == ["it", "finance", None] or "it" in customer["industry"]["enum"]
    assert customer["credit"]["format"] == "decimal" and customer["id"]["readOnly"] is True
    assert "/sales/customer/{id}" in document["paths"]


def test_readonly_field_in_a_patch_is_refused_and_never_written(site) -> None:
    lead, anna = site.client("lead"), site.client("anna")
    created = anna.post("/api/v1/sales/customer", json={"title": "A"}).get_json()
    assert anna.post("/api/v1/sales/customer", json={"title": "B", "credit": "9"}).status_code == 422
    url = f"/api/v1/sales/customer/{created['id']}"
    refused = anna.patch(url, json={"credit": "9999"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [
        {"field": "credit", "code": "readonly", "message": "This field cannot be changed."}
    ]
    assert lead.get(url).get_json()["credit"] is None
    assert lead.patch(url, json={"credit": "50"}).get_json()["credit"] == "50.00"
