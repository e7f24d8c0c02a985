"""The phone's tab bar and the 我的 page, through the HTTP client: the bar is on the top-level
pages only (a record or a form keeps the bottom of the screen for its own buttons)."""

from __future__ import annotations

import re

from .test_pages import sign_in
from .test_task_page import submitted


def test_the_tab_bar_is_on_the_top_level_pages_only(app) -> None:
    (claim,) = submitted(app, 1)
    mona = sign_in(app, "mona", "zh")
    for path in ("/", "/apps", "/inbox", "/notifications", "/search", "/me"):
        page = mona.get(path).text
        assert 'class="loom-tabbar' in page, path
    bar = mona.get("/inbox").text.split('class="loom-tabbar', 1)[1]
    assert re.search(r'class="loom-tab active"\s+href="/inbox" id="tab-inbox" aria-current="page"', bar)
    assert 'aria-label="1 项待办">1</span>' in bar  # the approvals badge, in reach on a phone
    assert [t for t in re.findall(r"<span>(\w+)</span>", bar)] == ["首页", "审批", "通知", "搜索", "我的"]
    for path in (f"/webtest/expense/{claim}", "/webtest/expense/new", "/webtest/expense"):
        assert 'class="loom-tabbar' not in mona.get(path).text, path


def test_me_says_who_i_am(app) -> None:
    fin = sign_in(app, "fin", "zh")
    page = fin.get("/me").text
    assert '<h1 class="h4 mb-1" id="me-name">Fin</h1>' in page
    assert "财务部" in page and "/inbox?box=started" in page and 'id="me-sign-out"' in page
