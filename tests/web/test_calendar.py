"""The calendar (``list.calendar``, web/calendar.py) through the HTTP client on each test database:
the builtin calendars; the events endpoint reading through the records service (a sales
manager sees his department's visit plans, not another department's; an employee her own leave
only), with whole days for dates and the site's wall clock for moments; a bounded, validated
range (4xx, never 500); a dragged event moving through the records service; 列表 | 日历
keeping the view; a day's 新建 prefilled."""

from __future__ import annotations

import datetime as dt
import html

import pytest

from loom.metadata.catalog import Label
from loom.metadata.catalog import ListCalendar
from loom.platform.actor import SYSTEM
from loom.platform.records.query import ListQuery
from loom.platform.seeds import install_seeds

from .conftest import catalog
from .test_pages import actor
from .test_pages import sign_in

MARCH = "/crm/visit_plan/calendar/events?from=2026-02-23&to=2026-04-06"


def test_calendars_are_declared_for_schedules_bookings_leave_and_visits() -> None:
    entities = catalog().entities
    schedule = ListCalendar("start_time", "end_time", "importance", event_color="color", all_day="all_day")
    assert entities["oa.schedule"].list.calendar == schedule
    leave = entities["oa.leave_request"].list.calendar
    assert (leave.start, leave.end, leave.color) == ("start_date", "end_date", "flow_status")
    assert leave.title_fields == {"applicant", "leave_type", "days"}
    booking = entities["oa.meeting_booking"].list.calendar
    assert booking.title == Label("{{ room }} · {{ subject }}", "{{ room }} · {{ subject }}")
    assert entities["crm.visit_plan"].list.calendar.start == "planned_start"
    assert entities["crm.customer"].list.calendar is None


class Visits:
    """Two sales departments: a manager and a salesperson in 华东, a salesperson in 华南."""

    def __init__(self, app) -> None:
        self.app = app
        services = app.extensions["loom"]
        with services.runtime.engine.begin() as conn:
            east = services.identity.create_department(conn, "华东销售部")
            south = services.identity.create_department(conn, "华南销售部")
            for login, name, dept, role in (
                ("sam", "孙经理", east, "crm_sales_manager"),
                ("sid", "宋晓", east, "crm_sales"),
                ("fay", "方圆", south, "crm_sales"),
            ):
                app.users[login] = services.identity.create_user(
                    conn, login, name, password=f"{login}-pw", department_id=dept, roles=[role]
                )
        self.records = services.records

    def plan(self, login: str, customer: str, start: str, end: str, **more) -> dict:
        who = actor(self.app, login)
        client = self.records.create("crm.customer", {"name": customer}, who)
        values = {"customer": client["id"], "planned_start": start, "planned_end": end, **more}
        return self.records.create("crm.visit_plan", values, who)


def test_a_manager_sees_his_departments_visits_in_the_sites_time(app) -> None:
    visits = Visits(app)
    east = visits.plan("sid", "杭州云织科技", "2026-03-10T09:30:00+08:00", "2026-03-10T11:00:00+08:00")
    late = ("2026-03-31T23:30:00+08:00", "2026-04-01T00:30:00+08:00")  # across midnight
    done = visits.plan("sid", "宁波港务", *late, status="done")
    south = visits.plan("fay", "广州精密机械", "2026-03-10T14:00:00+08:00", "2026-03-10T15:00:00+08:00")
    visits.plan("sid", "苏州新材料", "2026-05-06T09:00:00+08:00", "2026-05-06T10:00:00+08:00")  # after
    client = sign_in(app, "sam", lang="zh")

    answer = client.get(MARCH)
    assert answer.status_code == 200
    shown = {e["id"]: e for e in answer.get_json()["events"]}
    assert set(shown) == {str(east["id"]), str(done["id"])}  # not 华南's, not May's
    assert str(south["id"]) not in shown
    first = shown[str(east["id"])]
    assert first == {
        "id": str(east["id"]),
        "title": "杭州云织科技 · 初次拜访",
        "start": "2026-03-10T09:30",  # Shanghai's wall clock, not 01:30 UTC
        "end": "2026-03-10T11:00",
        "allDay": False,
        "version": east["version"],
        "url": f"/crm/visit_plan/{east['id']}",
        "classNames": ["loom-event", "loom-event-blue"],  # 待拜访 is blue
    }
    assert shown[str(done["id"])]["classNames"][1] == "loom-event-green"
    assert answer.get_json()["more"] is False
    # A visit ending on the range's first day is in it; one starting on its last day is not.
    april = client.get("/crm/visit_plan/calendar/events?from=2026-04-01&to=2026-04-02").get_json()
    assert [e["id"] for e in april["events"]] == [str(done["id"])]
    assert client.get("/crm/visit_plan/calendar/events?from=2026-03-01&to=2026-03-10").json["events"] == []

    # The list's filters narrow the calendar too.
    searched = client.get(MARCH + f"&customer={done['customer']}").get_json()["events"]
    assert [e["id"] for e in searched] == [str(done["id"])]
    assert client.get(MARCH + "&status=planned").get_json()["events"][0]["id"] == str(east["id"])

    own = sign_in(app, "fay", lang="zh").get(MARCH).get_json()["events"]
    assert [e["id"] for e in own] == [str(south["id"])]


