"""The calendar in Chromium, in Chinese, as an office worker uses it: at 1280 px her leave
spans its three days of a month that starts its weeks on Monday, her meeting sits on its day
at the site's time, clicking an event opens the record, clicking a day opens a new leave
starting on it, and a call dragged to another day moves there; at 375 px the month is a list
of days that never scrolls the page sideways. No console errors. Screenshots:
``calendar-<width>-*.png``."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from loom.platform.actor import SYSTEM
from loom.platform.records.query import ListQuery
from loom.platform.seeds import install_seeds

from .conftest import DESKTOP
from .conftest import VIEWPORTS
from .test_pages import actor
from .test_phone_lists_browser import SIDEWAYS

pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]
MEETING = "季度销售复盘会"
CALL = "客户回访电话"


class Diary:
    """emma's personal leave from 9 to 11 March 2026, her meeting on the 10th, 09:30–11:00 in
    Shanghai, and a call on the 17th; mona's leave on the same days, which emma may not read."""

    def __init__(self, portal) -> None:
        self.portal = portal
        app = portal.app
        app.users = portal.users
        records = portal.services().records
        install_seeds(records)
        types = records.list("oa.leave_type", ListQuery(fields=("code",)), SYSTEM).records
        personal = next(r["id"] for r in types if r["code"] == "personal")
        days = {"leave_type": personal, "start_date": "2026-03-09", "end_date": "2026-03-11", "days": "3"}
        emma, mona = actor(app, "emma"), actor(app, "mona")
        self.leave = records.create("oa.leave_request", {**days, "reason": "回老家办理房产手续"}, emma)["id"]
        records.create("oa.leave_request", {**days, "reason": "搬家"}, mona)
        meeting = {
            "title": MEETING,
            "start_time": "2026-03-10T09:30:00+08:00",
            "end_time": "2026-03-10T11:00:00+08:00",
            "importance": "high",
            "location": "3楼大会议室",
        }
        self.meeting = records.create("oa.schedule", meeting, emma)["id"]
        call = {
            "title": CALL,
            "start_time": "2026-03-17T14:00:00+08:00",
            "end_time": "2026-03-17T14:30:00+08:00",
        }
        self.call = records.create("oa.schedule", call, emma)["id"]
        self.records = records

    def open(self, sign_in, viewport: dict, path: str) -> tuple[Page, list[str]]:
        """emma's calendar at ``path`` in March 2026, in Chinese, and the console errors it logs."""
        page = sign_in("emma", viewport, lang="zh")
        errors: list[str] = []
        page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
        page.goto(f"{self.portal.url}{path}?on=2026-03-10")
        expect(page.locator(".fc-toolbar-title")).to_have_text("2026年3月")
        return page, errors


@pytest.fixture(scope="module")
def diary(portal) -> Diary:
    return Diary(portal)


