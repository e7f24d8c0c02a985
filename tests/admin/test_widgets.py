"""Every field type's widget: a value typed in the console reaches the database as that value,
shows again in the edit form, and survives saving the form unchanged."""

from __future__ import annotations

import datetime as dt
import decimal
import re

from markupsafe import escape

from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery

NEW = "/admin/memo/sample/new/"


def admin(console):
    with console.services.runtime.engine.connect() as conn:
        return console.services.identity.actor(conn, console.users["root"])


def typed(console, other: int, department: int) -> dict:
    root, emma = console.users["root"], console.users["emma"]
    return {
        "s": "<b>bold</b>", "t": "two\nlines", "rt": "<p onclick='x()'>rich</p>", "em": "li@example.cn",
        "u": "https://loom.dev/a?b=1", "ph": "+86 10 1234 5678", "i": "42", "d": "3.14", "m": "1234.50",
        "p": "12.5", "b": "y", "da": "2026-03-01", "dtm": "2026-03-01T09:30", "tm": "08:15", "sel": "b",
        "ms": ["x", "z"], "usr": str(root), "dep": str(department), "usrs": f"{root},{emma}",
        "other": str(other), "others": str(other), "js": '{"k": [1, 2], "名": "值"}',
        "rg": '{"province": "浙江", "city": "杭州"}', "geo": '{"lng": 120.1, "lat": 30.2, "address": "西湖"}',
    }  # fmt: skip


def expected(console, other: int, department: int) -> dict:
    root, emma = console.users["root"], console.users["emma"]
    return {
        "s": "<b>bold</b>", "t": "two\nlines", "rt": "<p onclick='x()'>rich</p>", "em": "li@example.cn",
        "u": "https://loom.dev/a?b=1", "ph": "+86 10 1234 5678", "i": 42, "d": decimal.Decimal("3.14"),
        "m": decimal.Decimal("1234.5"), "p": decimal.Decimal("12.5"), "b": True, "da": dt.date(2026, 3, 1),
        "dtm": dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC),  # 09:30 in Asia/Shanghai
        "tm": dt.time(8, 15), "sel": "b", "ms": ["x", "z"], "usr": root, "dep": department,
        "usrs": [root, emma], "other": other, "others": [other], "js": {"k": [1, 2], "名": "值"},
        "rg": {"province": "浙江", "city": "杭州"}, "geo": {"lng": 120.1, "lat": 30.2, "address": "西湖"},
    }  # fmt: skip


def test_each_widget_round_trips_its_value(console) -> None:
    services = console.services
    other = services.records.create("memo.sample", {"s": "other"}, admin(console))["id"]
    with services.runtime.engine.begin() as conn:
        department = services.identity.create_department(conn, "研发部")
    client = console.client("root")
    page = client.get(NEW)
    created = client.post(
        NEW, data={**typed(console, other, department), "csrf_token": console.csrf(page.text)}
    )
    assert created.status_code == 302, re.findall(r"invalid-feedback.*?</ul>", created.text, re.S)

    query = ListQuery(filters=(Condition("s", "eq", "<b>bold</b>"),))
    [listed] = services.records.list("memo.sample", query, admin(console)).records
    record = services.records.get("memo.sample", listed["id"], admin(console))
    for name, value in expected(console, other, department).items():
        assert record[name] == value, name

    edit = f"/admin/memo/sample/edit/?id={record['id']}"
    form = client.get(edit).text
    assert 'name="dtm" type="datetime-local" value="2026-03-01 09:30:00"' in form
    picked = ",".join(str(console.users[u]) for u in ("root", "emma"))
    assert '<option selected value="z">' in form and f'name="usrs" type="hidden" value="{picked}"' in form
    assert str(escape("<b>bold</b>")) in form and "<b>bold</b>" not in form
    assert str(escape('"名": "值"')) in form

    saved = client.post(edit, data={**typed(console, other, department), "csrf_token": console.csrf(form)})
    assert saved.status_code == 302
    again = services.records.get("memo.sample", record["id"], admin(console))
    assert {k: v for k, v in again.items() if k not in ("version", "updated_at")} == {
        k: v for k, v in record.items() if k not in ("version", "updated_at")
    }


def test_details_show_child_rows_escaped(console) -> None:
    rows = [{"item": "<i>pen</i>", "kind": "big"}, {"item": "ink", "kind": None}]
    record = console.services.records.create(
        "memo.sample", {"s": "with lines", "lines": rows}, admin(console)
    )
    page = console.client("root").get(f"/admin/memo/sample/details/?id={record['id']}").text
    assert "<td>&lt;i&gt;pen&lt;/i&gt;</td><td>Big</td>" in page and "<i>pen</i>" not in page
    assert "<td>ink</td><td></td>" in page
