"""The report runtime on a small package: measures, buckets in the site's zone, periods, scope,
hidden fields, links, pivots, limits and the "others" row, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from loom.platform.actor import SYSTEM
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.reports import Request
from loom.platform.reports.errors import HiddenField
from loom.platform.reports.errors import ReportForbidden
from loom.platform.reports.errors import ReportNotFound


def table(result) -> dict:
    return {row.keys: row.values for row in result.rows}


def test_measures_with_the_report_filter_and_sort(site) -> None:
    result = site.reports.run("sales.by_stage", SYSTEM)
    assert [row.keys for row in result.rows] == [("won",), ("lead",)]  # by amount, descending
    won, lead = table(result)[("won",)], table(result)[("lead",)]
    assert won["deals"] == 3 and won["amount"] == 1300 and won["customers"] == 2 and won["top"] == 900
    assert won["average"] == pytest.approx(1300 / 3)
    assert won["first_signed"] == "2025-12-31"
    assert lead["deals"] == 2 and lead["amount"] == 50 and lead["average"] == 50  # avg skips the empty amount
    assert result.totals.values["deals"] == 5 and result.totals.values["customers"] == 3
    assert result.totals.values["average"] == pytest.approx(1350 / 4)


def test_a_ratio_divides_two_measures_per_row_and_in_the_totals(site) -> None:
    result = site.reports.run("sales.margin", site.actors["boss"])
    assert table(result)[("won",)]["cost_share"] == pytest.approx(460 / 1300)
    assert result.totals.values["cost_share"] == pytest.approx(490 / 1420)
    assert table(result)[("lead",)]["cost_share"] == pytest.approx(10 / 50)


def test_months_are_the_site_zones_not_utc(site) -> None:
    """23:30 on 31 March and 00:10 on 1 April in Shanghai are both 31 March in UTC."""
    result = site.reports.run("sales.monthly", SYSTEM)
    assert table(result) == {
        (dt.date(2025, 12, 1),): {"deals": 1},
        (dt.date(2026, 3, 1),): {"deals": 1},
        (dt.date(2026, 4, 1),): {"deals": 3},
        (None,): {"deals": 1},
    }
    assert [row.keys[0] for row in result.rows] == [
        dt.date(2025, 12, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 1), None,
    ]  # fmt: skip


def test_weeks_start_on_monday_and_days_are_local(site) -> None:
    result = site.reports.run("sales.weekly_days", SYSTEM)
    cells = {k: v["deals"] for k, v in table(result).items()}
    assert cells[(dt.date(2026, 3, 30), dt.date(2026, 3, 31))] == 1
    assert cells[(dt.date(2026, 3, 30), dt.date(2026, 4, 1))] == 1
    assert (
        cells[(dt.date(2026, 4, 13), dt.date(2026, 4, 15))] == 1
    )  # 00:05 local, 16:05 the day before in UTC
    assert cells[(dt.date(2025, 12, 29), dt.date(2025, 12, 31))] == 1


@pytest.mark.parametrize(
    ("preset", "deals"),
    [
        ("today", {"d"}),
        ("yesterday", {"c"}),
        ("this_week", {"c", "d"}),
        ("last_week", set()),
        ("this_month", {"b", "c", "d"}),
        ("last_month", {"a"}),
        ("this_quarter", {"b", "c", "d"}),
        ("last_quarter", {"a"}),
        ("this_year", {"a", "b", "c", "d"}),
        ("last_year", {"f"}),
        ("last_2_days", {"c", "d"}),
        ("last_15_days", {"b", "c", "d"}),
        ("last_16_days", {"a", "b", "c", "d"}),
    ],
)
def test_time_presets_in_the_site_zone(site, preset: str, deals: set[str]) -> None:
    """The clock says 2026-04-15 10:00 in Shanghai; ``closed_at`` is the report's date field."""
    result = site.reports.run("sales.total", SYSTEM, Request(period=preset))
    amounts = {"a": 100, "b": 300, "c": 50, "d": 70, "f": 900}
    assert result.totals.values["amount"] == (sum(amounts[d] for d in deals) if deals else None)


