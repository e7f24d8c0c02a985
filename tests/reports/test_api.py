"""The report routes of the REST API and the portal's report pages, over HTTP."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from .conftest import signed_in


def test_the_report_list_holds_what_the_caller_may_open(app) -> None:
    items = signed_in(app, "rep1").get("/api/v1/reports").get_json()["items"]
    names = {i["name"] for i in items}
    assert "by_stage" in names and "margin" not in names  # margin sums cost, hidden from reps
    by_stage = next(i for i in items if i["name"] == "by_stage")
    assert (
        by_stage["url"] == "/api/v1/reports/sales/by_stage"
        and by_stage["portal"] == "/reports/sales/by_stage"
    )
    assert app.test_client().get("/api/v1/reports").status_code == 401


def test_a_report_answers_rows_totals_filters_chart_and_drill_down(app) -> None:
    client = signed_in(app, "boss")
    body = client.get("/api/v1/reports/sales/by_stage?period=this_year&lang=en").get_json()
    assert body["report"]["label"] == "By stage" and body["report"]["chart"] == "funnel"
    assert [r["labels"] for r in body["rows"]] == [["Won"], ["Lead"]]
    assert body["rows"][0]["values"]["amount"] == 1300  # every deal was created today
    assert body["totals"]["values"]["deals"] == 5
    assert body["filters"]["period"] == {
        "key": "this_year", "label": "This year", "field": "created_at",
        "start": "2026-01-01", "end": "2026-12-31",
    }  # fmt: skip
    amount = next(m for m in body["measures"] if m["name"] == "amount")
    assert amount["unit"] == "money" and amount["symbol"] == "¥"
    assert body["chart"]["categories"] == ["Won", "Lead"] and body["chart"]["measure"] == "amount"
    drill = body["rows"][0]["drill"]
    assert drill["portal"].startswith("/sales/deal?") and "stage=won" in drill["portal"]
    assert client.get(drill["api"]).get_json()["total"] == 3


def test_viewer_filters_and_a_chart_of_the_callers_choice(app) -> None:
    client = signed_in(app, "boss")
    body = client.get("/api/v1/reports/sales/by_stage?stage=won&chart=pie&measure=deals").get_json()
    assert [r["keys"] for r in body["rows"]] == [["won"]]
    assert body["chart"]["type"] == "pie" and body["chart"]["series"][0]["data"] == [3]
    assert body["filters"]["conditions"] == [{"field": "stage", "op": "eq", "value": "won"}]
    ranged = client.get("/api/v1/reports/sales/total?from=2026-04-01&to=2026-04-14").get_json()
    assert ranged["filters"]["period"]["key"] == "custom" and ranged["totals"]["values"]["amount"] == 350


def test_bad_parameters_are_422_and_hidden_fields_403(app) -> None:
    client = signed_in(app, "rep1")
    bad = client.get("/api/v1/reports/sales/by_stage?period=someday")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "period"
    assert client.get("/api/v1/reports/sales/by_stage?title=a").status_code == 422
    hidden = client.get("/api/v1/reports/sales/margin?lang=en")
    assert hidden.status_code == 403
    assert hidden.content_type == "application/problem+json" and "'cost'" in hidden.get_json()["detail"]
    assert signed_in(app, "blind").get("/api/v1/reports/sales/by_stage").status_code == 403  # not their role
    assert client.get("/api/v1/reports/sales/nothing").status_code == 404


def test_exports_hold_the_labels_numbers_and_totals(app) -> None:
    client = signed_in(app, "boss")
    response = client.get("/api/v1/reports/sales/by_industry/export.csv?lang=zh")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["industry", "stage", "amount"]
    assert ["信息技术", "赢单", "400", "200"] in rows
    assert rows[-1] == ["合计", "", "1420", "284"]  # e has no amount
    book = load_workbook(io.BytesIO(client.get("/api/v1/reports/sales/by_industry/export.xlsx").data))
    sheet = book.active
    assert sheet.cell(row=2, column=3).value == 400  # a number, not text
    assert client.get("/api/v1/reports/sales/by_industry/export.pdf").status_code == 404


def test_the_openapi_document_describes_the_report_routes(app) -> None:
    paths = app.test_client().get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/reports", "/reports/{app}/{name}", "/reports/{app}/{name}/export.{fmt}"} <= set(paths)
    names = {p["name"] for p in paths["/reports/{app}/{name}"]["get"]["parameters"]}
    assert {"period", "from", "to", "chart", "measure"} <= names


def test_portal_pages_list_and_show_reports_with_links_to_the_records(app) -> None:
    client = signed_in(app, "boss")
    home = client.get("/").get_data(as_text=True)
    assert 'data-report="sales.by_stage"' in home and "报表" in home
    index = client.get("/reports").get_data(as_text=True)
    assert 'href="/reports/sales/by_industry"' in index
    page = client.get("/reports/sales/by_industry?chart=pivot").get_data(as_text=True)
    assert 'id="report-pivot"' in page and "¥400.00" in page and "合计" in page
    assert 'href="/sales/deal?customer.industry=it&amp;stage=won"' in page
    assert "<script>" not in page  # scripts come from static files only
    picked = client.get("/reports/sales/by_stage?customer=1").get_data(as_text=True)
    assert 'data-name="customer"' in picked and 'value="acme"' in picked  # a link filter's picker
    chart = client.get("/reports/sales/by_stage").get_data(as_text=True)
    assert 'data-src="/api/v1/reports/sales/by_stage"' in chart and "reports.js" in chart
    listed = client.get("/sales/deal?customer.industry=it&stage=won").get_data(as_text=True)
    assert 'id="drill-notice"' in listed and "共 2 条" in listed
    wrong = client.get("/reports/sales/by_stage?period=someday").get_data(as_text=True)
    assert 'id="report-error"' in wrong
