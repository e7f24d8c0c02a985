"""Every builtin report on the demo company, checked cell by cell against SQL written here by
hand, on SQLite and PostgreSQL; the funnels of a salesperson and of the sales director, each
against SQL limited to what they may read; and drill-down from a funnel bar to its list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text

from loom.platform.actor import SYSTEM
from loom.platform.app import create_app
from loom.platform.cli import cli
from loom.platform.demo.company import PASSWORD
from loom.platform.site import open_site

from ..conftest import DATABASES

# The hand-written query of each builtin report: dimensions first, then measures in the
# report's order. {month:col} buckets a date, {month_local:col} a datetime in Shanghai.
EXPECTED = {
    "crm.campaign_results": """SELECT campaign_type, count(*), sum(actual_cost), sum(lead_count),
        sum(converted_count) FROM crm_campaign GROUP BY campaign_type""",
    "crm.contract_amount_by_month": """SELECT {month:order_date}, sum(amount), sum(received_amount),
        count(*) FROM crm_contract WHERE status = 'effective' GROUP BY 1""",
    "crm.contract_vs_receivable": """SELECT customer, sum(amount), sum(received_amount),
        sum(unreceived_amount), sum(invoiced_amount), sum(received_amount) * 1.0 / nullif(sum(amount), 0)
        FROM crm_contract WHERE status = 'effective' GROUP BY customer""",
    "crm.customer_portrait": """SELECT industry, level, count(*), sum(contract_total) FROM crm_customer
        WHERE NOT coalesce(in_pool, {false}) GROUP BY industry, level""",
    "crm.customer_sources": """SELECT source, deal_status, count(*), sum(contract_total) FROM crm_customer
        GROUP BY source, deal_status""",
    "crm.department_performance": """SELECT u.department_id, {month:c.order_date}, count(*), sum(c.amount),
        sum(c.received_amount), sum(c.received_amount) * 1.0 / nullif(sum(c.amount), 0)
        FROM crm_contract c LEFT JOIN loom_users u ON u.id = c.owner_user
        WHERE c.status = 'effective' GROUP BY 1, 2""",
    "crm.employee_performance": """SELECT owner_user, {month:order_date}, count(*), sum(amount),
        sum(received_amount) FROM crm_contract WHERE status = 'effective' GROUP BY 1, 2""",
    "crm.follow_up_analysis": """SELECT owner_user, method, count(*), count(DISTINCT customer)
        FROM crm_follow_up GROUP BY 1, 2""",
    "crm.lead_sources": "SELECT source, converted, count(*) FROM crm_lead GROUP BY 1, 2",
    "crm.lost_reasons": """SELECT lost_reason, count(*), sum(amount) FROM crm_opportunity
        WHERE end_status = 'lost' GROUP BY 1""",
    "crm.new_opportunities": """SELECT {month_local:created_at}, count(*), sum(amount) FROM crm_opportunity
        GROUP BY 1""",
    "crm.opportunity_outcomes": "SELECT end_status, count(*), sum(amount) FROM crm_opportunity GROUP BY 1",
    "crm.pool_analysis": """SELECT {month_local:changed_at}, change_type, count(*) FROM crm_owner_change_log
        GROUP BY 1, 2""",
    "crm.receivable_plan_status": """SELECT status, {month:planned_date}, count(*), sum(planned_amount),
        sum(received_amount) FROM crm_receivable_plan WHERE status <> 'voided' OR status IS NULL
        GROUP BY 1, 2""",
    "crm.sales_funnel": """SELECT stage, count(*), sum(amount), sum(weighted_amount) FROM crm_opportunity
        WHERE end_status = 'open' GROUP BY stage""",
    "crm.satisfaction": """SELECT satisfaction, count(*) FROM crm_return_visit WHERE status = 'done'
        GROUP BY 1""",
    "crm.service_stats": "SELECT ticket_type, priority, count(*) FROM crm_service_ticket GROUP BY 1, 2",
    "crm.stage_conversion": """SELECT {month_local:changed_at}, to_stage, count(*), sum(amount)
        FROM crm_stage_change GROUP BY 1, 2""",
    "oa.expenses_by_category": """SELECT category, department, sum(total), count(*) FROM oa_expense_claim
        WHERE flow_status = 'approved' GROUP BY 1, 2""",
    "oa.leave_by_type": """SELECT leave_type, {month:start_date}, sum(days), count(*) FROM oa_leave_request
        WHERE flow_status = 'approved' GROUP BY 1, 2""",
    "oa.purchases_by_type": """SELECT purchase_type, {month_local:created_at}, sum(total_amount), count(*)
        FROM oa_purchase_request WHERE flow_status = 'approved' GROUP BY 1, 2""",
    "oa.seal_use_by_seal": """SELECT seal, {month_local:used_at}, count(*), sum(copies) FROM oa_seal_use
        GROUP BY 1, 2""",
    "oa.trip_ranking": """SELECT applicant, count(*), sum(total_days) FROM oa_trip_request
        WHERE flow_status = 'approved' GROUP BY 1""",
}
BUCKETS = {
    "sqlite": {
        "month": "strftime('%Y-%m-01', {0})",
        "month_local": "strftime('%Y-%m-01', {0}, '+8 hours')",  # Shanghai keeps no daylight saving
        "false": "0",
    },
    "postgresql": {
        "month": "to_char({0}, 'YYYY-MM-01')",
        "month_local": "to_char({0} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-01')",
        "false": "false",
    },
}


@pytest.fixture(scope="module", params=DATABASES)
def demo(request, tmp_path_factory, postgres_schema) -> Iterator[Flask]:
    """A site with the builtin apps and the demo company, once per module and database."""
    folder = tmp_path_factory.mktemp("demo")

    def build(url: str) -> Flask:
        (folder / "site.yaml").write_text(f"database: '{url}'\napps: [oa, crm]\nsecret_key: test\n", "utf-8")
        for command in (["migrate", "--apply"], ["demo"]):
            result = CliRunner().invoke(cli, [*command, "--site", str(folder)])
            assert result.exit_code == 0, result.output
        return create_app(open_site(str(folder), create=False), config={"TESTING": True})

    if request.param == "sqlite":
        app = build(f"sqlite:///{folder / 'loom.db'}")
        yield app
    else:
        with postgres_schema("rep") as url:
            app = build(url)
            yield app
            app.extensions["loom"].runtime.engine.dispose()


def hand_sql(source: str, dialect: str) -> str:
    words = BUCKETS[dialect]
    out = source.replace("{false}", words["false"])
    for kind in ("month_local", "month"):
        while "{" + kind + ":" in out:
            start = out.index("{" + kind + ":")
            end = out.index("}", start)
            column = out[start + len(kind) + 2 : end]
            out = out[:start] + words[kind].format(column) + out[end + 1 :]
    return out


def normal(value):
    """A key or number as both sides can compare it."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return round(float(value), 2)


