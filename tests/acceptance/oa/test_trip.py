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


def test_an_approved_trip_with_an_advance_drafts_the_travellers_loan(company) -> None:
    zhang = company.login("zhang")
    request = zhang.create(
        "trip_request",
        {
            "reason": "北京展会",
            "start_date": "2026-12-08",
            "end_date": "2026-12-09",
            "total_days": "2",
            "advance_needed": True,
            "advance_amount": "1500",
            "itinerary": [
                {
                    "from_city": "上海",
                    "to_city": "北京",
                    "depart_at": "2026-12-08T07:00:00+08:00",
                    "transport": "train",
                    "est_transport": "1100",
                }
            ],
        },
    )
    zhang.flow("trip_request", request["id"], "submit")
    for login in ("lead", "sales_head"):
        summary = company.login(login).flow("trip_request", request["id"], "approve")
    assert company.copied(summary) == ["office", "fin_dir", "li"]  # finance learns of the advance

    press = f"/api/v1/oa/trip_request/{request['id']}/buttons/trip_advance_loan"
    assert company.login("lead").client.post(press, json={}).status_code == 403  # only the traveller
    response = zhang.client.post(press, json={})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["advance_drafted"] is True
    [loan] = zhang.get("loan_request")["items"]
    assert (loan["loan_type"], loan["amount"], loan["trip"], loan["flow_status"]) == (
        "travel_advance",
        "1500.00",
        request["id"],
        "draft",
    )
    assert zhang.client.get(press.replace("/trip_advance_loan", "")).get_json()["items"] == []
