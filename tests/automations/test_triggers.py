"""Each trigger and action kind, run through the records and flow services."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from sqlalchemy import event
from sqlalchemy import select

from loom.platform.automations.errors import AutomationFailed
from loom.platform.automations.errors import AutomationLoop
from loom.platform.records.errors import NotFound
from loom.platform.records.errors import PermissionDenied
from loom.platform.records.errors import ValidationFailed


def notifications(sales, user: str) -> list[dict]:
    table = sales.services.runtime.schema.metadata.tables["loom_notifications"]
    with sales.services.runtime.engine.connect() as conn:
        query = select(table).where(table.c.user_id == sales.users[user].id, table.c.kind == "automation")
        return [dict(r) for r in conn.execute(query).mappings()]


def test_button_converts_a_lead_into_customer_contact_and_opportunity(sales) -> None:
    lead = sales.create("lead", company="华为", contact_name="张三", phone="13800000000")
    automations = sales.services.automations
    offered = automations.buttons("sales.lead", lead["id"], sales.users["anna"])
    assert [(b["name"], b["label"]["zh"]) for b in offered] == [("sales.convert_lead", "转化")]
    assert offered[0]["params"][0]["name"] == "opportunity_title"

    after = automations.press(
        "sales.lead", lead["id"], "convert_lead", {"opportunity_title": "5G 基站"}, sales.users["anna"]
    )

    [customer] = sales.all("customer")
    [contact] = sales.all("contact")
    [opportunity] = sales.all("opportunity")
    assert (customer["title"], customer["phone"], customer["owner_user"]) == (
        "华为",
        "13800000000",
        sales.users["anna"].id,
    )
    assert (contact["name"], contact["customer"]) == ("张三", customer["id"])
    assert (opportunity["title"], opportunity["customer"], opportunity["stage"]) == (
        "5G 基站",
        customer["id"],
        "initial",
    )
    assert (after["status"], after["customer"]) == ("converted", customer["id"])
    # Converted: the button is gone, and pressing it anyway is refused.
    assert automations.buttons("sales.lead", lead["id"], sales.users["anna"]) == []
    anna = sales.users["anna"]
    with pytest.raises(PermissionDenied):
        automations.press("sales.lead", lead["id"], "convert_lead", {"opportunity_title": "x"}, anna)


def test_button_checks_roles_and_parameters(sales) -> None:
    lead = sales.create("lead", company="腾讯")
    automations = sales.services.automations
    manager = sales.users["mgr"]  # may read the lead, but is not in the button's roles
    assert automations.buttons("sales.lead", lead["id"], manager) == []
    with pytest.raises(PermissionDenied):
        automations.press("sales.lead", lead["id"], "convert_lead", {"opportunity_title": "x"}, manager)
    with pytest.raises(ValidationFailed) as error:
        automations.press("sales.lead", lead["id"], "convert_lead", {}, sales.users["anna"])
    assert [e.field for e in error.value.errors] == ["params.opportunity_title"]
    assert sales.all("customer") == []


def test_flow_finished_wins_the_deal_and_plans_receivables(sales) -> None:
    customer = sales.create("customer", title="阿里巴巴")
    opportunity = sales.create("opportunity", title="云服务", customer=customer["id"])
    links = {"customer": customer["id"], "opportunity": opportunity["id"]}
    contract = sales.create("contract", title="云服务合同", amount="150000", **links)
    flows = sales.services.flows
    flows.submit("sales.contract", contract["id"], sales.users["anna"])
    assert sales.get("opportunity", opportunity["id"])["stage"] == "initial"

    flows.act("sales.contract", contract["id"], sales.users["fina"], "approve", {})

    assert sales.get("customer", customer["id"])["deal_status"] == "deal"
    won = sales.get("opportunity", opportunity["id"])
    assert (won["stage"], won["win_probability"]) == ("won", 100)
    plans = sorted(sales.all("receivable_plan"), key=lambda p: p["period"])
    assert [(p["period"], p["amount"]) for p in plans] == [
        (1, decimal.Decimal("60000.00")),
        (2, decimal.Decimal("90000.00")),
    ]
    # The opportunity's stage change to "won" notified its owner and the sales managers.
    assert [n["message"]["text"]["zh"] for n in notifications(sales, "anna")] == ["商机已赢单"]
    assert [n["message"]["title"]["en"] for n in notifications(sales, "mgr")] == ["Won"]


def test_rejected_contract_changes_nothing(sales) -> None:
    opportunity = sales.create("opportunity", title="云服务")
    contract = sales.create("contract", title="合同", opportunity=opportunity["id"], amount="1000")
    sales.services.flows.submit("sales.contract", contract["id"], sales.users["anna"])
    flows = sales.services.flows
    flows.act("sales.contract", contract["id"], sales.users["fina"], "reject", {"comment": "no"})
    assert sales.get("opportunity", opportunity["id"])["stage"] == "initial"
    assert sales.all("receivable_plan") == []


def test_created_trigger_updates_the_customer_of_a_follow_up(sales) -> None:
    customer = sales.create("customer", title="京东")
    assert customer["last_follow_up_at"] is None
    sales.create("follow_up", customer=customer["id"], content="电话沟通")
    touched = sales.get("customer", customer["id"])["last_follow_up_at"]
    assert touched is not None and abs(touched - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_an_automation_writing_another_record_reads_neither_record_again(sales) -> None:
    """The follow-up is not re-read after its automation (it did not change), and the customer
    row is selected once, to find and lock it for the update (which runs as the system and needs
    no second read); the UPDATE returns it as stored."""
    customer = sales.create("customer", title="京东")
    selects: list[str] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("SELECT"):
            selects.append(statement.split(",")[0])

    engine = sales.services.runtime.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        made = sales.create("follow_up", customer=customer["id"], content="电话沟通")
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert made["content"] == "电话沟通" and made["version"] == 1
    assert selects.count("SELECT sales_follow_up.id") == 0
    assert selects.count("SELECT sales_customer.id") == 1
    assert sales.get("customer", customer["id"])["last_follow_up_at"] is not None


def test_fail_action_blocks_the_change_with_the_business_message(sales) -> None:
    customer = sales.create("customer", title="字节跳动")
    locked = sales.update("customer", customer["id"], locked=True)
    with pytest.raises(ValidationFailed) as error:
        sales.update("customer", customer["id"], title="改名")
    assert [(e.field, e.message("zh")) for e in error.value.errors] == [("_record", "客户已锁定，不能修改。")]
    assert sales.get("customer", customer["id"])["title"] == "字节跳动"
    assert sales.get("customer", customer["id"])["version"] == locked["version"]


def test_deleted_trigger_sees_the_record_as_it_was(sales) -> None:
    customer = sales.create("customer", title="美团")
    contact = sales.create("contact", name="李四", customer=customer["id"])
    sales.services.records.delete("sales.contact", contact["id"], sales.users["anna"])
    assert [log["reason"] for log in sales.all("owner_log")] == ["contact 李四 deleted"]


def test_changed_trigger_ignores_other_changes(sales) -> None:
    opportunity = sales.create("opportunity", title="机会")
    sales.update("opportunity", opportunity["id"], stage="negotiation")
    sales.update("opportunity", opportunity["id"], win_probability=50)
    assert notifications(sales, "anna") == []
    sales.update("opportunity", opportunity["id"], stage="won")
    assert len(notifications(sales, "anna")) == 1


FAILING_CREATE = """\
    kind: automation
    name: broken_plan
    label: {zh: 错误的计划, en: Broken plan}
    on: {created: contract}
    do:
      - set: {title: '"已登记 " + record.title'}
      - create: {entity: receivable_plan, values: {period: "1"}}
    """


def test_a_failing_action_rolls_back_the_trigger_and_names_the_automation(make_sales) -> None:
    sales = make_sales({"automations/broken_plan.yaml": FAILING_CREATE})
    with pytest.raises(AutomationFailed) as error:
        sales.create("contract", title="合同", amount="10")
    assert error.value.params["automation"]["en"] == "Broken plan"
    assert (error.value.params["action"], error.value.params["kind"]) == (2, "create")
    assert "contract" in error.value.message("en")
    assert [e.field for e in error.value.errors] == ["contract"]
    assert sales.all("contract") == [] and sales.all("receivable_plan") == []


PLAN_PER_CUSTOMER = """\
    kind: automation
    name: plan_per_customer
    label: One plan per customer
    on: {created: contract}
    do:
      - create:
          entity: receivable_plan
          for_each: {entity: customer, where: "!in_pool && title != record.title"}
          values: {contract: record.id, amount: record.amount, period: item.id}
    """


def test_a_for_each_query_creates_one_record_per_match_the_user_may_read(make_sales) -> None:
    """Run as the user, the query reaches her customers only (sales read their own), and its
    condition reads the queried entity's fields bare and the trigger record as ``record``."""
    sales = make_sales({"automations/plan_per_customer.yaml": PLAN_PER_CUSTOMER})
    mine = sales.create("customer", title="甲")
    sales.create("customer", title="乙")
    sales.create("customer", title="丙", in_pool=True)
    sales.create("customer", title="丁", who="bert")
    contract = sales.create("contract", title="乙", amount="10")
    plans = sales.all("receivable_plan")
    assert [(p["contract"], p["period"]) for p in plans] == [(contract["id"], mine["id"])]


