"""批量同意 of steps that need a handwritten signature, in a real browser on a 375 px phone, in
Chinese: the manager's step of the claim flow here says ``signature: required``. Ticking such a
task shows the signing pad in the bottom bar; 批量同意 with an empty pad is stopped on the page;
signed once, every ticked claim is approved and each approval carries that signature.
Screenshots: ``batch-sign-*.png``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from types import MappingProxyType

import pytest
from playwright.sync_api import expect

from loom.metadata.catalog import thaw

from . import conftest
from .conftest import VIEWPORTS
from .test_approval_notes_browser import sign_with_the_mouse
from .test_inbox_browser import submit_claims
from .test_scenario import fits

pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]
FLOW = ("flow", "webtest.expense_approval")


@pytest.fixture(scope="module")
def portal(web_database: str, tmp_path_factory: pytest.TempPathFactory, request) -> Iterator[conftest.Portal]:
    """conftest's portal, the claim flow's manager step signed by hand."""
    plain = conftest.catalog()
    flow = plain.definitions[FLOW]
    spec = thaw(flow.spec)
    spec["nodes"] = [{**n, "signature": "required"} if n["name"] == "manager" else n for n in spec["nodes"]]
    signed = replace(flow, spec=MappingProxyType(spec))
    catalog = replace(plain, definitions=MappingProxyType({**plain.definitions, FLOW: signed}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conftest, "catalog", lambda: catalog)
        with conftest.served(web_database, tmp_path_factory, request) as found:
            yield found


def test_one_signature_approves_three_signed_claims(sign_in, portal, shoot) -> None:
    submit_claims(portal, 3)
    page = sign_in("mona", PHONE, lang="zh")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{portal.url}/inbox")
    ticks = page.locator("[data-batch-task][data-signed]")
    expect(ticks).to_have_count(3)
    expect(page.locator("#signature-field")).to_be_hidden()  # nothing ticked: no pad
    shoot(page, "batch-sign-01-todo")
    for index in range(3):
        ticks.nth(index).check()
    expect(page.locator("#signature-pad")).to_be_visible()
    page.fill("#batch-comment", "同意")
    page.click("#batch-approve")
    expect(page.locator("#signature-box")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#signature-needed")).to_have_text("请先签名再同意。")
    expect(ticks).to_have_count(3)  # nothing was posted
    fits(page)
    shoot(page, "batch-sign-02-sign-first")
    sign_with_the_mouse(page)
    expect(page.locator("#signature-box")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    shoot(page, "batch-sign-03-signed")
    page.click("#batch-approve")
    expect(page.locator(".alert-success")).to_contain_text("已同意 3 项")
    expect(page.locator("[data-batch-task]")).to_have_count(0)
    fits(page)
    shoot(page, "batch-sign-04-approved")

    services = portal.services()
    signatures = set()
    for summary in (services.flows.latest_summary("webtest.expense", i) for i in (1, 2, 3)):
        [approved] = [e for e in summary["timeline"] if e["kind"] == "approve"]
        signatures.add(approved["signature"])
    assert len(signatures) == 1 and None not in signatures  # one signature on every approval
    assert problems == []
