"""Announcements: reviewed, published by the flow, and read receipts collected from readers."""

from __future__ import annotations


def test_an_announcement_is_published_and_read(company) -> None:
    hr = company.login("hr")
    notice = hr.create(
        "announcement",
        {"title": "元旦放假通知", "category": "notice", "content": "<p>1 月 1 日放假一天。</p>"},
    )
    hr.flow("announcement", notice["id"], "submit")
    summary = company.login("hr_head").flow("announcement", notice["id"], "approve")
    assert company.pending(summary) == ["office"]
    summary = company.login("office").flow("announcement", notice["id"], "approve")
    assert summary["status"] == "approved"

    zhang = company.login("zhang")
    published = zhang.get(f"announcement/{notice['id']}")
    assert published["published"] is True and published["published_at"] is not None
    buttons = zhang.client.get(f"/api/v1/oa/announcement/{notice['id']}/buttons").get_json()["items"]
    assert [b["name"] for b in buttons] == ["oa.announcement_read"]
    response = zhang.client.post(f"/api/v1/oa/announcement/{notice['id']}/buttons/announcement_read", json={})
    assert response.status_code == 200, response.get_json()
    read = zhang.get(f"announcement/{notice['id']}")
    assert (read["read_users"], read["read_count"]) == ([company.users["zhang"]], 1)
    assert zhang.client.get(f"/api/v1/oa/announcement/{notice['id']}/buttons").get_json()["items"] == []
