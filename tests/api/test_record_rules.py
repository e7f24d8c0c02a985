"""Rules of the records service that hold on every path, through the HTTP API: a form's
conditions, optimistic locking with who-changed-what, If-Match required by the site, and a
unique value refused without telling anything of the record that holds it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loom.metadata import validate_paths
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime
from loom.platform.site import Settings
from loom.platform.site import Site

PACKAGE = {
    "entities/claim.yaml": """\
        kind: entity
        name: claim
        label: {zh: 报销, en: Claim}
        title_field: title
        fields:
          - {name: title, label: {zh: 事由, en: Title}, type: string, required: true}
          - name: category
            label: {zh: 类别, en: Category}
            type: select
            default: travel
            options: [travel, entertainment]
          - {name: guest_company, label: {zh: 接待单位, en: Guest company}, type: string}
          - {name: total, label: {zh: 金额, en: Total}, type: money}
          - {name: attachments, label: {zh: 附件, en: Attachments}, type: file, multiple: true}
          - {name: payee, label: {zh: 收款人, en: Payee}, type: string}
          - {name: counter, label: {zh: 计数, en: Counter}, type: integer, default: 0}
          - {name: code, label: {zh: 编码, en: Code}, type: string, unique: true}
        permissions:
          - {role: employee, create: true, read: own, write: own, delete: own}
        """,
    "forms/a_quick.yaml": """\
        kind: form
        name: a_quick
        entity: claim
        sections:
          - {name: main, fields: [title, total]}
        """,
    "forms/claim.yaml": """\
        kind: form
        name: claim
        entity: claim
        default: true
        sections:
          - name: main
            fields:
              - title
              - category
              - field: guest_company
                visible_when: 'category == "entertainment"'
                required_when: 'category == "entertainment"'
              - total
              - {field: attachments, required_when: "total > 1000.0"}
              - {field: payee, readonly_when: 'category == "entertainment"'}
              - counter
              - code
        """,
    "entities/purchase.yaml": """\
        kind: entity
        name: purchase
        label: {zh: 采购, en: Purchase}
        fields:
          - {name: quantity, label: {zh: 数量, en: Quantity}, type: decimal, precision: 10, scale: 2}
          - {name: price, label: {zh: 单价, en: Price}, type: money, precision: 14, scale: 2}
          - name: amount
            label: {zh: 金额, en: Amount}
            type: money
            precision: 14
            scale: 2
            compute: "quantity * price"
        permissions:
          - {role: employee, create: true, read: own, write: own, delete: own}
        """,
}
BASE = "/api/v1/rules/claim"


def build(write_package, database_url: str, tmp_path: Path, **settings) -> Flask:
    catalog = validate_paths([write_package(PACKAGE, name="rules")]).catalog
    site = Site(
        tmp_path, Settings(database_url, ("rules",), "zh_CN", "Asia/Shanghai", "test", 1 << 20, **settings)
    )
    runtime = Runtime.for_catalog(catalog, make_engine(database_url), site)
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"})
    services = app.extensions["loom"]
    services.files.folder = tmp_path / "uploads"
    with runtime.engine.begin() as conn:
        for login, name in (("ann", "安娜"), ("ben", "本"), ("root", "管理员")):
            roles = ["admin"] if login == "root" else []
            services.identity.create_user(conn, login, name, password=f"{login}-pw", roles=roles)
    return app


def client(app: Flask, login: str, lang: str = "en") -> FlaskClient:
    c = app.test_client()
    c.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    token = c.post("/api/v1/auth/login", json={"login": login, "password": f"{login}-pw"}).get_json()
    c.environ_base["HTTP_X_CSRF_TOKEN"] = token["csrf_token"]
    return c


@pytest.fixture
def app(write_package, database_url, tmp_path) -> Flask:
    return build(write_package, database_url, tmp_path)


def fields_of(response) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in response.get_json()["errors"]]


# -- computed values fit their column ----------------------------------------------------------


def test_a_computed_value_too_large_for_its_column_is_a_422_naming_the_field(app) -> None:
    """Each value entered fits; their product does not fit amount's 12 digits before the point.
    SQLite would store it and PostgreSQL fail the statement (a 500): both answer 422."""
    url = "/api/v1/rules/purchase"
    overflow = {"quantity": "10000000", "price": "1000000000"}
    for lang, words in (("en", "The computed value 10000000000000000.00 is too large"), ("zh", "计算结果")):
        refused = client(app, "ann", lang).post(url, json=overflow)
        assert refused.status_code == 422
        assert refused.headers["Content-Type"] == "application/problem+json"
        [error] = refused.get_json()["errors"]
        assert (error["field"], error["code"]) == ("amount", "computed_digits")
        assert error["message"].startswith(words) and "12" in error["message"]
    ann = client(app, "ann")
    assert ann.get(url).get_json()["items"] == []  # nothing was stored
    fits = ann.post(url, json={"quantity": "999", "price": "1000000000"})
    assert fits.status_code == 201 and fits.get_json()["amount"] == "999000000000.00"
    raised = ann.patch(f"{url}/{fits.get_json()['id']}", json={"quantity": "1000.01"})
    assert raised.status_code == 422 and fields_of(raised) == [("amount", "computed_digits")]


# -- form conditions (the main form's, on every path) ----------------------------------------


def test_required_when_of_the_main_form_holds_for_the_api(app) -> None:
    ann = client(app, "ann")
    big = ann.post(BASE, json={"title": "大额", "total": "2000"})
    assert big.status_code == 422 and fields_of(big) == [("attachments", "required")]
    guest = ann.post(BASE, json={"title": "招待", "category": "entertainment", "total": "10"})
    assert guest.status_code == 422 and fields_of(guest) == [("guest_company", "required")]
    assert ann.post(BASE, json={"title": "差旅", "total": "10"}).status_code == 201  # hidden: not required
    small = ann.post(BASE, json={"title": "小额", "total": "10"}).get_json()
    raised = ann.patch(f"{BASE}/{small['id']}", json={"total": "5000"})
    assert raised.status_code == 422 and fields_of(raised) == [("attachments", "required")]
    file_id = ann.post(
        "/api/v1/files", data={"file": (__import__("io").BytesIO(b"%PDF"), "a.pdf")}
    ).get_json()["id"]
    assert (
        ann.patch(f"{BASE}/{small['id']}", json={"total": "5000", "attachments": [file_id]}).status_code
        == 200
    )


def test_readonly_when_refuses_a_change_field_by_field(app) -> None:
    ann = client(app, "ann")
    claim = ann.post(BASE, json={"title": "差旅", "payee": "甲", "total": "10"}).get_json()
    url = f"{BASE}/{claim['id']}"
    both = ann.patch(url, json={"category": "entertainment", "guest_company": "乙公司", "payee": "乙"})
    assert both.status_code == 422 and fields_of(both) == [("payee", "readonly")]
    assert ann.patch(url, json={"category": "entertainment", "guest_company": "乙公司"}).status_code == 200
    assert ann.patch(url, json={"payee": "丙"}).status_code == 422
    assert ann.patch(url, json={"payee": "甲", "title": "招待"}).status_code == 200  # unchanged is fine
    created = ann.post(
        BASE, json={"title": "招待", "category": "entertainment", "guest_company": "丁", "payee": "x"}
    )
    assert created.status_code == 422 and fields_of(created) == [("payee", "readonly")]


# -- lost updates ------------------------------------------------------------------------------


def test_a_stale_write_says_who_changed_what_and_when(app) -> None:
    root, other = client(app, "root", lang="zh"), client(app, "root")
    claim = root.post(BASE, json={"title": "差旅", "total": "10"}).get_json()
    url = f"{BASE}/{claim['id']}"
    assert (
        other.patch(url, json={"total": "20", "payee": "甲"}, headers={"If-Match": '"1"'}).status_code == 200
    )
    stale = root.patch(url, json={"title": "改"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    body = stale.get_json()
    assert body["type"].endswith("/stale") and body["changed"]["by_name"] == "管理员"
    assert body["changed"]["fields"] == ["total", "payee"] and body["changed"]["version"] == 2
    assert "管理员于 " in body["detail"] and "（金额、收款人）" in body["detail"]
    assert root.get(url).get_json()["title"] == "差旅"
    assert root.delete(url, headers={"If-Match": '"1"'}).status_code == 409


def test_concurrent_writers_sending_if_match_lose_no_update(app) -> None:
    claim = client(app, "ann").post(BASE, json={"title": "计数", "total": "1"}).get_json()
    url = f"{BASE}/{claim['id']}"
    writers, increments, conflicts = 4, 5, []

    def work() -> None:
        ann = client(app, "ann")
        done = 0
        while done < increments:
            current = ann.get(url)
            value = current.get_json()["counter"]
            sent = ann.patch(url, json={"counter": value + 1}, headers={"If-Match": current.headers["ETag"]})
            if sent.status_code == 409:
                conflicts.append(sent.get_json()["changed"]["by_name"])
                continue
            assert sent.status_code == 200, sent.get_json()
            done += 1

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client(app, "ann").get(url).get_json()["counter"] == writers * increments
    assert set(conflicts) <= {"安娜"}


def test_a_site_can_require_if_match(write_package, database_url, tmp_path) -> None:
    app = build(write_package, database_url, tmp_path, require_if_match=True)
    ann = client(app, "ann")
    claim = ann.post(BASE, json={"title": "差旅", "total": "10"}).get_json()
    url = f"{BASE}/{claim['id']}"
    for blind in ({}, {"If-Match": "*"}):
        refused = ann.patch(url, json={"title": "改"}, headers=blind)
        assert refused.status_code == 428 and "If-Match" in refused.get_json()["detail"]
        assert ann.delete(url, headers=blind).status_code == 428
    assert ann.patch(url, json={"title": "改"}, headers={"If-Match": '"1"'}).status_code == 200
    assert ann.delete(url, headers={"If-Match": '"2"'}).status_code == 204


# -- uniqueness ------------------------------------------------------------------------------


def test_a_taken_unique_value_reveals_nothing_of_the_record_holding_it(app) -> None:
    ann, ben = client(app, "ann"), client(app, "ben")
    held = ann.post(BASE, json={"title": "安娜的秘密报销", "total": "10", "code": "K-1"}).get_json()
    refused = ben.post(BASE, json={"title": "我的", "total": "10", "code": "K-1"})
    assert refused.status_code == 422 and fields_of(refused) == [("code", "unique")]
    body = refused.get_json()
    assert set(body) == {"type", "title", "status", "detail", "request_id", "errors"}
    assert body["errors"] == [
        {"field": "code", "code": "unique", "message": "'K-1' is already used by another record."}
    ]  # no id, title or owner of Ann's record: only that the value is taken
    assert "安娜" not in refused.get_data(as_text=True)
    assert ben.get(f"{BASE}/{held['id']}").status_code == 404
