"""A site with the builtin OA and CRM apps on each test database, and console clients."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime
from loom.platform.services import Services

# A small package of our own beside OA and CRM, which keep changing: an entity with an approval
# flow, and one with a field of every type the console edits.
MEMO = {
    "entities/memo.yaml": """\
        kind: entity
        name: memo
        label: {zh: 备忘, en: Memo}
        title_field: title
        fields:
          - {name: title, type: string, required: true, max_length: 40}
        list: {columns: [title, flow_status, created_by], filters: [flow_status]}
        permissions:
          - {role: employee, create: true, read: own, write: own, submit: own}
        """,
    "entities/sample.yaml": """\
        kind: entity
        name: sample
        label: {zh: 样例, en: Sample}
        title_field: s
        fields:
          - {name: s, type: string, max_length: 40}
          - {name: t, type: text}
          - {name: rt, type: rich_text}
          - {name: em, type: email}
          - {name: u, type: url}
          - {name: ph, type: phone}
          - {name: i, type: integer}
          - {name: d, type: decimal, scale: 2}
          - {name: m, type: money, currency: CNY}
          - {name: p, type: percent}
          - {name: b, type: boolean}
          - {name: da, type: date}
          - {name: dtm, type: datetime}
          - {name: tm, type: time}
          - {name: sel, type: select, options: [a, b]}
          - {name: ms, type: multiselect, options: [x, y, z]}
          - {name: usr, type: user}
          - {name: dep, type: department}
          - {name: usrs, type: user, multiple: true}
          - {name: other, type: link, entity: sample}
          - {name: others, type: many, entity: sample}
          - {name: js, type: json}
          - {name: rg, type: region}
          - {name: geo, type: geo}
          - {name: lines, type: table, entity: sample_line}
        list: {filters: [sel, b, i]}
        permissions:
          - {role: employee, read: all}
        """,
    "entities/sample_line.yaml": """\
        kind: entity
        name: sample_line
        label: {zh: 样例明细, en: Sample line}
        child: true
        fields:
          - {name: item, type: string}
          - {name: kind, type: select, options: [{key: big, label: {zh: 大, en: Big}}, small]}
          - {name: ref, type: link, entity: sample}
        """,
    "flows/memo_review.yaml": """\
        kind: flow
        name: memo_review
        label: {zh: 备忘审批, en: Memo review}
        entity: memo
        nodes:
          - {name: review, approve: {role: admin}}
        """,
}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Console:
    app: Flask
    users: dict[str, int]

    @property
    def services(self) -> Services:
        return self.app.extensions["loom"]

    def client(self, login: str | None = None, lang: str = "en") -> FlaskClient:
        """A client signed in through the console's sign-in page."""
        client = self.app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        if login is not None:
            page = client.get("/admin/login/")
            response = client.post(
                "/admin/login/",
                data={"login": login, "password": f"{login}-pw", "csrf_token": self.csrf(page.text)},
            )
            assert response.status_code == 302, response.text
        return client

    @staticmethod
    def csrf(html: str) -> str:
        """The CSRF token of the first form on a page."""
        found = CSRF.search(html)
        assert found, "the page has no CSRF token"
        return found.group(1)


@pytest.fixture
def console(database_url: str, write_package) -> Console:
    result = validate_paths([BUILTIN_APPS, write_package(MEMO, name="memo")])
    assert result.catalog is not None, [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"})
    identity = app.extensions["loom"].identity
    with runtime.engine.begin() as conn:
        users = {
            "root": identity.create_user(conn, "root", "Root", password="root-pw", roles=["admin"]),
            "emma": identity.create_user(conn, "emma", "Emma", password="emma-pw"),
        }
    return Console(app, users)
