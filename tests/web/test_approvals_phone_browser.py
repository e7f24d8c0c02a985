"""Issue #18's Done-when, scenarios (a)–(f), in one module: a real browser on a 375 px phone,
in Chinese, over one portal. Screenshots of every step go to the module's folder (printed when
it starts): ``a-*.png`` … ``f-*.png`` and the shared scenarios' own names.

(a) an employee submits a claim in one step after seeing its approval chain; the manager, from
    the card list, rejects one claim (a reason is required) and lands on the next task, which
    she approves;
(b) the claimant chooses the finance approver and adds a CC: both show in the chain, the chosen
    approver gets the task after the manager, the CC gets a copy;
(c) 加签 before and after, 转交, 退回 to a chosen earlier step, and a return to the claimant
    who submits again;
(d) a week's delegation sends a new task to the delegate (``test_delegation_browser``);
(e) five claims approved together (``test_inbox_browser``);
(f) revoking an approved contract with its approver's agreement puts the CRM customer and
    opportunity back (``test_revoke_browser``).

The claim's flow here lets the claimant choose the finance approver (发起人自选, among the
finance role, optional so that claims submitted without a choice go straight through after the
manager), in place of the test package's fixed finance role.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect

from loom.metadata.catalog import thaw

from . import conftest
from .conftest import VIEWPORTS
from .test_delegation_browser import test_a_week_of_delegation_sends_the_task_to_the_delegate as delegate
from .test_inbox_browser import submit_claims
from .test_inbox_browser import test_a_manager_filters_and_approves_five_claims_together as approve_five
from .test_revoke_browser import crm  # noqa: F401  (the fixture scenario (f) uses)
from .test_revoke_browser import test_a_revoked_contract_puts_the_customer_and_opportunity_back as revoke
from .test_scenario import fits

pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]
FLOW = ("flow", "webtest.expense_approval")
FINANCE = {  # chosen by the claimant among the finance role; optional
    "name": "finance",
    "label": {"zh": "财务", "en": "Finance"},
    "approve": {"chosen": {"role": "finance", "min": 0}},
    "empty": "skip",
    "mode": "any",
    "return_to": ["initiator", "manager"],
}


@pytest.fixture(scope="module")
def portal(web_database: str, tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[conftest.Portal]:
    """conftest's portal, its claim flow's finance step chosen by the claimant, with a second
    finance person (Fiona) to choose."""
    plain = conftest.catalog()
    flow = plain.definitions[FLOW]
    spec = thaw(flow.spec)
    spec["nodes"] = [FINANCE if n["name"] == "finance" else n for n in spec["nodes"]]
    chosen = replace(flow, spec=MappingProxyType(spec))
    catalog = replace(plain, definitions=MappingProxyType({**plain.definitions, FLOW: chosen}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "catalog", lambda: catalog)
        with conftest.served(web_database, tmp_path_factory, request) as found:
            yield with_fiona(found)


def with_fiona(found: conftest.Portal) -> conftest.Portal:
    """A second finance person to choose."""
    services = found.services()
    with services.runtime.engine.begin() as conn:
        finance = services.identity.departments
        department = conn.execute(finance.select().where(finance.c.name == "财务部")).first().id
        found.users["fiona"] = services.identity.create_user(
            conn, "fiona", "Fiona", password="fiona-pw", department_id=department, roles=["finance"]
        )
    return found


def watch(page: Page, problems: list[str]) -> Page:
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


def pick(page: Page, picker: str, typed: str, name: str) -> None:
    """Type into a person picker and take the person offered."""
    page.fill(f"#{picker}", typed)
    page.locator(f"#{picker}-choices [data-pick-title={name}]").click()


def new_claim(page: Page, portal, title: str, amount: str = "300") -> None:
    page.goto(f"{portal.url}/webtest/expense/new")
    page.fill("#f-title", title)
    page.fill("#f-reason", f"{title}，详见附件")  # the form asks for it above 1000
    page.fill("#f-lines-0-day", "2026-11-02")
    page.fill("#f-lines-0-amount", amount)
    page.locator("#f-lines-0-amount").blur()


def more(page: Page, operation: str) -> None:
    """Open 更多 and the panel of ``operation`` (转交, 加签, 退回)."""
    page.locator("#flow-more").click()
    page.locator(f"#flow-{operation}-open").click()
    expect(page.locator(f"#panel-{operation}")).to_be_visible()


def open_task(page: Page, portal, title: str) -> None:
    page.goto(f"{portal.url}/inbox")
    page.locator("#inbox-items a[data-record]", has_text=title).first.click()
    expect(page.locator("#flow-approve")).to_be_visible()


def test_a_submit_in_one_step_then_reject_with_a_reason_and_approve_the_next(sign_in, portal, shoot) -> None:
    problems: list[str] = []
    emma = watch(sign_in("emma", PHONE, lang="zh"), problems)
    new_claim(emma, portal, "杭州客户拜访")
    chain = emma.locator("[data-chain]")
    expect(chain.locator("[data-step=initiator]")).to_contain_text("发起人")
    expect(chain.locator("[data-step=manager] [data-people]")).to_have_text("Mona")
    expect(emma.locator("#submit")).to_have_text("提交")
    emma.locator("#flow-preview").scroll_into_view_if_needed()
    fits(emma)
    shoot(emma, "a-01-chain-before-submitting")
    emma.click("#submit")
    expect(emma.locator(".alert-success")).to_contain_text("已提交审批")
    expect(emma.locator("[data-waiting]")).to_contain_text("Mona")
    shoot(emma, "a-02-submitted")
    submit_claims(portal, 1)  # a second claim waits for mona

    mona = watch(sign_in("mona", PHONE, lang="zh"), problems)
    mona.goto(f"{portal.url}/inbox")
    cards = mona.locator("#inbox-items a[data-record]")
    expect(cards).to_have_count(2)
    expect(cards.last.locator("[data-asked]")).to_have_text("Emma提交的报销单")
    fits(mona)
    shoot(mona, "a-03-card-list")
    cards.first.click()
    mona.wait_for_load_state()  # the reason check is loom.js's: a click before it ran would post
    first = mona.url
    mona.locator("#flow-reject").click()
    expect(mona.locator("#flow-comment-needed")).to_be_visible()
    assert mona.url == first  # nothing was posted
    shoot(mona, "a-04-reason-needed")
    mona.fill("#flow-comment-text", "事由写得不清楚，请补充")
    mona.locator("#flow-reject").click()
    expect(mona.locator(".alert-success")).to_contain_text("已为你打开下一条待办")
    assert mona.url != first
    expect(mona.locator("#record-summary")).to_be_visible()
    fits(mona)
    shoot(mona, "a-05-next-task")
    mona.locator("#flow-approve").click()
    expect(mona.locator(".alert-success")).to_have_text("已完成。")
    shoot(mona, "a-06-done")
    assert problems == []


def test_b_the_claimant_chooses_the_finance_approver_and_a_cc(sign_in, portal, shoot) -> None:
    problems: list[str] = []
    emma = watch(sign_in("emma", PHONE, lang="zh"), problems)
    new_claim(emma, portal, "宁波展会差旅", "1800")
    expect(emma.locator("[data-chosen=finance] label")).to_contain_text("由你选择")
    pick(emma, "chosen-finance", "fio", "Fiona")
    pick(emma, "chosen-copy", "roo", "Root")
    chain = emma.locator("[data-chain]")
    expect(chain.locator("[data-step=finance] [data-people]")).to_have_text("Fiona")
    expect(chain.locator("[data-step=copy] [data-people]")).to_have_text("Root")
    emma.locator("#flow-preview").scroll_into_view_if_needed()
    fits(emma)
    shoot(emma, "b-01-chosen-in-the-chain")
    emma.click("#submit")
    expect(emma.locator(".alert-success")).to_contain_text("已提交审批")
    claim = emma.url

    mona = watch(sign_in("mona", PHONE, lang="zh"), problems)
    open_task(mona, portal, "宁波展会差旅")
    mona.locator("#flow-approve").click()
    expect(mona.locator(".alert-success")).to_have_text("已完成。")

    fiona = watch(sign_in("fiona", PHONE, lang="zh"), problems)
    fiona.goto(f"{portal.url}/inbox")
    card = fiona.locator("#inbox-items a[data-record]", has_text="宁波展会差旅")
    expect(card).to_contain_text("财务")
    fits(fiona)
    shoot(fiona, "b-02-chosen-approvers-inbox")
    card.click()
    fiona.locator("#flow-approve").click()
    expect(fiona.locator("#flow-status")).to_have_text("已通过")

    root = watch(sign_in("root", PHONE, lang="zh"), problems)
    root.goto(f"{portal.url}/inbox?box=cc")
    expect(root.locator("#inbox-items a[data-record]", has_text="宁波展会差旅")).to_have_count(1)
    shoot(root, "b-03-cc-box")
    root.goto(f"{portal.url}/notifications")
    expect(root.locator("#notes [data-kind=cc]").first).to_contain_text("抄送给您：Emma提交的报销单")
    fits(root)
    shoot(root, "b-04-cc-notification")
    emma.goto(claim)
    expect(emma.locator("#timeline")).to_contain_text("Fiona")
    shoot(emma, "b-05-approved-timeline")
    assert problems == []


def test_c_add_approvers_transfer_return_and_submit_again(sign_in, portal, shoot) -> None:
    problems: list[str] = []
    emma = watch(sign_in("emma", PHONE, lang="zh"), problems)
    new_claim(emma, portal, "苏州培训费", "2600")
    pick(emma, "chosen-finance", "fin", "Fin")
    emma.click("#submit")
    expect(emma.locator(".alert-success")).to_contain_text("已提交审批")
    claim = emma.url

    mona = watch(sign_in("mona", PHONE, lang="zh"), problems)
    open_task(mona, portal, "苏州培训费")
    more(mona, "add_approver")
    pick(mona, "flow-add-users", "roo", "Root")
    mona.select_option("#flow-position", "before")  # Root approves before me
    fits(mona)
    shoot(mona, "c-01-add-before")
    mona.locator("#flow-add_approver").click()
    expect(mona.locator("#timeline [data-event=add_approver]")).to_contain_text("Mona")

    root = watch(sign_in("root", PHONE, lang="zh"), problems)
    open_task(root, portal, "苏州培训费")
    root.locator("#flow-approve").click()
    expect(root.locator(".alert-success")).to_have_text("已完成。")

    open_task(mona, portal, "苏州培训费")  # back to me after Root
    more(mona, "add_approver")
    pick(mona, "flow-add-users", "fio", "Fiona")
    mona.select_option("#flow-position", "after")  # Fiona approves after me
    shoot(mona, "c-02-add-after")
    mona.locator("#flow-add_approver").click()
    open_task(mona, portal, "苏州培训费")
    mona.locator("#flow-approve").click()
    expect(mona.locator(".alert-success")).to_have_text("已完成。")

    fiona = watch(sign_in("fiona", PHONE, lang="zh"), problems)
    open_task(fiona, portal, "苏州培训费")  # the approver added after Mona
    fiona.locator("#flow-approve").click()
    expect(fiona.locator(".alert-success")).to_have_text("已完成。")

    fin = watch(sign_in("fin", PHONE, lang="zh"), problems)
    open_task(fin, portal, "苏州培训费")
    more(fin, "transfer")
    pick(fin, "flow-to", "fio", "Fiona")
    fits(fin)
    shoot(fin, "c-03-transfer")
    fin.locator("#flow-transfer").click()
    expect(fin.locator("#timeline [data-event=transfer]")).to_contain_text("Fin")

    open_task(fiona, portal, "苏州培训费")
    more(fiona, "return")
    expect(fiona.locator("#flow-return-to option")).to_have_text(["发起人", "直属上级"])
    fiona.select_option("#flow-return-to", "manager")  # back to a chosen earlier step
    fiona.fill("#flow-comment-text", "请直属上级再确认培训预算")
    fits(fiona)
    shoot(fiona, "c-04-return-to-a-step")
    fiona.locator("#flow-return").click()
    expect(fiona.locator("#timeline [data-event=return]")).to_contain_text("Fiona")

    open_task(mona, portal, "苏州培训费")
    shoot(mona, "c-05-returned-to-the-manager")
    mona.fill("#flow-comment-text", "请附上培训通知")
    mona.locator("#flow-more").click()  # her step returns to the claimant only: no panel to choose
    mona.locator("#flow-return").click()
    expect(mona.locator("#flow-status")).to_have_text("已退回")

    emma.goto(claim)
    expect(emma.locator("#flow-status")).to_have_text("已退回")
    shoot(emma, "c-06-returned-to-the-claimant")
    emma.locator("#flow-submit").click()
    expect(emma.locator("#flow-status")).to_have_text("审批中")
    expect(emma.locator("[data-waiting]")).to_contain_text("Mona")
    fits(emma)
    shoot(emma, "c-07-submitted-again")
    open_task(mona, portal, "苏州培训费")  # the new round: mona, then the chosen finance approver
    mona.locator("#flow-approve").click()
    open_task(fin, portal, "苏州培训费")
    fin.locator("#flow-approve").click()
    expect(fin.locator("#flow-status")).to_have_text("已通过")
    shoot(fin, "c-08-approved")
    assert problems == []


def test_d_a_weeks_delegation_lands_on_the_delegate(sign_in, portal, shoot) -> None:
    delegate(sign_in, portal, shoot, PHONE)


def test_e_five_claims_approved_together(sign_in, portal, shoot) -> None:
    approve_five(sign_in, portal, shoot, PHONE)


def test_f_revoking_an_approved_contract_puts_crm_back(crm, sign_in, shoot, portal) -> None:  # noqa: F811
    revoke(crm, sign_in, shoot, portal, PHONE)