def expected_rows(app: Flask, name: str) -> dict:
    engine = app.extensions["loom"].runtime.engine
    report = reports_of(app).reports[name]
    dims = len(report.dimensions)
    booleans = [i for i, d in enumerate(report.dimensions) if d.path == "converted"]
    with engine.connect() as conn:
        rows = conn.execute(text(hand_sql(EXPECTED[name], engine.dialect.name))).all()
    found = {}
    for row in rows:
        keys = tuple(
            bool(k) if i in booleans and k is not None else normal(k) for i, k in enumerate(row[:dims])
        )
        found[keys] = tuple(normal(v) for v in row[dims:])
    return found


def reports_of(app: Flask):
    from loom.platform.api.reports import reports_of as built

    return built(app)


def test_every_builtin_report_has_a_hand_written_query() -> None:
    app_reports = {p.parent.parent.name + "." + p.stem for p in BUILTIN.glob("*/reports/*.yaml")}
    assert app_reports == set(EXPECTED)


BUILTIN = Path(__file__).resolve().parents[2] / "loom" / "builtin_apps"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_report_matches_hand_written_sql(demo: Flask, name: str) -> None:
    result = reports_of(demo).run(name, SYSTEM)
    measures = [m.name for m in result.report.measures]
    got = {
        tuple(normal(k) for k in row.keys): tuple(
            normal(row.values[m]) if row.values[m] is not None else None for m in measures
        )
        for row in result.rows
    }
    expected = expected_rows(demo, name)
    assert got == expected, name
    assert result.rows, f"{name} shows nothing on the demo data"


def funnel_sql(app: Flask, login: str | None, own: bool = False) -> dict:
    """The open opportunities by stage that ``login`` may read (everyone's with None): their own
    (a salesperson, crm_sales), or their department's, sub-departments included (a team lead)."""
    engine = app.extensions["loom"].runtime.engine
    scope = ""
    if own:
        scope = "AND owner = (SELECT id FROM loom_users WHERE login = :login)"
    elif login is not None:
        scope = """AND owner IN (SELECT u.id FROM loom_users u WHERE u.department_id IN (
            SELECT d.id FROM loom_departments d
            WHERE d.id = (SELECT department_id FROM loom_users WHERE login = :login)
            OR d.parent_id = (SELECT department_id FROM loom_users WHERE login = :login)))"""
    query = f"""SELECT stage, count(*), sum(amount) FROM crm_opportunity
        WHERE end_status = 'open' {scope} GROUP BY stage"""
    with engine.connect() as conn:
        rows = conn.execute(text(query), {"login": login}).all()
    return {row[0]: (row[1], normal(row[2])) for row in rows}


def signed_in(app: Flask, login: str):
    client = app.test_client()
    response = client.post("/api/v1/auth/login", json={"login": login, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return client


def api_funnel(app: Flask, login: str) -> dict:
    body = signed_in(app, login).get("/api/v1/reports/crm/sales_funnel").get_json()
    return {
        row["keys"][0]: (row["values"]["opportunities"], normal(row["values"]["amount"]))
        for row in body["rows"]
    }


def test_a_salesperson_a_team_lead_and_the_sales_director_get_their_own_funnels(demo: Flask) -> None:
    salesperson, lead = api_funnel(demo, "chenjing"), api_funnel(demo, "liuyang")
    director = api_funnel(demo, "zhangwei")
    assert salesperson == funnel_sql(demo, "chenjing", own=True)
    assert lead == funnel_sql(demo, "liuyang")
    assert director == funnel_sql(demo, None)
    assert lead != director
    assert sum(c for c, _ in salesperson.values()) <= sum(c for c, _ in lead.values())
    assert 0 < sum(c for c, _ in lead.values()) < sum(c for c, _ in director.values())


def test_drill_down_from_a_funnel_bar_lists_as_many_records_as_the_bar(demo: Flask) -> None:
    client = signed_in(demo, "liuyang")
    body = client.get("/api/v1/reports/crm/sales_funnel").get_json()
    assert body["chart"]["type"] == "funnel"
    for row, link in zip(body["rows"], body["chart"]["series"][0]["links"], strict=True):
        assert link == row["drill"]["portal"]
        listed = client.get(row["drill"]["api"]).get_json()
        assert listed["total"] == row["values"]["opportunities"]
        page = client.get(link + "&lang=en")
        assert page.status_code == 200
        assert f"{row['values']['opportunities']} in all" in page.get_data(as_text=True)