SET_ON_CREATE = """\
    kind: automation
    name: title_prefix
    label: Title prefix
    on: {created: contract}
    do:
      - set: {title: '"HT-" + record.title'}
    """


def test_set_on_the_trigger_record_is_in_the_returned_record(make_sales) -> None:
    sales = make_sales({"automations/title_prefix.yaml": SET_ON_CREATE})
    contract = sales.create("contract", title="合同", amount="10")
    assert contract["title"] == "HT-合同"
    assert contract["version"] == 2


SET_TOO_LARGE = """\
    kind: automation
    name: scale_up
    label: Scale up
    on: {created: contract}
    do:
      - set: {amount: "record.amount * 100000000000000.0"}
    """


def test_a_set_result_too_large_for_its_column_is_refused_as_an_entered_value_is(make_sales) -> None:
    """amount holds 16 digits before the point: 10 × 10^14 fits, 1000 × 10^14 does not, and
    PostgreSQL would fail the statement where SQLite stores it; both refuse it by field."""
    sales = make_sales({"automations/scale_up.yaml": SET_TOO_LARGE})
    fits = sales.create("contract", title="小", amount="10")
    assert fits["amount"] == decimal.Decimal("1000000000000000.00")
    with pytest.raises(AutomationFailed) as error:
        sales.create("contract", title="大", amount="1000")
    assert [(e.field, e.code) for e in error.value.errors] == [("amount", "digits")]
    assert [c["title"] for c in sales.all("contract")] == ["小"]


