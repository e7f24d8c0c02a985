"""Leave: the approval chain grows with the days, HR is always copied, balances are checked and used."""

from __future__ import annotations


def leave_type(person, code: str) -> int:
    return person.get("leave_type", code=code)["items"][0]["id"]


def open_balance(company, login: str, days: str) -> int:
    hr = company.login("hr")
    annual = leave_type(hr, "annual")
    balance = hr.create(
        "leave_balance",
        {
            "title": "2026 年假",
            "employee": company.users[login],
            "leave_type": annual,
            "year": 2026,
            "quota": days,
        },
    )
    return balance["id"]


def test_five_days_of_annual_leave_go_to_manager_department_head_and_hr(company) -> None:
    balance = open_balance(company, "zhang", "10")
    zhang = company.login("zhang")
    values = {
        "leave_type": leave_type(zhang, "annual"),
        "start_date": "2026-12-07",
        "end_date": "2026-12-11",
        "days": "5",
        "reason": "回老家探亲",
    }
    refused = zhang.refused("leave_request", values)  # annual leave is drawn from a balance
    assert [e["field"] for e in refused["errors"]] == ["_record"]
    assert "假期余额" in refused["errors"][0]["message"]
    leave = zhang.create("leave_request", {**values, "balance": balance})

    summary = zhang.flow("leave_request", leave["id"], "submit")
    assert company.pending(summary) == ["lead"]
    summary = company.login("lead").flow("leave_request", leave["id"], "approve", comment="同意")
    assert company.pending(summary) == ["sales_head"]
    summary = company.login("sales_head").flow("leave_request", leave["id"], "approve")
    assert company.pending(summary) == ["hr"]
    inbox = [(t["entity"], t["record_id"], t["node"]) for t in company.login("hr").todo()]
    assert inbox == [("oa.leave_request", leave["id"], "hr_review")]
    summary = company.login("hr").flow("leave_request", leave["id"], "approve")

    assert summary["status"] == "approved"
    assert company.approvers(summary) == [
        ("manager", "lead"),
        ("department_head", "sales_head"),
        ("hr_review", "hr"),
    ]
    assert company.copied(summary) == ["hr"]
    assert zhang.get(f"leave_request/{leave['id']}")["flow_status"] == "approved"
    used = zhang.get(f"leave_balance/{balance}")
    assert (used["used"], used["remaining"]) == ("5.0", "5.0")


def test_one_day_of_leave_stops_after_the_manager(company) -> None:
    zhang = company.login("zhang")
    leave = zhang.create(
        "leave_request",
        {
            "leave_type": leave_type(zhang, "personal"),
            "start_date": "2026-12-14",
            "end_date": "2026-12-14",
            "days": "1",
            "reason": "办理证件",
        },
    )
    zhang.flow("leave_request", leave["id"], "submit")
    summary = company.login("lead").flow("leave_request", leave["id"], "approve")
    assert summary["status"] == "approved"
    assert company.approvers(summary) == [("manager", "lead")]
    assert company.copied(summary) == ["hr"]


def test_leave_beyond_the_balance_or_in_odd_halves_is_refused(company) -> None:
    balance = open_balance(company, "zhang", "3")
    zhang = company.login("zhang")
    values = {
        "leave_type": leave_type(zhang, "annual"),
        "balance": balance,
        "start_date": "2026-12-07",
        "end_date": "2026-12-10",
        "days": "4",
        "reason": "旅行",
    }
    assert [e["field"] for e in zhang.refused("leave_request", values)["errors"]] == ["balance"]
    half = {**values, "end_date": "2026-12-07", "days": "0.5", "start_half": "pm", "end_half": "am"}
    assert [e["field"] for e in zhang.refused("leave_request", half)["errors"]] == ["end_half"]
    afternoon = zhang.create("leave_request", {**half, "end_half": "pm"})
    assert afternoon["days"] == "0.5"


def test_sick_leave_over_a_day_needs_proof(company) -> None:
    zhang = company.login("zhang")
    values = {
        "leave_type": leave_type(zhang, "sick"),
        "start_date": "2026-12-01",
        "end_date": "2026-12-02",
        "days": "2",
        "reason": "发烧",
    }
    assert [e["field"] for e in zhang.refused("leave_request", values)["errors"]] == ["leave_type"]
    proof = zhang.upload("病假条.jpg", b"\xff\xd8\xff\xe0 note")
    assert zhang.create("leave_request", {**values, "attachments": [proof]})["attachments"] == [proof]


