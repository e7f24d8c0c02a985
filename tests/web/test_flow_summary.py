"""A flow's own one-line summary (``summary`` on the flow) replaces the entity's wherever an
approval is read: inbox cards, notifications, the API's items and the record page's header."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from loom.metadata.catalog import Catalog

from . import conftest
from .test_pages import sign_in
from .test_task_page import submitted

FLOW = ("flow", "webtest.expense_approval")
OWN = {"zh": "{{ title }} · 报销 {{ total }}", "en": "{{ title }} · claims {{ total }}"}


@pytest.fixture
def app(tmp_path, database_url, monkeypatch):
    """The portal of ``conftest.app`` with the claim's flow declaring its own summary."""
    plain = conftest.catalog()
    flow = plain.definitions[FLOW]
    definitions = {
        **plain.definitions,
        FLOW: replace(flow, spec=MappingProxyType({**flow.spec, "summary": OWN})),
    }
    own: Catalog = replace(plain, definitions=MappingProxyType(definitions))
    monkeypatch.setattr(conftest, "catalog", lambda: own)
    app, users = conftest.build_app(tmp_path, database_url)
    app.config["TESTING"] = True
    app.users = users  # type: ignore[attr-defined]
    return app


def test_the_flow_summary_is_used_by_inbox_notifications_api_and_header(app) -> None:
    (claim,) = submitted(app, 1)
    mona = sign_in(app, "mona", "zh")
    line = "claim 00 · 报销 ¥100.00"
    assert line in mona.get("/inbox").text
    assert line in mona.get("/notifications").text
    assert line in mona.get(f"/webtest/expense/{claim}").text
    assert "收款人" not in mona.get("/inbox").text  # not the entity's summary
    [item] = mona.get("/api/v1/tasks", headers={"Accept-Language": "zh"}).get_json()["items"]
    assert item["summary"] == line
    [note] = mona.get("/api/v1/notifications", headers={"Accept-Language": "zh"}).get_json()["items"]
    assert note["summary"] == line and note["flow"] == "webtest.expense_approval"


def test_without_a_flow_summary_the_entity_s_is_used(app) -> None:
    catalog = app.extensions["loom"].runtime.catalog
    entity = catalog.entity("webtest.expense")
    assert catalog.summary_of(entity, "webtest.expense_approval").get("zh") == OWN["zh"]
    assert catalog.summary_of(entity, None) is entity.summary
    assert catalog.summary_of(entity, "oa.leave_approval") is entity.summary  # another entity's flow
    leave = catalog.entity("oa.leave_request")
    assert catalog.summary_of(leave, "oa.leave_approval") is leave.summary  # declares none