LOOP = """\
    kind: automation
    name: bump
    label: {zh: 自增, en: Bump}
    max_depth: 3
    on: {updated: opportunity}
    if: "record.win_probability < 1000"  # a guard the validator cannot see through
    do:
      - set: {win_probability: "record.win_probability + 1"}
    """


def test_an_automation_that_retriggers_itself_is_cut_with_a_clear_error(make_sales) -> None:
    sales = make_sales({"automations/bump.yaml": LOOP})
    opportunity = sales.create("opportunity", title="机会")
    with pytest.raises(AutomationLoop) as error:
        sales.update("opportunity", opportunity["id"], title="新标题")
    assert error.value.params["depth"] == 4
    assert "sales.bump → sales.bump" in error.value.message("en")
    assert sales.get("opportunity", opportunity["id"])["title"] == "机会"


START_FLOW = """\
    kind: automation
    name: auto_submit
    label: Auto submit
    on: {created: contract}
    if: "record.amount < 1000.0"
    do:
      - start_flow: contract_approval
    """


def test_start_flow_submits_the_record(make_sales) -> None:
    sales = make_sales({"automations/auto_submit.yaml": START_FLOW})
    small = sales.create("contract", title="小合同", amount="500")
    large = sales.create("contract", title="大合同", amount="5000")
    assert sales.get("contract", small["id"])["flow_status"] == "in_approval"
    assert sales.get("contract", large["id"])["flow_status"] in (None, "draft")


RUN_AS_USER = """\
    kind: automation
    name: log_owner
    label: Log owner
    on: {created: customer}
    do:
      - create: {entity: owner_log, values: {customer: record.id, to_user: user}}
    """


def test_actions_run_with_the_permissions_of_the_triggering_user(make_sales) -> None:
    sales = make_sales({"automations/log_owner.yaml": RUN_AS_USER})
    with pytest.raises(AutomationFailed) as error:
        sales.create("customer", title="无权限")  # sales may not create owner_log records
    assert isinstance(error.value.cause, PermissionDenied)
    assert sales.all("customer") == []
    made = sales.create("customer", who="mgr", title="经理")
    assert made is not None