def test_leave_takes_whole_days_and_only_the_readers_own(app) -> None:
    records = app.extensions["loom"].records
    install_seeds(records)
    annual = next(
        r["id"]
        for r in records.list("oa.leave_type", ListQuery(fields=("code",)), SYSTEM).records
        if r["code"] == "personal"
    )
    values = {"leave_type": annual, "start_date": "2026-03-09", "end_date": "2026-03-11", "days": "3"}
    emma = records.create("oa.leave_request", {**values, "reason": "回老家"}, actor(app, "emma"))
    records.create("oa.leave_request", {**values, "reason": "搬家"}, actor(app, "mona"))

    client = sign_in(app, "emma", lang="zh")
    events = client.get("/oa/leave_request/calendar/events?from=2026-03-01&to=2026-04-01")
    assert events.get_json()["events"] == [
        {
            "id": str(emma["id"]),
            "title": "Emma · 事假 3天",  # the template: a user's name, a link's title, days trimmed
            "start": "2026-03-09",
            "end": "2026-03-12",  # the day after the last, as FullCalendar counts
            "allDay": True,
            "version": emma["version"],
            "url": f"/oa/leave_request/{emma['id']}",
            "classNames": ["loom-event", "loom-event-status-draft"],
        }
    ]
    english = sign_in(app, "emma").get("/oa/leave_request/calendar/events?from=2026-03-11&to=2026-03-12")
    assert english.get_json()["events"][0]["title"] == "Emma · 事假 · 3 days"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?from=2026-03-01",
        "?from=2026-03-01&to=next",
        "?from=2026-02-30&to=2026-03-02",
        "?from=2026-03-10&to=2026-03-10",  # empty
        "?from=2026-03-10&to=2026-03-01",  # backwards
        "?from=2026-01-01&to=2026-12-31",  # more than 62 days
        "?from=0001-01-01&to=0001-01-02",  # a midnight before the first moment in UTC
        "?from=9999-12-30&to=9999-12-31",
        "?from=2026-03-01&to=2026-04-01&planned_start__gte=tomorrow",  # a filter that does not read
        "?from=2026-03-01&to=2026-04-01&nonsense=1",
    ],
)
def test_a_bad_range_or_filter_is_a_400_with_the_reason(app, query: str) -> None:
    Visits(app)
    answer = sign_in(app, "sam", lang="zh").get(f"/crm/visit_plan/calendar/events{query}")
    assert answer.status_code == 400
    assert answer.get_json()["message"]


def test_only_declared_calendars_and_readers_have_one(app) -> None:
    client = sign_in(app, "emma", lang="zh")
    assert client.get("/crm/customer/calendar").status_code == 404
    assert client.get("/crm/customer/calendar/events?from=2026-03-01&to=2026-03-02").status_code == 404
    assert client.get("/crm/visit_plan/calendar/events?from=2026-03-01&to=2026-03-02").status_code == 403


