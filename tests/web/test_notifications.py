"""通知 in the portal, through the HTTP client: unread first, opening one marks it read and
goes to its record, 全部标为已读, badges in the top bar and the phone's tab bar."""

from __future__ import annotations

import re

from .test_pages import sign_in
from .test_task_page import submitted


def _cards(page: str) -> list[tuple[str, bool]]:
    return [(n, bool(u)) for n, u in re.findall(r'data-note="(\d+)" data-kind="\w+" ?(data-unread)?', page)]


def test_the_notifications_page_lists_unread_first_and_opens_the_record(app) -> None:
    first, second = submitted(app, 2)
    mona = sign_in(app, "mona", "zh")
    page = mona.get("/notifications").text
    cards = _cards(page)
    assert len(cards) == 2 and all(unread for _n, unread in cards)
    assert "待您审批：Emma提交的报销单" in page
    assert 'id="notes-unread">2</span>' in page
    assert 'aria-label="2 条未读">2</span>' in page  # in the top bar and the tab bar
    older = cards[-1][0]
    opened = mona.post(f"/notifications/{older}/open", data={"csrf_token": mona.csrf})
    assert opened.status_code == 302
    assert opened.headers["Location"].rsplit("/", 1)[1] in (str(first), str(second))
    again = _cards(mona.get("/notifications").text)
    assert again[0][1] and again[-1] == (older, False)  # unread first, the opened one below

    emma = sign_in(app, "emma", "zh")  # someone else's notification: nothing happens
    refused = emma.post(f"/notifications/{again[0][0]}/open", data={"csrf_token": emma.csrf})
    assert refused.headers["Location"].endswith("/notifications")
    assert _cards(mona.get("/notifications").text)[0][1]

    done = mona.post("/notifications/read", data={"csrf_token": mona.csrf})
    assert done.status_code == 302
    page = mona.get("/notifications").text
    assert not any(unread for _n, unread in _cards(page)) and 'id="notes-read-all"' not in page


def test_opening_needs_the_csrf_token(app) -> None:
    submitted(app, 1)
    mona = sign_in(app, "mona", "zh")
    ((note, _unread),) = _cards(mona.get("/notifications").text)
    assert mona.post(f"/notifications/{note}/open").status_code in (400, 403)
    assert _cards(mona.get("/notifications").text)[0][1]
