"""Overtime: the daily legal cap, pay rates by kind, and HR for rest-day work."""

from __future__ import annotations


def overtime(kind: str, start: str, end: str, hours: str, compensation: str) -> dict:
    return {
        "overtime_type": kind,
        "start_time": f"2026-11-{start}:00+08:00",
        "end_time": f"2026-11-{end}:00+08:00",
        "duration_hours": hours,
        "compensation": compensation,
        "reason": "版本上线",
    }


def test_workday_overtime_is_capped_at_three_hours(company) -> None:
    zhang = company.login("zhang")
    refused = zhang.refused("overtime_request", overtime("workday", "24T18:00", "24T22:00", "4", "pay"))
    assert [e["field"] for e in refused["errors"]] == ["duration_hours"]
    paid = zhang.create("overtime_request", overtime("workday", "24T18:00", "24T21:00", "3", "pay"))
    assert paid["pay_rate"] == "150"


def test_rest_day_overtime_goes_to_hr_and_time_off_has_no_premium(company) -> None:
    zhang = company.login("zhang")
    request = zhang.create("overtime_request", overtime("rest_day", "28T09:00", "28T17:00", "8", "comp_off"))
    assert request["pay_rate"] == "0"
    zhang.flow("overtime_request", request["id"], "submit")
    for login in ("lead", "sales_head"):
        summary = company.login(login).flow("overtime_request", request["id"], "approve")
    assert company.pending(summary) == ["hr"]
    summary = company.login("hr").flow("overtime_request", request["id"], "approve")
    assert summary["status"] == "approved" and company.copied(summary) == ["hr"]