def test_the_page_switches_between_list_and_calendar_keeping_the_view(app) -> None:
    client = sign_in(app, "emma", lang="zh")
    page = client.get("/oa/leave_request/calendar?view=mine&on=2026-03-10").text
    assert 'aria-current="page" data-display="calendar">日历</a>' in page
    assert 'href="/oa/leave_request?view=mine" data-display="lists">列表</a>' in page  # same view
    assert 'data-events="/oa/leave_request/calendar/events?view=mine"' in page
    assert 'data-initial="2026-03-10"' in page and 'data-locale="zh-cn"' in page
    assert 'data-new="/oa/leave_request/new"' in page and 'data-kind="date"' in page
    assert "vendor/fullcalendar/index.global.min.js" in page and "<script>" not in page
    listed = client.get("/oa/leave_request?view=mine").text
    assert 'href="/oa/leave_request/calendar?view=mine" data-display="calendar">日历</a>' in listed
    assert 'data-display="board"' not in listed  # leave has no board
    assert 'id="display-as"' not in client.get("/crm/customer").text  # nothing to switch to


def test_a_new_record_from_a_day_starts_on_it(app) -> None:
    client = sign_in(app, "emma", lang="zh")
    leave = html.unescape(client.get("/oa/leave_request/new?start_date=2026-03-10&end_date=bad").text)
    assert 'name="start_date" value="2026-03-10"' in leave
    assert 'name="end_date" value=""' in leave  # a day that does not read is left out
    schedule = client.get("/oa/schedule/new?start_time=2026-03-10T09:00&end_time=2026-03-10T10:00").text
    assert 'name="start_time" value="2026-03-10T09:00:00"' in schedule  # the site's wall clock
    assert 'name="end_time" value="2026-03-10T10:00:00"' in schedule


def drop(client, path: str, record: dict, start: str, end: str = "", version: int | None = None):
    data = {"record": record["id"], "version": record["version"] if version is None else version}
    headers = {"Accept": "application/json", "X-CSRF-Token": client.csrf}
    return client.post(path, data={**data, "start": start, "end": end}, headers=headers)


def test_a_dragged_event_moves_through_the_records_service(app) -> None:
    records = app.extensions["loom"].records
    meeting = {
        "title": "周例会",
        "start_time": "2026-03-10T09:30:00+08:00",
        "end_time": "2026-03-10T11:00:00+08:00",
    }
    mine = records.create("oa.schedule", meeting, actor(app, "emma"))
    client = sign_in(app, "emma", lang="zh")
    page = client.get("/oa/schedule/calendar").text
    assert 'data-move="/oa/schedule/calendar/move"' in page

    # Two days later, an hour earlier and longer: the site's wall clock, as the calendar sends it.
    moved = drop(client, "/oa/schedule/calendar/move", mine, "2026-03-12T08:30:00", "2026-03-12T11:30:00")
    assert moved.status_code == 200 and moved.get_json() == {"ok": True}
    after = records.get("oa.schedule", mine["id"], SYSTEM)
    assert after["start_time"].astimezone(dt.UTC) == dt.datetime(2026, 3, 12, 0, 30, tzinfo=dt.UTC)
    assert after["end_time"].astimezone(dt.UTC) == dt.datetime(2026, 3, 12, 3, 30, tzinfo=dt.UTC)

    stale = drop(client, "/oa/schedule/calendar/move", mine, "2026-03-13T08:30:00", "2026-03-13T09:30:00")
    assert stale.get_json()["ok"] is False and stale.get_json()["status"] == 409  # an older version
    backwards = drop(client, "/oa/schedule/calendar/move", after, "2026-03-13T10:00", "2026-03-13T09:00")
    assert backwards.get_json() == {"ok": False, "status": 422, "message": "结束时间不能早于开始时间"}
    for start in ("next week", "0001-01-01T00:00"):
        unread = drop(client, "/oa/schedule/calendar/move", after, start)
        assert unread.get_json() == {"ok": False, "status": 400, "message": "无法识别新的日期。"}
    other = drop(sign_in(app, "mona", lang="zh"), "/oa/schedule/calendar/move", after, "2026-03-20T09:00")
    assert other.get_json()["ok"] is False  # mona reads and writes her own schedule only
    assert records.get("oa.schedule", mine["id"], SYSTEM) == after