def test_leave_and_a_meeting_on_their_days_at_1280(diary, sign_in, shoot) -> None:
    page, errors = diary.open(sign_in, DESKTOP, "/oa/leave_request/calendar")
    expect(page.locator("#display-as .active")).to_have_text("日历")
    heads = page.locator(".fc-col-header-cell").all_inner_texts()
    assert heads == ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    leave = page.locator(".fc-event")
    expect(leave).to_have_count(1)  # mona's leave is not emma's to read
    expect(leave).to_have_text("Emma · 事假 3天")
    # It starts on Monday the 9th and spans the three days of that week's row.
    monday = page.locator('td.fc-daygrid-day[data-date="2026-03-09"]')
    expect(monday.locator(".fc-event")).to_have_count(1)
    span = leave.bounding_box()
    first, last = (
        page.locator(f'td.fc-daygrid-day[data-date="2026-03-{d}"]').bounding_box() for d in ("09", "11")
    )
    assert abs(span["x"] - first["x"]) < 8
    assert abs((span["x"] + span["width"]) - (last["x"] + last["width"])) < 8
    assert "loom-event-status-draft" in leave.get_attribute("class")
    shoot(page, "calendar-1280-01-leave")

    leave.click()
    page.wait_for_url(f"{diary.portal.url}/oa/leave_request/{diary.leave}")
    expect(page.locator("main")).to_contain_text("回老家办理房产手续")

    # A day's click opens a new leave starting (and ending) on it.
    page.go_back()
    page.locator('td.fc-daygrid-day[data-date="2026-03-20"] .fc-daygrid-day-frame').click()
    page.wait_for_url("**/oa/leave_request/new?start_date=2026-03-20&end_date=2026-03-20")
    expect(page.locator("#f-start_date")).to_have_value("2026-03-20")
    expect(page.locator("#f-end_date")).to_have_value("2026-03-20")

    page.goto(f"{diary.portal.url}/oa/schedule/calendar?on=2026-03-10")
    meeting = page.locator('td.fc-daygrid-day[data-date="2026-03-10"] .fc-event')
    expect(meeting).to_have_text(f"09:30{MEETING}")  # Shanghai's time, not 01:30 UTC
    assert "loom-event-red" in meeting.get_attribute("class")  # 重要
    shoot(page, "calendar-1280-02-schedule")

    # The call, dragged from Tuesday the 17th to Thursday the 19th, keeps its hour.
    call = page.locator(".fc-event", has_text=CALL)
    with page.expect_response(lambda r: r.url.endswith("/oa/schedule/calendar/move")) as answer:
        drag(page, call, page.locator('td.fc-daygrid-day[data-date="2026-03-19"]'))
    assert answer.value.json() == {"ok": True}  # the calendar shows the drop before the server answers
    expect(page.locator('td.fc-daygrid-day[data-date="2026-03-19"] .fc-event')).to_have_text(f"14:00{CALL}")
    expect(page.locator('td.fc-daygrid-day[data-date="2026-03-17"] .fc-event')).to_have_count(0)
    moved = diary.records.get("oa.schedule", diary.call, SYSTEM)
    assert moved["start_time"].astimezone(dt.UTC) == dt.datetime(2026, 3, 19, 6, 0, tzinfo=dt.UTC)
    assert moved["end_time"].astimezone(dt.UTC) == dt.datetime(2026, 3, 19, 6, 30, tzinfo=dt.UTC)
    shoot(page, "calendar-1280-03-moved")
    assert page.evaluate(SIDEWAYS) <= 0
    assert errors == []


def drag(page: Page, source, target) -> None:
    """Hold the event, carry it to the middle of the target day in small steps, let go."""
    start, end = source.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + start["width"] / 2 + 10, start["y"] + start["height"] / 2 + 5, steps=5)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=15)
    page.mouse.up()


def test_the_month_as_a_list_of_days_at_375(diary, sign_in, shoot) -> None:
    page, errors = diary.open(sign_in, PHONE, "/oa/schedule/calendar")
    assert page.evaluate(SIDEWAYS) <= 0
    day = page.locator('.fc-list-day[data-date="2026-03-10"]')
    expect(day).to_contain_text("2026年3月10日")
    expect(day).to_contain_text("星期二")
    row = page.locator(".fc-list-event", has_text=MEETING)
    expect(page.locator('.fc-list-day[data-date="2026-03-10"] + .fc-list-event')).to_contain_text(MEETING)
    expect(row.locator(".fc-list-event-time")).to_have_text("09:30 - 11:00")
    expect(row.locator(".fc-list-event-title")).to_have_text(MEETING)
    heights = page.locator("#display-as .btn, .fc-button").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert min(heights) >= 44
    shoot(page, "calendar-375-01-schedule")

    row.locator(".fc-list-event-title a").click()
    page.wait_for_url(f"{diary.portal.url}/oa/schedule/{diary.meeting}")
    expect(page.locator("main")).to_contain_text("3楼大会议室")

    page.goto(f"{diary.portal.url}/oa/leave_request/calendar?on=2026-03-10")
    expect(page.locator(".fc-list-day")).to_have_count(3)  # the leave on each of its days
    expect(page.locator(".fc-list-event-title").first).to_have_text("Emma · 事假 3天")
    assert page.evaluate(SIDEWAYS) <= 0
    shoot(page, "calendar-375-02-leave")
    page.locator(".fc-next-button").click()
    expect(page.locator(".fc-list-empty")).to_have_text("这段时间没有记录。")
    assert page.evaluate(SIDEWAYS) <= 0
    shoot(page, "calendar-375-03-empty")
    assert errors == []
