"""A leave as the people in its approval read it (issue #18): the approver's inbox says who asks
for what in one line, the record page opens with that line, and the timeline shows what
people did and who is awaited, never the engine's branches or its end."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import update

NAMES = {"zhang": "杨磊", "lead": "李秀英", "hr": "王建国"}


def name_people(company) -> None:
    users = company.app.extensions["loom"].runtime.schema.metadata.tables["loom_users"]
    with company.app.extensions["loom"].runtime.engine.begin() as conn:
        for login, name in NAMES.items():
            conn.execute(update(users).where(users.c.login == login).values(name=name))


def submit_leave(company) -> int:
    zhang = company.login("zhang")
    personal = zhang.get("leave_type", code="personal")["items"][0]["id"]
    values = {"leave_type": personal, "start_date": "2026-12-04", "end_date": "2026-12-05", "days": "1"}
    leave = zhang.create("leave_request", {**values, "reason": "家里有事"})
    zhang.flow("leave_request", leave["id"], "submit", comment="请批准")
    return leave["id"]


def test_the_inbox_says_who_asks_for_what(company) -> None:
    name_people(company)
    leave = submit_leave(company)
    lead = company.login("lead")
    [task] = lead.todo()
    assert (task["headline"], task["summary"]) == ("杨磊提交的请假申请", "事假 1天 · 12月4日–12月5日")
    [task] = lead.client.get("/api/v1/tasks?lang=en").get_json()["items"]
    assert (task["headline"], task["summary"]) == ("杨磊's Leave request", "事假 · 1 days · Dec 4–Dec 5")

    company.clock.now += dt.timedelta(hours=3)
    inbox = lead.client.get("/inbox").get_data(as_text=True)
    card = inbox[inbox.index(f'data-record="{leave}"') :]
    assert '<span class="loom-avatar" aria-hidden="true">杨磊</span>' in card
    assert '<strong class="me-auto" data-asked>杨磊提交的请假申请</strong>' in card
    assert '<div class="loom-summary">事假 1天 · 12月4日–12月5日</div>' in card
    assert re.search(r"直属上级 · 3小时前 · QJ-20261203-\d{4}", card)  # the step, how long ago, the number


def test_the_timeline_shows_what_people_did_and_leaves_the_engine_out(company) -> None:
    name_people(company)
    leave = submit_leave(company)
    company.clock.now += dt.timedelta(hours=3)
    page = company.login("lead").client.get(f"/oa/leave_request/{leave}").get_data(as_text=True)
    assert "杨磊提交的请假申请 · 事假 1天 · 12月4日–12月5日</p>" in page  # the header
    timeline = page[page.index('id="timeline"') :]
    assert re.findall(r"data-event=\"(\w+)\"|data-(waiting)", timeline) == [("start", ""), ("", "waiting")]
    assert "请批准" in timeline and ">3小时前</time>" in timeline
    assert '<span class="loom-avatar loom-avatar-waiting" aria-hidden="true">秀英</span>' in timeline
    assert "直属上级 · 已等待 3小时" in timeline

    company.login("lead").flow("leave_request", leave, "approve", comment="同意，注意交接")
    company.clock.now += dt.timedelta(days=1)
    page = company.login("zhang").client.get(f"/oa/leave_request/{leave}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"') : page.index('id="history"')]
    assert re.findall(r'data-event="(\w+)"', timeline) == ["start", "approve", "cc"]
    assert "同意，注意交接" in timeline and "王建国" in timeline and "抄送人事" in timeline
    assert ">12月3日 10:30</time>" in timeline  # over a day ago: the day and the time, in the site's zone
    # The engine chose three branches (1 天以内, 3 天以内, 7 天以内) and finished: none of it is shown,
    # all of it stays in the API's timeline.
    assert "天以内" not in timeline and "超过" not in timeline and "系统" not in timeline
    kinds = [e["kind"] for e in company.login("zhang").get(f"leave_request/{leave}/flow")["timeline"]]
    assert kinds.count("branch") == 3 and kinds[-1] == "finish"
