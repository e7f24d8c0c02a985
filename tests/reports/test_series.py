"""A report over several entities: won deals against yearly targets, per person and year.

Each figure is checked against what the fixture's rows give by hand, so a series joined on
the wrong key, a scope applied to one series only, or a period that misses the yearly
targets (which hold a year number, not a date) shows as a wrong cell.
"""

from __future__ import annotations

import datetime as dt

from loom.platform.reports import Request

from .conftest import Site
from .conftest import signed_in

NAME = "sales.target_completion"
EVERYTHING = Request()


def cells(site: Site, login: str, request: Request = EVERYTHING) -> dict[tuple[str, int], dict]:
    result = site.reports.run(NAME, site.actors[login], request)
    people = result.titles[0]
    return {(people[row.keys[0]], row.keys[1].year): row.values for row in result.rows}


def test_series_meet_on_person_and_year_with_the_ratio_between_them(site: Site) -> None:
    found = cells(site, "boss")
    assert found == {
        ("一号", 2026): {"deals": 2, "actual": 400, "target": 500, "completion": 0.8},
        ("老板", 2025): {"deals": 1, "actual": 900, "target": 1000, "completion": 0.9},
        ("二号", 2026): {"deals": 0, "actual": None, "target": 200, "completion": 0.0},
    }
    result = site.reports.run(NAME, site.actors["boss"])
    assert result.totals.values == {"deals": 3, "actual": 1300, "target": 1700, "completion": 1300 / 1700}
    assert [result.titles[0][key] for key in result.pivot.rows] == ["老板", "一号", "二号"]  # -actual
    assert result.pivot.row_totals[site.actors["rep2"].id].values["target"] == 200


def test_each_series_counts_only_what_the_viewer_may_read(site: Site) -> None:
    # rep1 reads their department's deals (theirs: rep2 is in another) and only their own target
    mine = {("一号", 2026): {"deals": 2, "actual": 400, "target": 500, "completion": 0.8}}
    assert cells(site, "rep1") == mine


def test_a_period_narrows_dated_series_and_year_numbers_alike(site: Site) -> None:
    found = cells(site, "boss", Request(period="this_year"))  # the site clock is in April 2026
    assert set(found) == {("一号", 2026), ("二号", 2026)}
    last = cells(site, "boss", Request(period="custom", start="2025-12-01", end="2025-12-31"))
    assert last == {("老板", 2025): {"deals": 1, "actual": 900, "target": 1000, "completion": 0.9}}


def test_the_api_presents_it_and_refuses_a_field_filter(app, site: Site) -> None:
    client = signed_in(app, "boss")
    body = client.get("/api/v1/reports/sales/target_completion?lang=zh").get_json()
    assert body["report"]["entity"] is None
    assert [m["name"] for m in body["measures"]] == ["deals", "actual", "target", "completion"]
    assert body["totals"]["values"]["target"] == 1700
    assert all(row["drill"] is None for row in body["rows"])
    assert body["chart"]["type"] == "bar" and [s["name"] for s in body["chart"]["series"]] == [
        "2025年",
        "2026年",
    ]
    assert client.get("/api/v1/reports/sales/target_completion?stage=won").status_code == 422
    csv = client.get("/api/v1/reports/sales/target_completion/export.csv?lang=zh").get_data(as_text=True)
    assert "完成率" in csv and "一号" in csv
    listed = {r["name"] for r in client.get("/api/v1/reports").get_json()["items"]}
    assert "target_completion" in listed
    page = client.get("/reports/sales/target_completion")
    assert page.status_code == 200 and "目标完成" in page.get_data(as_text=True)


def test_a_period_picks_the_year_of_yearly_targets_and_the_chart_sets_them_beside_deals(app) -> None:
    client = signed_in(app, "boss")
    body = client.get("/api/v1/reports/sales/target_by_person?period=this_year&lang=zh").get_json()
    values = {row["labels"][0]: row["values"] for row in body["rows"]}
    assert values == {
        "一号": {"deals": 2, "actual": 400, "target": 500, "completion": 0.8},
        "二号": {"deals": 0, "actual": None, "target": 200, "completion": 0.0},
    }  # the boss's 2025 deal and target are outside this year
    chart = body["chart"]
    assert [s["name"] for s in chart["series"]] == [
        "成交额",
        "目标额",
    ]  # both money; not the count nor the ratio
    assert chart["series"][1]["data"] == [500, 200]
    chosen = client.get("/api/v1/reports/sales/target_by_person?measure=target").get_json()["chart"]
    assert [s["name"] for s in chosen["series"]] == ["目标额"]  # the viewer's pick alone


def test_the_year_key_is_a_date_whatever_series_gave_it(site: Site) -> None:
    result = site.reports.run(NAME, site.actors["boss"])
    assert {type(row.keys[1]) for row in result.rows} == {dt.date}
    assert result.axes[1].kind == "date"
