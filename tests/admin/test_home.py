"""The console's front page: records counted per app's entity, and the latest changes with who
made them, what they were and when, in the site's zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event

SCRIPT = "<script>alert('x')</script>"
AT = dt.datetime(2026, 3, 1, 1, 30, tzinfo=dt.UTC)  # 09:30 in Asia/Shanghai


def root(console):
    with console.services.runtime.engine.connect() as conn:
        return console.services.identity.actor(conn, console.users["root"])


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ("样例", "最近变更", "3小时前", "Root", "创建", "修改", "删除")),
        ("en", ("Sample", "Latest changes", "3 hours ago", "Root", "Created", "Changed", "Deleted")),
    ],
)
def test_home_counts_records_and_lists_the_latest_changes(console, lang: str, words) -> None:
    services = console.services
    services.records.clock = lambda: AT
    kept = services.records.create("memo.sample", {"s": SCRIPT}, root(console))
    services.records.update("memo.sample", kept["id"], {"i": 3}, root(console))
    gone = services.records.create("memo.sample", {"s": "gone"}, root(console))
    services.records.delete("memo.sample", gone["id"], root(console))
    services.records.create("memo.sample", {"s": "third"}, root(console))
    services.records.clock = lambda: AT + dt.timedelta(hours=3)

    page = console.client("root", lang=lang).get("/admin/").text
    label, heading, when, who, created, changed, deleted = words
    counts = page.split('id="home-counts"')[1].split("</section>")[0]
    assert re.search(rf'<a href="/admin/memo/sample/">{label}</a></td><td class="text-right">2</td>', counts)
    changes = page.split('id="home-changes"')[1].split("</section>")[0]
    assert heading in changes and SCRIPT not in page
    rows = re.findall(
        r"<tr>\s*<td><time title=\"([^\"]+)\">([^<]+)</time></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>",
        changes,
    )
    rows = [row for row in rows if row[0] == "2026-03-01 09:30"]  # not the fixture's people
    assert [row[3] for row in rows] == [created, deleted, created, changed, created]
    assert {row[1] for row in rows} == {when}
    assert {row[2] for row in rows} == {who}
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    assert f'<a href="/admin/memo/sample/details/?id={kept["id"]}">{escaped}</a>' in changes
    assert f"· #{gone['id']}" in changes or "· gone" in changes  # a deleted record has no link


def test_home_counts_every_entity_in_one_statement(console) -> None:
    services = console.services
    services.records.create("memo.sample", {"s": "one"}, root(console))
    client = console.client("root", lang="zh")
    counting: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        if "count(*)" in statement.lower():
            counting.append(statement)

    event.listen(services.runtime.engine, "before_cursor_execute", seen)
    try:
        page = client.get("/admin/").text
    finally:
        event.remove(services.runtime.engine, "before_cursor_execute", seen)
    assert len(counting) == 1 and "UNION ALL" in counting[0]
    counts = page.split('id="home-counts"')[1].split("</section>")[0]
    assert re.search(r'<a href="/admin/memo/sample/">样例</a></td><td class="text-right">1</td>', counts)
    assert re.search(r'<a href="/admin/memo/memo/">[^<]+</a></td><td class="text-right">0</td>', counts)


def test_the_audit_log_names_people_and_records(console) -> None:
    services = console.services
    kept = services.records.create("memo.sample", {"s": SCRIPT}, root(console))
    gone = services.records.create("memo.sample", {"s": "已删"}, root(console))
    services.records.delete("memo.sample", gone["id"], root(console))
    client = console.client("root", lang="zh")

    page = client.get("/admin/audit/?flt0_0=memo.sample").text
    escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
    assert f'<a href="/admin/memo/sample/details/?id={kept["id"]}">{escaped}</a>' in page
    assert SCRIPT not in page
    assert "Root" in page and ">root<" not in page  # the person's name, not the login
    assert f"#{gone['id']}" in page  # a deleted record has no title left, nor a link
    assert client.get("/admin/audit/?search=Roo").text.count("Root") >= 2  # searched by name
