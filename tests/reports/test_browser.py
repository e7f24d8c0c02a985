"""Report pages in Chromium on the demo company: every chart type drawn at 1280 and 375 px in
Chinese and English (screenshots written to a folder printed when the module starts), no
console errors, the table scrolling inside its box on a phone, and a click on a funnel bar
opening the list of exactly its records."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.demo.company import PASSWORD
from loom.platform.site import open_site

CHROMIUM = shutil.which("chromium")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
# One report page per chart type (a report's own chart, or another one chosen with ?chart=).
CHARTS = {
    "bar": "crm/contract_vs_receivable",
    "stacked_bar": "crm/department_performance",
    "horizontal_bar": "crm/lost_reasons?chart=horizontal_bar",
    "line": "crm/pool_analysis",
    "area": "crm/contract_amount_by_month?chart=area",
    "pie": "crm/lost_reasons",
    "donut": "crm/opportunity_outcomes?chart=donut",
    "funnel": "crm/sales_funnel",
    "number": "crm/contract_amount_by_month?chart=number&period=this_year",
    "table": "crm/campaign_results?chart=table",
    "pivot": "crm/employee_performance?chart=pivot",
}
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: install Debian's chromium")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("site")
    (folder / "site.yaml").write_text(
        f"database: 'sqlite:///{folder / 'loom.db'}'\napps: [oa, crm]\nsecret_key: test\n", "utf-8"
    )
    for command in (["migrate", "--apply"], ["demo"]):
        result = CliRunner().invoke(cli, [*command, "--site", str(folder)])
        assert result.exit_code == 0, result.output
    app = create_app(open_site(str(folder), create=False))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    shots = tmp_path_factory.mktemp("screenshots-reports")
    print(f"\nscreenshots of report pages: {shots}")
    try:
        yield f"http://127.0.0.1:{http.server_port}", shots
    finally:
        http.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def open_as(browser, url: str, login: str, viewport: dict, lang: str) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=viewport, locale="zh-CN" if lang == "zh" else "en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#login", login)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(f"{url}/")
    return page, problems


def drawn(page: Page, chart: str) -> None:
    """Wait until the chart is drawn: a canvas, a number card, or the table alone."""
    if chart == "number":
        page.wait_for_selector("#report-number")
    elif chart not in ("table", "pivot"):
        page.wait_for_selector("#report-chart[data-drawn=true] canvas")  # every page here has data
        page.wait_for_timeout(700)  # ECharts' entry animation


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_every_chart_type_is_drawn_without_console_errors(browser, server, size: str, lang: str) -> None:
    url, shots = server
    page, problems = open_as(browser, url, "wangjianguo", VIEWPORTS[size], lang)
    page.goto(f"{url}/")
    page.screenshot(path=str(shots / f"home-{size}-{lang}.png"), full_page=True)
    for chart, address in CHARTS.items():
        separator = "&" if "?" in address else "?"
        page.goto(f"{url}/reports/{address}{separator}lang={lang}")
        drawn(page, chart)
        box = page.locator(".loom-report-table")
        assert box.count() == 1
        if size == "phone":  # a wide table scrolls inside its box; the page itself does not
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, (chart, width)
        page.screenshot(path=str(shots / f"{chart}-{size}-{lang}.png"), full_page=True)
    assert problems == []


def test_clicking_a_funnel_bar_opens_the_list_of_its_records(browser, server) -> None:
    url, _shots = server
    page, problems = open_as(browser, url, "zhangwei", VIEWPORTS["desktop"], "en")
    page.goto(f"{url}/reports/crm/sales_funnel?lang=en")
    drawn(page, "funnel")
    first = page.evaluate(
        """() => {
          const box = document.getElementById('report-chart');
          const chart = echarts.getInstanceByDom(box);
          const data = chart.getModel().getSeriesByIndex(0).getData();
          const points = data.getItemLayout(0).points;
          const x = points.reduce((s, p) => s + p[0], 0) / points.length;
          const y = points.reduce((s, p) => s + p[1], 0) / points.length;
          const rect = box.getBoundingClientRect();
          return {x: rect.left + x, y: rect.top + y, count: data.get('value', 0)};
        }"""
    )
    page.mouse.click(first["x"], first["y"])
    page.wait_for_url("**/crm/opportunity?**")
    assert page.locator("#list-total").inner_text() == f"{first['count']} in all"
    assert problems == []


# Whose home dashboard is shot: login -> the dashboard their roles give them.
HOMES = {
    "chenjing": "crm.sales",
    "zhangwei": "crm.sales_manager",
    "wangjianguo": "crm.general_manager",
    "malihua": "oa.finance",
    "luoming": "oa.employee",
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_each_roles_home_dashboard_is_drawn_without_console_errors(browser, server, size, lang) -> None:
    url, shots = server
    for login, dashboard in HOMES.items():
        page, problems = open_as(browser, url, login, VIEWPORTS[size], lang)
        assert page.locator("#dashboard").get_attribute("data-dashboard") == dashboard
        charts = page.locator(".loom-chart-widget")
        for i in range(charts.count()):  # every chart of the page drawn (a canvas) or saying it has no data
            box = charts.nth(i)
            page.wait_for_function("(box) => box.dataset.drawn === 'true'", arg=box.element_handle())
        page.wait_for_timeout(700)  # ECharts' entry animation
        widths = page.evaluate(
            "[...document.querySelectorAll('.loom-widget')].map((w) => w.getBoundingClientRect().width)"
        )
        if size == "phone":  # widgets stack (number cards two to a row); the page never scrolls sideways
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
            assert min(widths) >= 150, widths
        else:
            assert min(widths) >= 280, widths
        page.screenshot(path=str(shots / f"dashboard-{login}-{size}-{lang}.png"), full_page=True)
        page.context.close()
        assert problems == [], (login, problems)


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_approval_statistics_pages_are_drawn_in_chinese(browser, server, size) -> None:
    url, shots = server
    page, problems = open_as(browser, url, "wangjianguo", VIEWPORTS[size], "zh")
    for name, chart in (("approval_stats", "bar"), ("approval_node_times", "horizontal_bar")):
        page.goto(f"{url}/reports/oa/{name}?lang=zh")
        drawn(page, chart)
        table = page.locator(".loom-report-table").inner_text()
        assert "小时" in table and "oa." not in table  # flows and nodes by their labels, hours readable
        if size == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(shots / f"{name}-{size}-zh.png"), full_page=True)
    assert problems == []


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_aging_and_reports_over_several_entities_are_drawn_in_chinese(browser, server, size) -> None:
    url, shots = server
    page, problems = open_as(browser, url, "zhangwei", VIEWPORTS[size], "zh")
    for name, chart, measure in (
        ("receivables_aging", "stacked_bar", "未回款金额"),
        ("target_completion", "bar", "完成率"),
        ("contracts_and_receipts", "line", "回款金额"),
    ):
        page.goto(f"{url}/reports/crm/{name}?lang=zh&period=this_year")
        drawn(page, chart)
        table = page.locator(".loom-report-table").inner_text()
        assert measure in table and "crm." not in table
        if size == "phone":
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.screenshot(path=str(shots / f"{name}-{size}-zh.png"), full_page=True)
    assert problems == []
