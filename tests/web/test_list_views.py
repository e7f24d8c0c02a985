"""Saved views (场景) on list pages, through the HTTP client on each test database: the tabs a
salesperson is offered, ``?view=`` narrowing the list in their scope, and the view kept by the
search form, sort links, tabs and exports."""

from __future__ import annotations

import csv
import io
import re

from loom.platform.actor import SYSTEM
from loom.platform.records.query import ListQuery

from .test_dashboards import add_person
from .test_pages import actor
from .test_pages import sign_in

ROW_LINK = re.compile(r'<a href="/crm/customer/\d+">([^<]+)</a>')


TAB = re.compile(
    r'<a class="nav-link( active)?" href="[^"]*" data-view="([a-z_]*)"[^>]*>([^<]+?)'
    r"(?: <span class=\"loom-view-count\" data-count>([^<]*)</span>)?</a>"
)


def tabs(page: str) -> list[tuple[str, str, bool]]:
    """(view, label, active) of each tab above the list."""
    return [(view, text, active) for view, text, active, _ in counted_tabs(page)]


def counted_tabs(page: str) -> list[tuple[str, str, bool, str]]:
    """(view, label, active, count) of each tab above the list."""
    nav = page.split('id="list-views"')[1].split("</ul>")[0]
    return [(view, text, bool(active), count) for active, view, text, count in TAB.findall(nav)]


def customers(app) -> None:
    add_person(app, "sam", ["crm_sales"])
    add_person(app, "ted", ["crm_sales"])
    records = app.extensions["loom"].records
    for who, name in (("sam", "杭州云织科技"), ("sam", "宁波港务"), ("ted", "上海数科")):
        records.create("crm.customer", {"name": name}, actor(app, who))


def test_a_salesperson_picks_a_view_from_tabs_and_sees_only_their_customers(app) -> None:
    customers(app)
    sam = sign_in(app, "sam", lang="zh")
    page = sam.get("/crm/customer?view=mine").text
    assert sorted(ROW_LINK.findall(page)) == ["宁波港务", "杭州云织科技"]
    offered = tabs(page)
    assert offered[:3] == [("", "全部", False), ("all", "全部客户", False), ("mine", "我负责的客户", True)]
    assert ("pool", "公海客户", False) in offered
    assert "subordinates" not in {view for view, _, _ in offered}  # the sales managers' view
    assert 'aria-current="page">我负责的客户' in page

    assert ROW_LINK.findall(sign_in(app, "root", lang="zh").get("/crm/customer?view=mine").text) == []
    assert len(ROW_LINK.findall(sign_in(app, "root").get("/crm/customer").text)) == 3
    assert ROW_LINK.findall(sign_in(app, "ted").get("/crm/customer?view=mine").text) == ["上海数科"]


def test_a_view_keeps_the_search_and_shows_its_own_columns(app) -> None:
    customers(app)
    root = sign_in(app, "root", lang="zh")
    page = root.get("/crm/customer?view=all&q=杭州").text
    assert ROW_LINK.findall(page) == ["杭州云织科技"]
    assert '<input type="hidden" name="view" value="all">' in page  # the search form keeps it
    sort_links = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*href="([^"]+)"', page)
    assert sort_links and all("view=all" in link for link in sort_links)
    assert re.search(r'id="export-csv" href="[^"]*view=all', page)
    pool_tab = next(href for href in re.findall(r'href="([^"]+)" data-view="pool"', page))
    assert "q=" in pool_tab and "view=pool" in pool_tab  # switching views keeps the search

    records = app.extensions["loom"].records
    [ted] = records.list("crm.customer", ListQuery(q="上海"), SYSTEM).records
    records.update("crm.customer", ted["id"], {"in_pool": True, "owner_user": None}, SYSTEM)
    pool = root.get("/crm/customer?view=pool").text
    assert ROW_LINK.findall(pool) == ["上海数科"]
    headers = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*>\s*([^<▲▼]+?)\s*<', pool)
    assert headers[:2] == ["客户名称", "客户级别"] and "放入公海时间" in headers and "负责人" not in headers

    unknown = root.get("/crm/customer?view=nosuch")
    assert unknown.status_code == 200 and "alert-warning" in unknown.text and "nosuch" in unknown.text


def test_an_export_holds_the_views_rows(app) -> None:
    customers(app)
    root = sign_in(app, "root")
    every, mine = (
        list(csv.reader(io.StringIO(root.get(url).data.decode("utf-8-sig"))))
        for url in ("/crm/customer/export.csv", "/crm/customer/export.csv?view=mine")
    )
    assert (len(every), len(mine)) == (4, 1)  # the header, and root owns none of them


def test_every_builtin_view_opens_for_an_admin(app) -> None:
    customers(app)
    root = sign_in(app, "root", lang="zh")
    catalog = app.extensions["loom"].runtime.catalog
    for entity in catalog.entities.values():
        for view in entity.list.views:
            page = root.get(f"/{entity.app}/{entity.name}?view={view.name}")
            assert page.status_code == 200 and "alert-warning" not in page.text, (entity.name, view.name)
            assert (view.name, view.label.zh, True) in tabs(page.text)
