"""The home page is the user's dashboard, through the HTTP client on each test database: a
salesperson and an employee see their own dashboards' widgets, to-dos and requests come from
the user's own inbox, a widget whose report the user may not open is left out, and the app
launcher lives at /apps. (A site without dashboards keeps the launcher as its home page:
tests/reports/test_api.py.)"""

from __future__ import annotations

import re

from loom.platform.records.query import ListQuery

from .test_pages import actor
from .test_pages import claims
from .test_pages import sign_in


def add_person(app, login: str, roles: list[str]) -> None:
    identity = app.extensions["loom"].identity
    with app.extensions["loom"].runtime.engine.begin() as conn:
        app.users[login] = identity.create_user(
            conn, login, login.title(), password=f"{login}-pw", roles=roles
        )


def widgets(page: str) -> list[str]:
    return re.findall(r'data-widget="([a-z_]+)"', page)


def test_a_salesperson_and_an_employee_each_see_their_dashboard(app) -> None:
    add_person(app, "sam", ["crm_sales"])
    sales = sign_in(app, "sam", lang="zh").get("/").text
    assert 'data-dashboard="crm.sales"' in sales and "销售工作台" in sales
    assert widgets(sales) == [
        "number", "number", "number", "number", "report", "todos", "recent", "recent", "my_requests",
        "announcements",
    ]  # fmt: skip
    assert 'data-src="/api/v1/reports/crm/sales_funnel?chart=funnel"' in sales
    assert "进行中商机" in sales and "最新商机" in sales and "我的待办" in sales
    assert 'src="/assets/reports.js"' in sales and "<script>" not in sales  # the chart script is a file

    home = sign_in(app, "emma", lang="zh").get("/").text
    assert 'data-dashboard="oa.employee"' in home and "我的工作台" in home
    assert widgets(home) == ["shortcuts", "todos", "my_requests", "announcements", "recent"]
    assert 'href="/oa/leave_request/new"' in home and "请假申请" in home  # forms an employee may fill in
    assert "sales_funnel" not in home and "reports.js" not in home
    assert "My to-dos" not in home  # Chinese by default


def test_to_dos_and_requests_come_from_the_users_own_inbox(app) -> None:
    claims(app, 1)
    services = app.extensions["loom"]
    emma = actor(app, "emma")
    [claim] = services.records.list("webtest.expense", ListQuery(), emma).records
    services.flows.submit("webtest.expense", claim["id"], emma)

    head = sign_in(app, "mona", lang="zh").get("/").text  # mona heads sales: the claim waits for her
    todos = _widget(head, "todos")
    assert f'data-record="{claim["id"]}"' in todos and "Emma提交的报销单" in todos
    assert f'data-record="{claim["id"]}"' not in _widget(head, "my_requests")

    mine = sign_in(app, "emma", lang="zh").get("/").text
    requests = _widget(mine, "my_requests")
    assert f'data-record="{claim["id"]}"' in requests and "审批中" in requests
    assert f'data-record="{claim["id"]}"' not in _widget(mine, "todos")
    assert "暂无内容。" in _widget(mine, "todos")


def test_a_widget_whose_report_the_user_may_not_open_is_left_out(app) -> None:
    add_person(app, "gm", ["general_manager"])  # without crm_bi_viewer, no CRM report is theirs
    page = sign_in(app, "gm", lang="zh").get("/").text
    assert 'data-dashboard="crm.general_manager"' in page
    # and no shortcuts, which it does not list; the approval statistics name the general manager
    assert widgets(page) == ["todos", "announcements", "report"]
    assert "/api/v1/reports/oa/approval_stats?" in page
    add_person(app, "boss", ["general_manager", "crm_bi_viewer"])
    page = sign_in(app, "boss", lang="zh").get("/").text
    assert widgets(page).count("number") == 4 and widgets(page).count("report") == 5
    assert 'data-src="/api/v1/reports/crm/sales_funnel?chart=funnel"' in page
    assert "最近 30 天" in page and "上期无数据" in page  # an empty site: nothing to compare with


def test_the_launcher_moves_to_its_own_page(app) -> None:
    client = sign_in(app, "emma", lang="zh")
    home = client.get("/").text
    assert 'id="nav-apps" href="/apps">应用<' in home
    apps = client.get("/apps").text
    assert 'href="/webtest/expense"' in apps and "data-dashboard" not in apps


def _widget(page: str, kind: str) -> str:
    """The HTML of the first widget of ``kind``."""
    start = page.index(f'data-widget="{kind}"')
    end = page.find("data-widget=", start + 1)
    return page[start : end if end != -1 else len(page)]
