"""`loom automation list|run` and `loom recompute` on a real site, as people and scripts call them."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import update

from loom.platform.actor import SYSTEM
from loom.platform.cli import cli


def stale_customer(services, title: str) -> int:
    table = services.runtime.schema.of("sales.customer").table
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=45)
    with services.runtime.engine.begin() as conn:
        values = {"title": title, "in_pool": False, "deal_status": "none", "last_follow_up_at": long_ago}
        stamps = {"created_at": long_ago, "updated_at": long_ago, "version": 1}
        return conn.execute(table.insert().values(**values, **stamps).returning(table.c.id)).scalar_one()


def test_automation_list_and_a_dry_run_change_nothing(sales_site) -> None:
    services, folder = sales_site
    record_id = stale_customer(services, "久未跟进")
    runner = CliRunner()
    listed = runner.invoke(cli, ["automation", "list", "--site", str(folder), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    triggers = {row["name"]: (row["trigger"], row["schedule"]) for row in json.loads(listed.stdout)}
    assert triggers["sales.pool_reclaim"] == ("schedule", "0 2 * * *")
    assert triggers["sales.convert_lead"] == ("button", None)

    dry = runner.invoke(cli, ["automation", "run", "pool_reclaim", "--dry-run", "--site", str(folder)])
    assert dry.exit_code == 0, dry.output
    assert "1 matched, 1 would change, 0 failed" in dry.output
    assert f"#{record_id}" in dry.output and "in_pool: False → True" in dry.output
    assert services.records.get("sales.customer", record_id, SYSTEM)["in_pool"] is False

    run = ["automation", "run", "pool_reclaim", "--site", str(folder), "--format", "json"]
    done = runner.invoke(cli, run)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["changed"] == 1
    assert services.records.get("sales.customer", record_id, SYSTEM)["in_pool"] is True


def test_an_unknown_automation_is_a_clear_error(sales_site) -> None:
    _, folder = sales_site
    result = CliRunner().invoke(cli, ["automation", "run", "no_such_rule", "--site", str(folder)])
    assert result.exit_code == 1
    assert "no scheduled automation named 'no_such_rule'" in result.output
    assert "sales.pool_reclaim" in result.output and "Traceback" not in result.output


def test_recompute_rebuilds_a_rollup_from_its_records(sales_site) -> None:
    services, folder = sales_site
    contract = services.records.create("sales.contract", {"title": "合同", "amount": "100"}, SYSTEM)
    services.records.create("sales.receivable", {"contract": contract["id"], "amount": "30"}, SYSTEM)
    table = services.runtime.schema.of("sales.contract").table
    with services.runtime.engine.begin() as conn:
        conn.execute(update(table).values(received_total=0))
    result = CliRunner().invoke(cli, ["recompute", "sales.contract.received_total", "--site", str(folder)])
    assert result.exit_code == 0, result.output
    assert "sales.contract.received_total: 1 record(s) recomputed" in result.output
    assert str(services.records.get("sales.contract", contract["id"], SYSTEM)["received_total"]) == "30.00"
    unknown = CliRunner().invoke(cli, ["recompute", "sales.contract.title", "--site", str(folder)])
    assert unknown.exit_code == 1 and "no rollup field 'sales.contract.title'" in unknown.output