def test_a_custom_range_includes_both_days_and_the_previous_period_is_as_long(site) -> None:
    chosen = Request(period="custom", start="2026-04-01", end="2026-04-14")
    result = site.reports.run("sales.total", SYSTEM, chosen)
    assert result.totals.values["amount"] == 350
    assert result.previous == {"amount": 100}  # 2026-03-18 to 2026-03-31
    month = site.reports.run("sales.total", SYSTEM, Request(period="this_month"))
    assert month.previous == {"amount": 100}  # March


def test_bad_parameters_are_field_errors(site) -> None:
    for request in (
        Request(period="next_month"),
        Request(period="custom", start="2026-04-01", end="yesterday"),
        Request(period="last_0_days"),
        Request(chart="radar"),
        Request(filters=(Condition("title", "eq", "a"),)),  # not a filter of the list or a dimension
        Request(filters=(Condition("stage", "eq", "nope"),)),
    ):
        with pytest.raises(ValidationFailed):
            site.reports.run("sales.by_stage", SYSTEM, request)


def test_viewer_filters_narrow_the_rows(site) -> None:
    only_acme = Request(filters=(Condition("customer", "eq", str(site.customers["acme"])),))
    assert table(site.reports.run("sales.by_stage", SYSTEM, only_acme)).keys() == {("won",)}


def test_a_viewer_aggregates_only_what_they_may_read(site) -> None:
    """rep1's department owns a, b and d; rep2's owns c; the boss reads everything."""
    assert site.reports.run("sales.by_stage", site.actors["rep1"]).totals.values["deals"] == 2  # a, b
    assert site.reports.run("sales.by_stage", site.actors["rep2"]).totals.values["deals"] == 1  # c
    assert site.reports.run("sales.by_stage", site.actors["boss"]).totals.values["deals"] == 5


def test_a_field_hidden_from_the_viewer_cannot_be_aggregated(site) -> None:
    with pytest.raises(HiddenField) as caught:
        site.reports.run("sales.margin", site.actors["rep1"])  # cost is hidden from reps
    assert isinstance(caught.value, PermissionDenied) and "cost" in caught.value.message("en")
    with pytest.raises(HiddenField):
        site.reports.run("sales.by_rating", site.actors["blind"])  # customer.rating is hidden from them
    assert site.reports.run("sales.by_rating", site.actors["boss"]).totals.values["deals"] == 6


def test_roles_decide_who_opens_a_report(site) -> None:
    every = {r.name for r in site.reports.visible(SYSTEM)}
    assert len(every) == 12
    assert {r.name for r in site.reports.visible(site.actors["rep1"])} == every - {"margin"}  # cost is hidden
    assert {r.name for r in site.reports.visible(site.actors["blind"])} == every - {
        "by_stage",
        "margin",
        "by_rating",
        "target_completion",  # neither their role nor an entity they may read
        "target_by_person",
    }
    with pytest.raises(ReportForbidden):
        site.reports.run("sales.by_stage", site.actors["blind"])
    with pytest.raises(ReportNotFound):
        site.reports.run("sales.nothing", SYSTEM)


def test_a_dimension_through_a_link_and_a_pivot_with_totals(site) -> None:
    result = site.reports.run("sales.by_industry", SYSTEM)
    pivot = result.pivot
    assert pivot.rows == ["it", "finance", None] and pivot.columns == ["lead", "won", "lost"]
    assert pivot.cells[("it", "won")].values["amount"] == 400
    assert pivot.cells[("finance", "lost")].values["amount"] == 70
    assert ("it", "lead") not in pivot.cells
    assert pivot.row_totals["finance"].values == {"amount": 120, "average": 60}
    assert pivot.column_totals["won"].values["amount"] == 1300
    assert pivot.column_totals["won"].values["average"] == pytest.approx(1300 / 3)
    assert result.totals.values["amount"] == 1420


