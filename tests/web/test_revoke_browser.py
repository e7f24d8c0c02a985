"""Issue #18's scenario (f) in a real browser, in Chinese, on a 375 px phone and a desktop: a
salesperson revokes (撤销) her approved contract giving a reason, the manager who approved it
agrees from the inbox, and the contract is editable again while its customer and opportunity are
back as they were before the approval (未成交; 进行中 at the stage's 80%)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from loom.platform.actor import Actor
from loom.platform.seeds import install_seeds

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def crm(portal):
    """CRM's seed data, emma selling and mona (her department's head) managing sales."""
    services = portal.services()
    install_seeds(services.records)
    with services.runtime.engine.begin() as conn:
        services.identity.set_roles(conn, portal.users["emma"], ["crm_sales"])
        services.identity.set_roles(conn, portal.users["mona"], ["crm_sales_manager"])
    return services


def actor(crm, portal, login: str) -> Actor:
    with crm.runtime.engine.connect() as conn:
        return crm.identity.actor(conn, portal.users[login])


def seed_id(crm, entity: str, code: str) -> int:
    table = crm.runtime.schema.of(entity).table
    with crm.runtime.engine.connect() as conn:
        return conn.execute(select(table.c.id).where(table.c.code == code)).scalar_one()


def approved_contract(crm, portal, name: str) -> dict[str, int]:
    """A customer, its opportunity at the quote stage and their contract, approved by mona."""
    records, flows = crm.records, crm.flows
    emma, mona = actor(crm, portal, "emma"), actor(crm, portal, "mona")
    group = seed_id(crm, "crm.opportunity_stage_group", "quick")
    stage = seed_id(crm, "crm.opportunity_stage", "quick_quote")
    phone = {"台州": "0576-8777888", "温州": "0577-8666777"}[name]  # a customer's telephone is unique
    customer = records.create("crm.customer", {"name": f"{name}汽配", "telephone": phone}, emma)
    opportunity = records.create(
        "crm.opportunity",
        {"name": f"{name} MES", "customer": customer["id"], "stage_group": group, "stage": stage},
        emma,
    )
    values = {"name": f"{name} MES 合同", "customer": customer["id"], "opportunity": opportunity["id"]}
    contract = records.create("crm.contract", {**values, "amount": "30000", "order_date": "2026-11-20"}, emma)
    flows.submit("crm.contract", contract["id"], emma)
    flows.act("crm.contract", contract["id"], mona, "approve", {"comment": "同意签约"})
    return {"customer": customer["id"], "opportunity": opportunity["id"], "contract": contract["id"]}


def errors_of(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def fits(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, page.url


def test_a_revoked_contract_puts_the_customer_and_opportunity_back(
    crm, sign_in, shoot, portal, viewport: dict
) -> None:
    shot = "phone" if viewport["width"] < 576 else "desktop"
    ids = approved_contract(crm, portal, "台州" if shot == "phone" else "温州")
    url = f"{portal.url}/crm/contract/{ids['contract']}"

    emma = sign_in("emma", viewport, "zh")
    problems = errors_of(emma)
    emma.goto(url)
    expect(emma.locator("#flow-status")).to_have_text("已通过")
    expect(emma.locator("#edit-record")).to_have_count(0)  # approved: locked
    expect(emma.locator("label[for=flow-comment-text]")).to_have_text("撤销原因")
    expect(emma.locator("#flow-revoke")).to_have_text("撤销")
    shoot(emma, f"{shot}-01-approved-contract")
    fits(emma)
    emma.fill("#flow-comment-text", "客户取消采购，合同不再执行")
    emma.click("#flow-revoke")
    expect(emma.locator("#timeline [data-event=revoke]")).to_contain_text("申请撤销")
    expect(emma.locator("#timeline [data-comment]").last).to_have_text("客户取消采购，合同不再执行")
    expect(emma.locator("#timeline-title")).to_contain_text("撤销审批中")
    expect(emma.locator("#flow-status")).to_have_text("已通过")  # in effect until mona agrees
    expect(emma.locator("#revoke-pending")).to_have_text("撤销审批中")
    expect(emma.locator("#timeline [data-waiting]")).to_contain_text("待同意撤销")
    shoot(emma, f"{shot}-02-revoke-asked")
    fits(emma)

    mona = sign_in("mona", viewport, "zh")
    problems += errors_of(mona)
    mona.goto(f"{portal.url}/inbox")
    card = mona.locator("#inbox-items a[data-record]", has_text="撤销审批中")
    expect(card).to_have_count(1)
    shoot(mona, f"{shot}-03-manager-inbox")
    fits(mona)
    card.click()
    expect(mona.locator("#revoke-request")).to_be_visible()
    expect(mona.locator("#flow-approve")).to_have_text("同意撤销")
    expect(mona.locator("#flow-reject")).to_have_text("拒绝撤销")
    mona.fill("#flow-comment-text", "同意，客户已书面确认")
    shoot(mona, f"{shot}-04-manager-decides")
    fits(mona)
    mona.click("#flow-approve")
    expect(mona.locator("#flow-status")).to_have_text("已撤销")

    emma.goto(url)
    expect(emma.locator("#flow-status")).to_have_text("已撤销")
    expect(emma.locator("#timeline [data-event=revoke_approve]")).to_contain_text("同意撤销")
    expect(emma.locator("[data-value=status]")).to_have_text("未生效")
    expect(emma.locator("#edit-record")).to_be_visible()  # editable again
    expect(emma.locator("#flow-submit")).to_be_visible()  # and may be submitted again
    # What the approval changed is kept on the contract in hidden fields, out of its history too.
    expect(emma.locator("#history")).to_contain_text("合同状态")
    expect(emma.locator("#history")).not_to_contain_text("审批前")
    shoot(emma, f"{shot}-05-revoked-contract")
    fits(emma)
    emma.goto(f"{portal.url}/crm/customer/{ids['customer']}")
    expect(emma.locator("[data-value=deal_status]")).to_have_text("未成交")
    shoot(emma, f"{shot}-06-customer")
    emma.goto(f"{portal.url}/crm/opportunity/{ids['opportunity']}")
    expect(emma.locator("[data-value=end_status]")).to_have_text("进行中")
    shoot(emma, f"{shot}-07-opportunity")
    fits(emma)
    opportunity = crm.records.get("crm.opportunity", ids["opportunity"], actor(crm, portal, "emma"))
    assert (Decimal(opportunity["win_probability"]), opportunity["closed_date"]) == (80, None)
    assert problems == []
