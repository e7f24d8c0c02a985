"""Business trips: itinerary costs add up; costly or international trips reach the general manager."""

from __future__ import annotations


def trip(company, lodging: str, trip_type: str = "domestic") -> dict:
    zhang = company.login("zhang")
    leg = {
        "from_city": "上海",
        "to_city": "成都",
        "depart_at": "2026-12-02T08:00:00+08:00",
        "return_at": "2026-12-04T20:00:00+08:00",
        "transport": "plane",
        "est_transport": "2400",
        "est_lodging": lodging,
    }
    request = zhang.create(
        "trip_request",
        {
            "reason": "西南区客户项目启动会",
            "trip_type": trip_type,
            "start_date": "2026-12-02",
            "end_date": "2026-12-04",
            "total_days": "3",
            "itinerary": [leg],
        },
    )
    zhang.flow("trip_request", request["id"], "submit")
    return request


def test_a_trip_over_5000_reaches_the_general_manager_and_copies_the_office(company) -> None:
    request = trip(company, "3000")
    assert request["estimated_cost"] == "5400.00"
    for login in ("lead", "sales_head"):
        summary = company.login(login).flow("trip_request", request["id"], "approve")
    assert company.pending(summary) == ["gm"]
    summary = company.login("gm").flow("trip_request", request["id"], "approve")
    assert summary["status"] == "approved" and company.copied(summary) == ["office"]


def test_a_modest_domestic_trip_ends_with_the_department_head(company) -> None:
    request = trip(company, "900")
    for login in ("lead", "sales_head"):
        summary = company.login(login).flow("trip_request", request["id"], "approve")
    assert summary["status"] == "approved"