def test_a_dragged_leave_keeps_its_days_and_its_lock(app) -> None:
    records = app.extensions["loom"].records
    install_seeds(records)
    types = records.list("oa.leave_type", ListQuery(fields=("code",)), SYSTEM).records
    personal = next(r["id"] for r in types if r["code"] == "personal")
    values = {"leave_type": personal, "start_date": "2026-03-09", "end_date": "2026-03-11", "days": "3"}
    leave = records.create("oa.leave_request", {**values, "reason": "回老家"}, actor(app, "emma"))
    client = sign_in(app, "emma", lang="zh")
    # FullCalendar's end is the day after the last: 16–18 March.
    assert drop(client, "/oa/leave_request/calendar/move", leave, "2026-03-16", "2026-03-19").get_json()["ok"]
    after = records.get("oa.leave_request", leave["id"], SYSTEM)
    assert (after["start_date"], after["end_date"]) == (dt.date(2026, 3, 16), dt.date(2026, 3, 18))
    # Two days are too few for three days of leave: the leave's own rule refuses the stretch.
    short = drop(client, "/oa/leave_request/calendar/move", after, "2026-03-16", "2026-03-18")
    assert short.get_json() == {"ok": False, "status": 422, "message": "请假天数不能超过起止日期之间的天数"}
    assert records.get("oa.leave_request", leave["id"], SYSTEM) == after


def test_a_schedule_uses_its_own_colour_and_all_day_and_the_calendar_has_a_legend(app) -> None:
    records = app.extensions["loom"].records
    meeting = {"start_time": "2026-03-10T09:00:00+08:00", "end_time": "2026-03-10T10:00:00+08:00"}
    painted = records.create("oa.schedule", {"title": "周会", "color": "#ffd43b", **meeting}, SYSTEM)
    dark = records.create("oa.schedule", {"title": "评审", "color": "#1a237e", **meeting}, SYSTEM)
    offsite = {"start_time": "2026-03-11T00:30:00+08:00", "end_time": "2026-03-12T18:00:00+08:00"}
    whole = records.create(
        "oa.schedule", {"title": "团建", "all_day": True, "importance": "high", **offsite}, SYSTEM
    )
    client = sign_in(app, "root", lang="zh")

    events = client.get("/oa/schedule/calendar/events?from=2026-03-09&to=2026-03-16").get_json()["events"]
    shown = {e["title"]: e for e in events}
    assert shown["周会"]["backgroundColor"] == "#ffd43b" and shown["周会"]["textColor"] == "#000000"
    assert shown["评审"]["textColor"] == "#ffffff"  # white on a dark colour
    assert (shown["周会"]["allDay"], shown["周会"]["start"]) == (False, "2026-03-10T09:00")
    # All day: whole days in the site's zone, the end day included (FullCalendar's end the day after).
    assert {k: shown["团建"][k] for k in ("start", "end", "allDay")} == {
        "start": "2026-03-11",
        "end": "2026-03-13",
        "allDay": True,
    }
    assert "backgroundColor" not in shown["团建"] and shown["团建"]["classNames"][1] == "loom-event-red"
    assert {painted["id"], dark["id"], whole["id"]} == {int(e["id"]) for e in events}

    page = client.get("/oa/schedule/calendar").text
    legend = page.split('id="calendar-legend"')[1].split("</ul>")[0]
    assert "图例" in legend
    assert '<span class="loom-swatch loom-event-red" aria-hidden="true"></span>重要' in legend
    leave = client.get("/oa/leave_request/calendar").text.split('id="calendar-legend"')[1]
    assert "loom-event-status-approved" in leave.split("</ul>")[0] and "已通过" in leave.split("</ul>")[0]
