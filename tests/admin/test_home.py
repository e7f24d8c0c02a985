"""The console's front page: records counted per app's entity, and the latest changes with who
made them, what they were and when, in the site's zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest

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
