"""Meeting rooms: one room is never booked twice for overlapping times."""

from __future__ import annotations


def booking(room: int, start: str, end: str, subject: str = "周例会") -> dict:
    return {
        "subject": subject,
        "room": room,
        "start_time": f"2026-12-01T{start}:00+08:00",
        "end_time": f"2026-12-01T{end}:00+08:00",
    }


def test_overlapping_bookings_of_one_room_are_refused(company) -> None:
    office = company.login("office")
    room = office.create("meeting_room", {"name": "长江厅", "capacity": 12})["id"]
    other = office.create("meeting_room", {"name": "黄河厅", "capacity": 6})["id"]
    zhang, lead = company.login("zhang"), company.login("lead")
    zhang.create("meeting_booking", booking(room, "10:00", "11:00"))

    clash = lead.refused("meeting_booking", booking(room, "10:30", "11:30", "客户方案评审"))
    assert [e["message"] for e in clash["errors"]] == ["该会议室在这个时段已被预定，请换个时间或会议室。"]
    lead.create("meeting_booking", booking(room, "11:00", "12:00", "客户方案评审"))  # back to back
    moved = lead.create("meeting_booking", booking(other, "10:30", "11:30", "面试"))

    response = lead.client.patch(
        f"/api/v1/oa/meeting_booking/{moved['id']}", json={"room": room, "version": moved["version"]}
    )
    assert response.status_code == 422, response.get_json()
    booked = lead.get("meeting_booking", sort="start_time")["items"]
    assert [(b["room"], b["subject"]) for b in booked] == [
        (room, "周例会"),
        (other, "面试"),
        (room, "客户方案评审"),
    ]
