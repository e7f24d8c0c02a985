"""The nightly grant: this year's balances for every employed person, annual leave by years worked."""

from __future__ import annotations

import datetime as dt

GRANT = "oa.leave_balance_grant"


def profile(company, login: str, work_start: str, hire: str = "2024-03-01", **values) -> dict:
    return company.login("hr").create(
        "employee",
        {"person": company.users[login], "hire_date": hire, "work_start_date": work_start, **values},
    )


def run(company, now: dt.datetime | None = None):
    services = company.app.extensions["loom"]
    return services.automations.run_schedule(GRANT, now=now or company.clock.now)


def balances(company) -> dict[str, list[tuple[str, int, str]]]:
    """(title, year, quota) of every balance, by employee login, as HR lists them."""
    items = company.login("hr").get("leave_balance", page_size=100)["items"]
    found: dict[str, list[tuple[str, int, str]]] = {}
    for b in sorted(items, key=lambda b: (b["year"], b["title"])):
        found.setdefault(company.logins([b["employee"]])[0], []).append((b["title"], b["year"], b["quota"]))
    return found


def test_annual_leave_follows_the_years_worked_and_is_granted_once(company) -> None:
    """The site's day is 2026-12-03: 20 years to the day gives 15 days, a day short of 10 years 5."""
    profile(company, "zhang", "2026-06-01", hire="2026-06-01")  # under a year: 0
    profile(company, "li", "2016-12-04")  # 9 years, the 10th tomorrow: 5
    profile(company, "sun", "2014-12-03")  # 12 years: 10
    profile(company, "fin_dir", "2006-12-03", hire="2010-05-04")  # 20 years today: 15
    profile(company, "lead", "1998-07-01", status="left")  # left: nothing

    result = run(company)

    assert (result.matched, result.changed, result.failed) == (4, 4, 0), result.errors
    assert balances(company) == {
        "zhang": [("2026 年假", 2026, "0.0")],
        "li": [("2026 年假", 2026, "5.0")],
        "sun": [("2026 年假", 2026, "10.0")],
        "fin_dir": [("2026 年假", 2026, "15.0")],
    }  # 调休 is not granted: it is earned by overtime
    hr = company.login("hr")
    assert {e["leave_granted_year"] for e in hr.get("employee")["items"] if e["status"] == "active"} == {2026}
    # The next night nothing is left to grant.
    assert run(company, company.clock.now + dt.timedelta(days=1)).matched == 0
    assert len(hr.get("leave_balance")["items"]) == 4


def test_a_granted_balance_is_the_employees_own(company) -> None:
    profile(company, "zhang", "2015-02-01")
    run(company)
    zhang = company.login("zhang")
    [mine] = zhang.get("leave_balance")["items"]
    assert (mine["employee"], mine["owner"], mine["quota"]) == (company.users["zhang"],) * 2 + ("10.0",)
    # He (and his managers) read his profile; a colleague elsewhere does not.
    [own] = zhang.get("employee")["items"]
    assert own["person"] == company.users["zhang"]
    assert company.login("lead").get("employee")["total"] == 1
    assert company.login("li").get("employee")["total"] == 0


def test_a_balance_hr_made_is_kept_and_other_types_are_still_granted(company) -> None:
    hr = company.login("hr")
    types = {t["code"]: t for t in hr.get("leave_type", page_size=100)["items"]}
    annual, comp_off = types["annual"]["id"], types["comp_off"]["id"]
    changed = hr.client.patch(
        f"/api/v1/oa/leave_type/{comp_off}", json={"grant_by": "fixed", "annual_quota": "2"}
    )
    assert changed.status_code == 200, changed.get_json()
    hr.create(
        "leave_balance",
        {
            "title": "2026 年假（补录）",
            "employee": company.users["zhang"],
            "leave_type": annual,
            "year": 2026,
            "quota": "3",
        },
    )
    profile(company, "zhang", "2001-01-01")

    result = run(company)

    assert (result.matched, result.changed, result.failed) == (1, 1, 0), result.errors
    assert balances(company) == {"zhang": [("2026 年假（补录）", 2026, "3.0"), ("2026 调休", 2026, "2.0")]}


def test_a_new_hire_is_granted_the_next_night_and_everyone_again_in_the_new_year(company) -> None:
    profile(company, "li", "2016-01-01")
    run(company)
    profile(company, "zhang", "2025-12-20", hire="2026-12-03")  # a year of work on 2026-12-20
    night = dt.datetime(2026, 12, 4, 0, 10, tzinfo=company.clock.now.tzinfo)
    assert (run(company, night).matched, run(company, night).matched) == (1, 0)
    new_year = dt.datetime(2027, 1, 1, 0, 10, tzinfo=company.clock.now.tzinfo)
    assert run(company, new_year).changed == 2
    assert balances(company) == {
        "li": [("2026 年假", 2026, "10.0"), ("2027 年假", 2027, "10.0")],
        "zhang": [("2026 年假", 2026, "0.0"), ("2027 年假", 2027, "5.0")],
    }
