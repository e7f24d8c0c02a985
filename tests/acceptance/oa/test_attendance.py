"""Attendance: an approved punch correction becomes a corrected punch of the applicant."""

from __future__ import annotations


def test_an_approved_correction_records_the_missing_punch(company) -> None:
    zhang = company.login("zhang")
    correction = zhang.create(
        "attendance_correction",
        {
            "punch_date": "2026-11-24",
            "punch_type": "on_duty",
            "corrected_time": "2026-11-24T08:55:00+08:00",
            "reason": "早上拜访客户，忘记打卡",
        },
    )
    zhang.flow("attendance_correction", correction["id"], "submit")
    company.login("lead").flow("attendance_correction", correction["id"], "approve")
    summary = company.login("hr").flow("attendance_correction", correction["id"], "approve")
    assert summary["status"] == "approved"
    [punch] = zhang.get("attendance_punch")["items"]
    assert (punch["employee"], punch["punch_type"], punch["result"], punch["source"]) == (
        company.users["zhang"],
        "on_duty",
        "corrected",
        "correction",
    )
