"""The console speaks the portal's language: approval statuses in the portal's words, options
by label, references by title and child rows as a table, in Chinese and in English."""

from __future__ import annotations

import re

import pytest

SCRIPT = "<script>alert('x')</script>"
STATUSES = {"zh": ("审批中", "已驳回"), "en": ("In approval", "Rejected")}


def actors(console):
    with console.services.runtime.engine.connect() as conn:
        return [console.services.identity.actor(conn, console.users[u]) for u in ("emma", "root")]


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", html, re.S)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_approval_statuses_read_as_in_the_portal(console, lang: str) -> None:
    services = console.services
    emma, root = actors(console)
    waiting = services.records.create("memo.memo", {"title": "待审"}, emma)
    services.flows.submit("memo.memo", waiting["id"], emma)
    refused = services.records.create("memo.memo", {"title": "退稿"}, emma)
    services.flows.submit("memo.memo", refused["id"], emma)
    services.flows.act("memo.memo", refused["id"], root, "reject", {"comment": "不行"})
    client = console.client("root", lang=lang)
    in_approval, rejected = STATUSES[lang]

    listed = cells(client.get("/admin/memo/memo/").text)
    assert in_approval in listed and rejected in listed and "in_approval" not in listed
    assert "Emma" in listed and str(console.users["emma"]) not in listed  # the creator by name
    details = client.get(f"/admin/memo/memo/details/?id={refused['id']}").text
    assert rejected in cells(details)
    filters = client.get("/admin/memo/memo/").text
    assert f">{in_approval}</option>" in filters or f'"{in_approval}"' in filters


@pytest.mark.parametrize(("lang", "label"), [("zh", "大"), ("en", "Big")])
def test_references_by_title_and_child_rows_as_a_table(console, lang: str, label: str) -> None:
    services = console.services
    _, root = actors(console)
    target = services.records.create("memo.sample", {"s": SCRIPT}, root)
    rows = [{"item": "pen", "kind": "big", "ref": target["id"]}]
    record = services.records.create(
        "memo.sample",
        {"s": "referring", "other": target["id"], "others": [target["id"]], "usr": root.id, "lines": rows},
        root,
    )
    client = console.client("root", lang=lang)
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"

    details = client.get(f"/admin/memo/sample/details/?id={record['id']}").text
    assert SCRIPT not in details
    shown = cells(details)
    assert shown.count(escaped) >= 3  # the link, the many field, the child row's link
    # the cells, not the page: a CSRF token ("…##1e98…") may hold "#1" by chance
    assert "Root" in shown and not any(f"#{target['id']}" in cell for cell in shown)
    assert f"<td>pen</td><td>{label}</td><td>{escaped}</td>" in details
    assert "[]" not in shown and "[{" not in details

    listed = cells(client.get("/admin/memo/sample/").text)
    assert escaped in listed and SCRIPT not in listed


def test_a_link_is_a_searchable_picker_showing_the_title(console) -> None:
    services = console.services
    _, root = actors(console)
    target = services.records.create("memo.sample", {"s": SCRIPT}, root)
    services.records.create("memo.sample", {"s": "unrelated"}, root)
    record = services.records.create("memo.sample", {"s": "referring", "other": target["id"]}, root)
    client = console.client("root", lang="zh")

    form = client.get(f"/admin/memo/sample/edit/?id={record['id']}").text
    picker = re.search(r'<input[^>]*name="other"[^>]*>', form).group(0)
    assert 'data-role="select2-ajax"' in picker and f'value="{target["id"]}"' in picker
    assert "&lt;script&gt;" in picker and SCRIPT not in form  # the title, escaped
    assert 'data-placeholder="输入以搜索"' in picker

    found = client.get("/admin/memo/sample/ajax/lookup/?name=other&query=script").json
    assert found == [[target["id"], SCRIPT]]
    assert console.client("emma").get("/admin/memo/sample/ajax/lookup/?name=other&query=").status_code == 403


def test_several_links_people_and_departments_are_pickers_too(console) -> None:
    services = console.services
    emma, root = actors(console)
    with services.runtime.engine.begin() as conn:
        department = services.identity.create_department(conn, "研发部")
    first = services.records.create("memo.sample", {"s": "第一"}, root)
    second = services.records.create("memo.sample", {"s": "第二"}, root)
    values = {"s": "多选", "others": [second["id"], first["id"]], "usr": emma.id, "usrs": [root.id, emma.id]}
    record = services.records.create("memo.sample", {**values, "dep": department}, root)
    client = console.client("root", lang="zh")

    form = client.get(f"/admin/memo/sample/edit/?id={record['id']}").text
    for name, shown in (("others", "第二"), ("usr", "Emma"), ("usrs", "Root"), ("dep", "研发部")):
        picker = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
        assert 'data-role="select2-ajax"' in picker and shown in picker, name
    several = re.search(r'<input[^>]*name="others"[^>]*>', form).group(0)
    assert 'data-multiple="1"' in several and f'value="{second["id"]},{first["id"]}"' in several

    lookup = "/admin/memo/sample/ajax/lookup/?name="
    assert client.get(lookup + "others&query=第二").json == [[second["id"], "第二"]]
    assert client.get(lookup + "usrs&query=emm").json == [[emma.id, "Emma"]]
    assert client.get(lookup + "dep&query=研发").json == [[department, "研发部"]]

    saved = client.post(
        f"/admin/memo/sample/edit/?id={record['id']}",
        data={"s": "多选", "others": f"{first['id']}", "usrs": "", "csrf_token": console.csrf(form)},
    )
    assert saved.status_code == 302
    changed = services.records.get("memo.sample", record["id"], root)
    assert (changed["others"], changed["usrs"], changed["usr"]) == ([first["id"]], [], emma.id)