def test_a_department_heads_leave_goes_to_the_general_manager(company) -> None:
    head = company.login("sales_head")
    leave = head.create(
        "leave_request",
        {
            "leave_type": leave_type(head, "personal"),
            "start_date": "2026-12-21",
            "end_date": "2026-12-21",
            "days": "1",
            "reason": "家事",
        },
    )
    summary = head.flow("leave_request", leave["id"], "submit")
    assert company.pending(summary) == ["gm"]  # 销售部 is at the top: no manager above its head


def test_the_applicant_reports_back_from_approved_leave(company) -> None:
    zhang = company.login("zhang")
    leave = zhang.create(
        "leave_request",
        {
            "leave_type": leave_type(zhang, "personal"),
            "start_date": "2026-11-23",
            "end_date": "2026-11-23",
            "days": "1",
            "reason": "搬家",
        },
    )
    buttons = f"/api/v1/oa/leave_request/{leave['id']}/buttons"
    assert zhang.client.get(buttons).get_json()["items"] == []  # not before the leave is approved
    zhang.flow("leave_request", leave["id"], "submit")
    company.login("lead").flow("leave_request", leave["id"], "approve")
    response = zhang.client.post(f"{buttons}/leave_back_at_work", json={})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["terminated_at"] is not None


def test_a_balance_is_read_by_its_employee_their_managers_and_hr_only(company) -> None:
    """zhang's balance (opened by HR): zhang, lead (head of 一组), sales_head (head of 销售部 above
    it) and HR read it; his teammate-to-be, other heads and colleagues elsewhere do not."""
    balance = open_balance(company, "zhang", "10")
    readers = {}
    for login in ("zhang", "lead", "sales_head", "hr", "gm", "li", "fin_dir", "writer", "office"):
        client = company.login(login).client
        found = client.get(f"/api/v1/oa/leave_balance/{balance}").status_code
        listed = [b["id"] for b in client.get("/api/v1/oa/leave_balance").get_json()["items"]]
        readers[login] = (found, balance in listed)
    assert readers == {
        "zhang": (200, True),
        "lead": (200, True),
        "sales_head": (200, True),
        "hr": (200, True),
        "gm": (404, False),  # heads 总经办, a top-level department beside 销售部: not his report
        "li": (404, False),
        "fin_dir": (404, False),
        "writer": (404, False),
        "office": (404, False),
    }


def test_a_balance_is_checked_again_at_submit(company) -> None:
    """Two drafts of 2 days each fit a 3-day balance when saved; once the first is approved,
    the second cannot be submitted: it is refused on its balance, not approved into the red."""
    balance = open_balance(company, "zhang", "3")
    zhang = company.login("zhang")
    values = {
        "leave_type": leave_type(zhang, "annual"),
        "balance": balance,
        "days": "1",
        "reason": "家事",
    }
    first = zhang.create("leave_request", {**values, "start_date": "2026-12-07", "end_date": "2026-12-07"})
    second = zhang.create(
        "leave_request", {**values, "days": "2.5", "start_date": "2026-12-14", "end_date": "2026-12-16"}
    )
    zhang.flow("leave_request", first["id"], "submit")
    company.login("lead").flow("leave_request", first["id"], "approve")
    assert zhang.get(f"leave_balance/{balance}")["remaining"] == "2.0"
    refused = zhang.client.post(f"/api/v1/oa/leave_request/{second['id']}/flow/submit", json={})
    assert refused.status_code == 422, refused.get_json()
    assert [(e["field"], e["code"]) for e in refused.get_json()["errors"]] == [("balance", "link_filtered")]
    assert zhang.get(f"leave_request/{second['id']}")["flow_status"] == "draft"


def test_revoked_leave_gives_its_days_back_to_the_balance(company) -> None:
    """Leave not taken after all is revoked (撤销); the manager who approved it agrees."""
    balance = open_balance(company, "zhang", "3")
    zhang, lead = company.login("zhang"), company.login("lead")
    leave = zhang.create("leave_request", {
        "leave_type": leave_type(zhang, "annual"), "balance": balance, "days": "1", "reason": "家事",
        "start_date": "2026-12-07", "end_date": "2026-12-07",
    })  # fmt: skip
    zhang.flow("leave_request", leave["id"], "submit")
    lead.flow("leave_request", leave["id"], "approve")
    assert zhang.get(f"leave_balance/{balance}")["remaining"] == "2.0"
    asked = zhang.flow("leave_request", leave["id"], "revoke", comment="行程取消，不再请假")
    assert company.pending(asked) == ["lead"]
    assert lead.flow("leave_request", leave["id"], "approve", comment="同意")["status"] == "revoked"
    assert zhang.get(f"leave_balance/{balance}")["remaining"] == "3.0"
    assert zhang.get(f"leave_request/{leave['id']}")["flow_status"] == "revoked"