def test_a_dimension_through_the_owner_to_their_department(site) -> None:
    result = site.reports.run("sales.by_department", SYSTEM)
    names = {result.titles[0].get(k, k): v["deals"] for k, v in ((r.keys[0], r.values) for r in result.rows)}
    assert names == {"东区": 3, "西区": 1, None: 2}


def test_limit_keeps_the_top_rows_and_gathers_the_rest_as_others(site) -> None:
    result = site.reports.run("sales.top_customers", SYSTEM)
    acme, corp = site.customers["acme"], site.customers["corp"]
    assert [r.keys[0] for r in result.rows if not r.others] == [corp, acme]
    others = [r for r in result.rows if r.others]
    assert len(others) == 1 and others[0].values == {"amount": 120, "average": 60}
    assert result.titles[0] == {acme: "acme", corp: "corp", site.customers["bank"]: "bank"}


def test_each_cell_drills_down_to_exactly_its_records(site) -> None:
    """The cell's conditions, run as a list by the records service, count what the cell counts."""
    for name in ("sales.by_stage", "sales.monthly", "sales.by_industry", "sales.by_department"):
        for actor in (SYSTEM, site.actors["rep1"]):
            try:
                result = site.reports.run(name, actor, Request(period="this_year"))
            except ReportForbidden:
                continue
            cells = [*result.rows, result.totals]
            if result.pivot:
                cells += [*result.pivot.row_totals.values(), *result.pivot.column_totals.values()]
            for row in cells:
                if row.drill is None:
                    continue
                query = ListQuery(filters=row.drill, count="exact", page_size=500)
                page = site.records.list("sales.deal", query, actor)
                counted = row.values.get("deals")
                if counted is None:
                    amounts = [r["amount"] for r in page.records if r["amount"] is not None]
                    assert float(sum(amounts)) == pytest.approx(row.values["amount"] or 0), (name, row)
                else:
                    assert page.total == counted, (name, row)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
def test_database_buckets_agree_with_the_zones_calendar(database_url: str, zone: str) -> None:
    """Around midnights, month and year ends, daylight-saving changes and the zone's history."""
    from sqlalchemy import Column
    from sqlalchemy import Integer
    from sqlalchemy import MetaData
    from sqlalchemy import Table
    from sqlalchemy import insert
    from sqlalchemy import select

    from loom.platform.database import make_engine
    from loom.platform.reports import sql
    from loom.platform.reports.periods import GRANULARITIES
    from loom.platform.reports.periods import local_bucket
    from loom.platform.types import UTCDateTime

    table = Table("moments", MetaData(), Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    engine = make_engine(database_url)
    table.metadata.create_all(engine)
    local = ZoneInfo(zone)
    days = [dt.date(1986, 5, 4), dt.date(1991, 9, 15), dt.date(2025, 3, 30), dt.date(2025, 10, 26),
            dt.date(2025, 11, 2), dt.date(2025, 12, 31), dt.date(2026, 3, 31),
            dt.date(2026, 6, 30)]  # fmt: skip
    moments = [
        dt.datetime.combine(day, dt.time(hour, minute), tzinfo=local) + dt.timedelta(days=shift)
        for day in days
        for shift in (-1, 0, 1)
        for hour, minute in ((0, 5), (1, 30), (2, 30), (23, 55))
    ]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"at": m} for m in moments])
        sql.prepare(conn)
        for unit in GRANULARITIES:
            column = sql.bucket(table.c.at, unit, True, conn.dialect.name, zone)
            found = {row.at: row.bucket for row in conn.execute(select(table.c.at, column.label("bucket")))}
            for at, bucket in found.items():
                assert bucket == local_bucket(at, unit, local).isoformat(), (unit, at.astimezone(local))
    engine.dispose()