PLAN_FROM_LINKS = """\
    kind: automation
    name: plan_title
    label: Plan from the customer
    on: {created: contract}
    if: "record.customer != null"
    do:
      - create:
          entity: owner_log
          values:
            customer: record.customer
            reason: '"合同 " + record.title + " / " + linked.customer.title'
    """


def test_create_maps_values_from_the_records_the_trigger_links_to(make_sales) -> None:
    sales = make_sales({"automations/plan_title.yaml": PLAN_FROM_LINKS})
    customer = sales.create("customer", who="mgr", title="小米")
    sales.create("contract", who="mgr", title="手机合同", customer=customer["id"], amount="10")
    assert [log["reason"] for log in sales.all("owner_log")] == ["合同 手机合同 / 小米"]


TRANSFER = """\
    kind: automation
    name: transfer
    label: {zh: 转移, en: Transfer}
    run_as: system
    on:
      button:
        entity: customer
        label: {zh: 转移, en: Transfer}
        params: [{name: to, type: user, required: true}]
    do:
      - set: {owner: params.to, owner_user: params.to}
    """


def test_a_system_automation_may_hand_a_record_to_another_owner(make_sales) -> None:
    sales = make_sales({"automations/transfer.yaml": TRANSFER})
    customer = sales.create("customer", title="转给 bert")
    bert = sales.users["bert"]
    with pytest.raises(NotFound):  # not bert's yet: he cannot even see it
        sales.services.records.get("sales.customer", customer["id"], bert)
    sales.services.automations.press(
        "sales.customer", customer["id"], "transfer", {"to": bert.id}, sales.users["anna"]
    )
    moved = sales.services.records.get("sales.customer", customer["id"], bert)
    assert (moved["owner"], moved["owner_user"]) == (bert.id, bert.id)


RENEW = """\
    kind: automation
    name: renew
    label: {zh: 续签, en: Renew}
    on:
      button:
        entity: contract
        label: {zh: 续签, en: Renew}
        confirm: 续签此合同？
        when: 'linked.customer.deal_status == "deal"'
    do:
      - create:
          entity: contract
          values: {title: '"续签 " + record.title', amount: record.amount, customer: record.customer}
    """


def test_a_button_shows_by_what_the_record_links_to(make_sales) -> None:
    sales = make_sales({"automations/renew.yaml": RENEW})
    customer = sales.create("customer", title="老客户")
    contract = sales.create("contract", title="年度合同", amount="100", customer=customer["id"])
    automations, anna = sales.services.automations, sales.users["anna"]
    assert automations.buttons("sales.contract", contract["id"], anna) == []
    sales.update("customer", customer["id"], deal_status="deal")
    [button] = automations.buttons("sales.contract", contract["id"], anna)
    assert button["confirm"] == {"zh": "续签此合同？", "en": "续签此合同？"}
    automations.press("sales.contract", contract["id"], "renew", {}, anna)
    assert sorted(c["title"] for c in sales.all("contract")) == ["年度合同", "续签 年度合同"]


NEGATIVE_PLAN = """\
    kind: automation
    name: refund_plan
    label: {zh: 退款计划, en: Refund plan}
    on: {created: contract}
    do:
      - create: {entity: receivable_plan, values: {contract: record.id, amount: "0.0 - record.amount"}}
    """
PLAN_WITH_RULE = """\
    kind: entity
    name: receivable_plan
    label: Receivable plan
    fields:
      - {name: contract, type: link, entity: contract, required: true, on_delete: cascade}
      - {name: period, type: integer}
      - {name: amount, type: money}
    rules:
      - check: "amount >= 0.0"
        field: amount
        message: {zh: 金额不能为负, en: The amount cannot be negative}
    permissions: [{role: sales, create: true, read: own}]
    """


def test_a_rule_of_the_record_an_action_writes_names_the_automation(make_sales) -> None:
    sales = make_sales(
        {"automations/refund_plan.yaml": NEGATIVE_PLAN, "entities/receivable_plan.yaml": PLAN_WITH_RULE}
    )
    with pytest.raises(AutomationFailed) as error:
        sales.create("contract", title="合同", amount="10")
    assert error.value.params["automation"]["en"] == "Refund plan"
    broken = [(e.field, e.message("en")) for e in error.value.errors]
    assert broken == [("amount", "The amount cannot be negative")]
    assert sales.all("contract") == []
