"""Aging buckets: how many days before the site's today a date is, in the declared bounds.

The site clock is 2026-04-15 in Shanghai; the deals were signed 0, 1, 14, 15 and 105 days
before it (and one never), so each bucket's count is known by hand, as is the list each
bucket drills down to.
"""

from __future__ import annotations

from .conftest import Site
from .conftest import signed_in


def test_dates_fall_in_days_ago_buckets_up_to_the_site_today(site: Site) -> None:
    result = site.reports.run("sales.aging", site.actors["boss"])
    counts = {row.keys[0]: row.values["deals"] for row in result.rows}
    assert counts == {0: 1, 1: 1, 11: 2, 31: 1, None: 1}  # 4-15 | 4-14 | 4-01, 3-31 | 2025-12-31 | none
    assert [row.keys[0] for row in result.rows] == [0, 1, 11, 31, None]  # sort: the buckets in order
    assert {row.keys[0]: row.values["amount"] for row in result.rows}[11] == 400


def test_buckets_read_as_days_and_drill_to_their_records(app, site: Site) -> None:
    client = signed_in(app, "boss")
    body = client.get("/api/v1/reports/sales/aging?lang=zh").get_json()
    assert [row["labels"][0] for row in body["rows"]] == [
        "未到期",
        "1–10 天",
        "11–30 天",
        "30 天以上",
        "（空）",
    ]
    english = client.get("/api/v1/reports/sales/aging?lang=en").get_json()
    assert [row["labels"][0] for row in english["rows"]][:4] == [
        "Not yet due",
        "1–10 days",
        "11–30 days",
        "Over 30 days",
    ]
    drilled = [row for row in body["rows"] if row["drill"]]
    assert len(drilled) == 5  # every bucket, and the empty dates
    for row in drilled:
        listed = client.get(row["drill"]["api"]).get_json()
        assert listed["total"] == row["values"]["deals"], row["labels"]
