"""Entity views through HTTP: list, create, edit and delete an OA and a CRM record.

The OA and CRM packages grow while these tests stand, so each test picks its entity
from the Catalog: the first one of the app whose required fields a plain value fills.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy import select

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform.records.errors import FieldError

SCRIPT = "<script>alert('x')</script>"
FILLED = {
    "string": lambda f: f"{SCRIPT}{uuid.uuid4().hex[:8]}",
    "text": lambda f: SCRIPT,
    "rich_text": lambda f: SCRIPT,
    "select": lambda f: f.options[0].key,
    "integer": lambda f: "1",
    "decimal": lambda f: "1",
    "money": lambda f: "1",
    "date": lambda f: "2026-06-15",  # a fixed day: the machine's calendar is not the site's
}


def fillable(field: Field) -> bool:
    return field.type in FILLED or (field.default is not None and field.type != "link")


def pick(console, app: str) -> Entity:
    """The first entity of ``app`` the console can create from plain values."""
    for entity in sorted(console.services.runtime.catalog.entities.values(), key=lambda e: e.name):
        title = entity.field(entity.title_field) if entity.title_field else None
        required = [f for f in entity.fields if f.required]
        if (
            entity.app == app
            and not entity.child
            and title is not None
            and title.type == "string"
            and all(fillable(f) for f in required)
        ):
            return entity
    pytest.fail(f"no entity of {app} can be created from plain values")


def sample(entity: Entity) -> dict[str, str]:
    return {f.name: FILLED[f.type](f) for f in entity.fields if f.required and f.type in FILLED}


def url(entity: Entity, action: str = "") -> str:
    return f"/admin/{entity.app}/{entity.name}/{action}"


def stored(console, entity: Entity) -> list[dict[str, Any]]:
    table = console.services.runtime.schema.of(entity.qualified_name).table
    with console.services.runtime.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table)).mappings()]


def audit(console, entity: Entity) -> list[tuple[str, int]]:
    table = console.services.runtime.schema.metadata.tables["loom_audit"]
    query = select(table.c.action, table.c.user_id).where(table.c.entity == entity.qualified_name)
    with console.services.runtime.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(query.order_by(table.c.id))]


@pytest.mark.parametrize("app", ["oa", "crm"])
def test_list_create_edit_delete(console, app: str) -> None:
    entity = pick(console, app)
    client = console.client("root")
    root = console.users["root"]
    title = entity.title_field or ""

    values = sample(entity)
    page = client.get(url(entity, "new/"))
    assert page.status_code == 200
    created = client.post(url(entity, "new/"), data={**values, "csrf_token": console.csrf(page.text)})
    assert created.status_code == 302, created.text
    [row] = stored(console, entity)
    assert row[title] == values[title]
    assert row["created_by"] == root
    assert audit(console, entity) == [("create", root)]

    listed = client.get(url(entity))
    assert listed.status_code == 200
    assert escape(values[title]) in listed.text
    assert SCRIPT not in listed.text

    details = client.get(url(entity, f"details/?id={row['id']}"))
    assert details.status_code == 200 and SCRIPT not in details.text
    assert escape(values[title]) in details.text
    shown = re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", details.text, re.S)
    assert shown.count("Root") >= 3  # created_by, updated_by and owner by name, not id

    edit_url = url(entity, f"edit/?id={row['id']}")
    page = client.get(edit_url)
    assert page.status_code == 200 and SCRIPT not in page.text
    assert escape(values[title]) in page.text
    renamed = f"renamed {uuid.uuid4().hex[:8]}"
    edited = client.post(edit_url, data={**values, title: renamed, "csrf_token": console.csrf(page.text)})
    assert edited.status_code == 302, edited.text
    [row] = stored(console, entity)
    assert row[title] == renamed and row["version"] == 2
    assert audit(console, entity)[-1] == ("update", root)

    listed = client.get(url(entity))
    deleted = client.post(
        url(entity, "delete/"), data={"id": row["id"], "csrf_token": console.csrf(listed.text)}
    )
    assert deleted.status_code == 302
    assert stored(console, entity) == []
    assert audit(console, entity)[-1] == ("delete", root)


def test_service_errors_show_at_their_field(console) -> None:
    entity = pick(console, "oa")
    client = console.client("root")
    title = entity.field(entity.title_field or "")
    values = sample(entity)
    page = client.get(url(entity, "new/"))
    refused = client.post(
        url(entity, "new/"), data={**values, title.name: "", "csrf_token": console.csrf(page.text)}
    )
    assert refused.status_code == 200
    expected = escape(FieldError(title.name, "required").message("en"))
    assert f'id="{title.name}"' in refused.text and "is-invalid" in refused.text
    assert expected in refused.text
    assert stored(console, entity) == []


def test_stale_edit_is_refused(console) -> None:
    entity = pick(console, "crm")
    client = console.client("root")
    page = client.get(url(entity, "new/"))
    values = sample(entity)
    client.post(url(entity, "new/"), data={**values, "csrf_token": console.csrf(page.text)})
    [row] = stored(console, entity)
    edit_url = url(entity, f"edit/?id={row['id']}")
    token = console.csrf(client.get(edit_url).text)
    first = client.post(edit_url, data={**values, "version": "1", "csrf_token": token})
    assert first.status_code == 302
    stale = client.post(edit_url, data={**values, "version": "1", "csrf_token": token})
    assert stale.status_code == 200
    assert "Root changed this record at " in stale.text and "reload it to see their changes" in stale.text
    assert stored(console, entity)[0]["version"] == 2


def test_a_stale_delete_is_refused_with_who_changed_it(console) -> None:
    """The list's delete button sends the version it showed; a record changed since is kept."""
    entity = pick(console, "crm")
    client = console.client("root")
    page = client.get(url(entity, "new/"))
    values = sample(entity)
    client.post(url(entity, "new/"), data={**values, "csrf_token": console.csrf(page.text)})
    [row] = stored(console, entity)
    listed = client.get(url(entity)).text
    assert re.search(r'<input[^>]*id="version"[^>]*name="version"[^>]*value="1"', listed), listed
    token = console.csrf(listed)
    edit_url = url(entity, f"edit/?id={row['id']}")
    edited = client.post(edit_url, data={**values, "version": "1", "csrf_token": token})
    assert edited.status_code == 302
    stale = client.post(
        url(entity, "delete/"),
        data={"id": row["id"], "version": "1", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Root changed this record at " in stale.text and "reload it to see their changes" in stale.text
    assert [r["version"] for r in stored(console, entity)] == [2]  # kept
    current = client.post(url(entity, "delete/"), data={"id": row["id"], "version": "2", "csrf_token": token})
    assert current.status_code == 302 and stored(console, entity) == []


def test_an_approved_record_is_refused_with_a_message(console) -> None:
    services = console.services
    with services.runtime.engine.connect() as conn:
        emma, root = (services.identity.actor(conn, console.users[u]) for u in ("emma", "root"))
    memo = services.records.create("memo.memo", {"title": "定稿"}, emma)
    services.flows.submit("memo.memo", memo["id"], emma)
    services.flows.act("memo.memo", memo["id"], root, "approve")
    client = console.client("root", lang="zh")
    edit_url = f"/admin/memo/memo/edit/?id={memo['id']}"
    page = client.get(edit_url)
    data = {"title": "改稿", "version": "3", "csrf_token": console.csrf(page.text)}
    refused = client.post(edit_url, data=data, follow_redirects=True)
    assert refused.status_code == 200 and "记录已通过，不能再修改。" in refused.text
    assert services.records.get("memo.memo", memo["id"], root)["title"] == "定稿"
