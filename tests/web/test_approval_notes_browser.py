"""The general manager approves an external use of the company seal on a 375 px phone, in
Chinese: the step requires a handwritten signature, so 同意 on an empty pad is stopped on the
page; he @s the applicant from the comment box, attaches a photo and a PDF, signs with the
mouse (清除 starts again), and approves. The timeline then shows the comment with the
applicant's name marked, a thumbnail and the PDF's name and size, and the signature; the
applicant is notified of the mention.
Screenshots: ``notes-375-*.png``."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select

from loom.platform.actor import SYSTEM

from .conftest import VIEWPORTS
from .test_accessibility import LOW_CONTRAST
from .test_accessibility import UNLABELLED
from .test_scenario import fits

pytestmark = pytest.mark.browser
PHONE = VIEWPORTS["phone"]


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-coloured PNG, for an attached photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = (b"\x00" + bytes(rgb) * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def waiting_for_the_general_manager(portal) -> int:
    """emma asks to stamp an agreement for a customer with the company seal; mona, her head,
    approved; fin, made general manager here, is next."""
    services = portal.services()
    users = portal.users
    with services.runtime.engine.begin() as conn:
        services.identity.set_roles(conn, users["fin"], ["finance", "general_manager"])
        emma, mona = (services.identity.actor(conn, users[login]) for login in ("emma", "mona"))
    seal = services.records.create(
        "oa.seal", {"name": "公司公章", "kind": "official", "keeper": users["root"]}, SYSTEM
    )
    values = {
        "seal_kind": "official",
        "seal": seal["id"],
        "use_scope": "external",
        "document_name": "星辰科技合作协议",
        "copies": 2,
        "recipient_org": "星辰科技有限公司",
        "reason": "报送客户",
    }
    request = services.records.create("oa.seal_request", values, emma)
    services.flows.submit("oa.seal_request", request["id"], emma)
    summary = services.flows.act("oa.seal_request", request["id"], mona, "approve", {"comment": "同意"})
    assert [t["node"] for t in summary["tasks"] if t["status"] == "pending"] == ["general_manager"]
    return request["id"]


def strokes(page: Page, count: int) -> Iterator[list[tuple[float, float]]]:
    """Points of ``count`` zigzag strokes across the pad, in the page's viewport."""
    pad = page.locator("#signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box
    for stroke in range(count):
        y = box["y"] + box["height"] * (0.35 + 0.3 * stroke)
        yield [
            (box["x"] + 30 + step * (box["width"] - 60) / 11, y + (12 if step % 2 else -12))
            for step in range(12)
        ]


def sign_with_the_mouse(page: Page) -> None:
    for points in strokes(page, 1):
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def sign_with_a_finger(page: Page) -> None:
    """Touch events as a phone's screen sends them (Chromium turns them into pointer events)."""
    touch = page.context.new_cdp_session(page)
    for points in strokes(page, 2):
        for kind, point in [("touchStart", points[0]), *(("touchMove", p) for p in points[1:])]:
            touch.send(
                "Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": point[0], "y": point[1]}]}
            )
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


@pytest.fixture
def phone(sign_in) -> Callable[[str], Page]:
    """A phone's browser in Chinese: a touch screen with two device pixels to a CSS pixel."""
    return lambda login: sign_in(login, PHONE, "zh", has_touch=True, is_mobile=True, device_scale_factor=2)


def test_approve_with_a_mention_files_and_a_signature(phone, portal, shoot) -> None:
    record_id = waiting_for_the_general_manager(portal)
    page = phone("fin")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{portal.url}/oa/seal_request/{record_id}")
    expect(page.locator("#signature-pad")).to_be_visible()
    expect(page.locator("label[for=signature-pad]")).to_contain_text("手写签名")
    fits(page)
    assert page.evaluate(UNLABELLED) == []  # the pad, the @ button and the file input are named
    shoot(page, "notes-375-01-task")

    page.locator("#flow-approve").click()  # nothing signed: stopped on the page
    expect(page.locator("#signature-box")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#signature-needed")).to_have_text("请先签名再同意。")
    shoot(page, "notes-375-02-sign-first")

    page.locator("#flow-comment-text").click()
    page.keyboard.type("同意对外用印，")
    page.keyboard.type("@")  # @ offers the people of the approval
    menu = page.locator("#mention-menu")
    expect(menu).to_be_visible()
    expect(page.locator("#flow-comment-text")).to_be_focused()  # a phone keeps its keyboard
    expect(menu.locator("[data-mention-id]")).to_have_text(["@Emma", "@Mona"])
    shoot(page, "notes-375-03-mention")
    menu.get_by_text("@Emma").click()
    page.keyboard.type("请到行政部领取")
    expect(page.locator("#flow-comment-text")).to_have_value("同意对外用印，@Emma 请到行政部领取")

    page.set_input_files(
        "#flow-attachments",
        files=[
            {"name": "协议首页.png", "mimeType": "image/png", "buffer": png(96, 64, (200, 60, 40))},
            {"name": "星辰科技合作协议.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 " * 300},
        ],
    )
    expect(page.locator("#record-actions [data-files] li")).to_have_count(2)

    sign_with_the_mouse(page)
    page.locator("#signature-clear").click()  # 清除 starts again: an empty pad is still refused
    page.locator("#flow-approve").click()
    expect(page.locator("#signature-box")).to_have_class(re.compile(r"\bis-invalid\b"))
    sign_with_a_finger(page)
    expect(page.locator("#signature-box")).not_to_have_class(re.compile(r"\bis-invalid\b"))
    fits(page)
    shoot(page, "notes-375-04-signed")

    page.locator("#flow-approve").click()
    expect(page.locator(".alert-success")).to_have_text("已完成。")
    approval = page.locator("#timeline li[data-event=approve]").last
    expect(approval.locator("[data-who]")).to_have_text("Fin")
    expect(approval.locator("[data-comment]")).to_have_text("同意对外用印，@Emma 请到行政部领取")
    expect(approval.locator("[data-mention]")).to_have_text(["@Emma"])
    thumbnail = approval.locator("[data-files] img")
    expect(thumbnail).to_have_attribute("alt", "协议首页.png")
    pdf = approval.locator("[data-files] a.loom-comment-file")
    expect(pdf).to_have_text(re.compile(r"星辰科技合作协议\.pdf\s+2\.7 kB"))
    signature = approval.locator("[data-signature] img")
    expect(signature).to_have_attribute("alt", "Fin的签名")
    for image in (thumbnail, signature):
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    approval.scroll_into_view_if_needed()
    fits(page)
    assert page.evaluate(LOW_CONTRAST) == []  # the marked @name too
    shoot(page, "notes-375-05-timeline")
    assert problems == []

    services = portal.services()
    notifications = services.runtime.schema.metadata.tables["loom_notifications"]
    with services.runtime.engine.connect() as conn:
        mentioned = conn.execute(
            select(notifications.c.user_id).where(
                notifications.c.kind == "mention", notifications.c.record_id == record_id
            )
        ).scalars()
        assert list(mentioned) == [portal.users["emma"]]
