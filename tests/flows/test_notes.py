"""What an approval comment carries: files (only the actor's own uploads, at most nine),
@mentions of the approval's people (who are notified) and, where a step requires it, a
handwritten signature (a PNG the approver uploaded)."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from sqlalchemy import select

from loom.platform.flows.senders import deliver_pending
from loom.platform.limits import COMMENT_FILES
from loom.platform.records.errors import ValidationFailed

from .test_operations import flow

SIGNED = (
    "{name: manager, approve: {manager: 1}}",
    "{name: gm, approve: {users: [gm]}, signature: required}",
)


def png(
    width: int = 300, height: int = 120, *, depth: int = 8, colour: int = 2, data: bytes | None = None
) -> bytes:
    """A white PNG (``data``: other image data, compressed as given)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    pixels = (b"\x00" + b"\xff" * (width * 3)) * height
    image = zlib.compress(pixels) if data is None else data
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", image) + chunk(b"IEND", b"")


PNG = png()


@pytest.fixture
def co(make_company, tmp_path):
    company = make_company(flow(*SIGNED))
    company.services.files.folder = tmp_path / "uploads"  # where the flows read a signature's bytes
    company.store = company.services.files
    return company


def upload(co, who: str, name: str = "发票.jpg", content: bytes = b"jpeg") -> int:
    return co.store.save(BytesIO(content), name, co.users[who])["id"]


def errors(raised: pytest.ExceptionInfo) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in raised.value.errors]


def test_a_comment_carries_the_actors_own_files(co) -> None:
    record = co.expense()
    co.submit(record)
    mine, theirs = upload(co, "lead"), upload(co, "staff2")
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "lead", attachments=[mine, theirs])
    assert errors(refused) == [("attachments", "not_your_file")]
    assert refused.value.errors[0].params == {"id": theirs}
    assert co.pending(co.services.flows.latest_summary("shop.expense", record["id"])) == ["lead"]
    summary = co.act(record, "lead", comment="附上发票", attachments=[mine])
    [approved] = [e for e in summary["timeline"] if e["kind"] == "approve"]
    assert (approved["comment"], approved["attachments"]) == ("附上发票", [mine])
    links = co.services.runtime.schema.metadata.tables["loom_flow_files"]
    with co.services.runtime.engine.connect() as conn:
        assert conn.execute(select(links.c.instance_id, links.c.file_id)).all() == [(summary["id"], mine)]


def test_files_are_bounded_and_only_on_commented_operations(co) -> None:
    record = co.expense()
    co.submit(record)
    many = [upload(co, "staff", f"{n}.jpg", bytes([n])) for n in range(COMMENT_FILES + 1)]
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "staff", "comment", comment="补充材料", attachments=many)
    assert errors(refused) == [("attachments", "files_max")]
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "staff", "urge", attachments=many[:1], mentions=[co.users["lead"].id])
    assert errors(refused) == [("attachments", "unknown"), ("mentions", "unknown")]
    summary = co.act(record, "staff", "comment", comment="补充材料", attachments=many[:COMMENT_FILES])
    assert summary["timeline"][-1]["attachments"] == many[:COMMENT_FILES]


def test_mentions_are_people_of_the_chain_and_are_notified(co) -> None:
    record = co.expense()
    co.submit(record)
    lead, staff, hr, fin1 = co.ids("lead", "staff", "hr", "fin1")
    co.act(record, "lead", "cc", users=[hr])
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "lead", "comment", comment="@fin1 看看", mentions=[fin1])
    assert errors(refused) == [("mentions", "not_in_chain")]
    asked = "@staff @hr 请补充"
    summary = co.act(record, "lead", "comment", comment=asked, mentions=[staff, hr, staff, lead])
    assert summary["timeline"][-1]["mentions"] == [staff, hr, lead]
    notifications = co.services.flows.engine.notifications
    with co.services.runtime.engine.connect() as conn:
        rows = conn.execute(
            select(notifications.c.user_id, notifications.c.message).where(notifications.c.kind == "mention")
        ).all()
    assert sorted(user for user, _ in rows) == sorted([staff, hr])  # not the writer
    assert {m["comment"] for _, m in rows} == {asked} and {m["by"] for _, m in rows} == {lead}
    mails = Recorder()
    deliver_pending(co.services.runtime, [mails], limit=1000)
    subject = "[Loom] 有人@了您：staff提交的报销「出差」"
    body = f"有人@了您：staff提交的报销「出差」\n来自：lead\ncomment: {asked}\n"  # who asked, by name
    assert [m for m in mails.sent if "@" in m[1]] == [("staff", subject, body), ("hr", subject, body)]


class Recorder:
    """A sender that keeps what it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, user, subject: str, body: str) -> None:
        self.sent.append((user["name"], subject, body))


def test_approving_a_signed_step_takes_the_approvers_png(co) -> None:
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "gm", comment="同意")
    assert errors(refused) == [("signature", "signature_required")]
    assert refused.value.errors[0].message("zh") == "此环节需要您手写签名。"
    photo, someone_elses = upload(co, "gm", "照片.jpg"), upload(co, "lead", "签名.png", PNG)
    for signature, code in ((photo, "file_type"), (someone_elses, "not_your_file")):
        with pytest.raises(ValidationFailed) as refused:
            co.act(record, "gm", signature=signature)
        assert errors(refused) == [("signature", code)]
    signature = upload(co, "gm", "签名.png", PNG)
    summary = co.act(record, "gm", comment="同意", signature=signature)
    assert summary["status"] == "approved"
    assert summary["timeline"][-2]["signature"] == signature


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n a signature",  # a PNG's first bytes, then text
        b"GIF89a" + PNG[6:],  # not a PNG at all
        PNG[:-20],  # cut short
        png(5000, 10),  # wider than any pad
        png(data=zlib.compress(b"\x00" * 10)),  # less image data than the header says
        png(data=zlib.compress(b"\x00" * 10_000_000)),  # far more: inflated in bounded steps
        png(depth=3),  # no such bit depth for RGB
    ],
    ids=["text", "gif", "truncated", "too_wide", "short_data", "bomb", "bad_depth"],
)
def test_a_signature_must_really_be_a_png_image(co, content: bytes) -> None:
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    signature = upload(co, "gm", "签名.png", content)
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "gm", signature=signature)
    assert errors(refused) == [("signature", "signature_image")]
    assert "PNG" in refused.value.errors[0].message("zh")


def test_one_signature_signs_a_batch_approval(make_company, tmp_path) -> None:
    co = make_company(
        flow("{name: manager, approve: {manager: 1}, signature: required}", batch_approve="true")
    )
    co.services.files.folder = tmp_path / "uploads"
    co.store = co.services.files
    records = [co.expense(), co.expense()]
    tasks = [co.submit(record)["tasks"][0]["id"] for record in records]
    flows, lead = co.services.flows, co.users["lead"]
    unsigned = flows.batch_approve(tasks, lead, comment="同意")
    assert unsigned == [{"task": t, "ok": False, "code": "invalid_record"} for t in tasks]
    forged = upload(co, "lead", "签名.png", b"\x89PNG\r\n\x1a\n not an image")
    assert {o["ok"] for o in flows.batch_approve(tasks, lead, comment="同意", signature=forged)} == {False}
    signature = upload(co, "lead", "签名.png", PNG)
    signed = flows.batch_approve(tasks, lead, comment="同意", signature=signature)
    assert signed == [{"task": t, "ok": True} for t in tasks]
    for record in records:
        summary = flows.latest_summary("shop.expense", record["id"])
        [approved] = [e for e in summary["timeline"] if e["kind"] == "approve"]
        assert (summary["status"], approved["signature"]) == ("approved", signature)


def test_a_batch_signs_only_the_steps_that_ask_for_a_signature(make_company, tmp_path) -> None:
    co = make_company(flow("{name: manager, approve: {manager: 1}}", batch_approve="true"))
    co.services.files.folder = tmp_path / "uploads"
    co.store = co.services.files
    record = co.expense()
    task = co.submit(record)["tasks"][0]["id"]
    signature = upload(co, "lead", "签名.png", PNG)
    assert co.services.flows.batch_approve([task], co.users["lead"], signature=signature) == [
        {"task": task, "ok": True}
    ]
    summary = co.services.flows.latest_summary("shop.expense", record["id"])
    [approved] = [e for e in summary["timeline"] if e["kind"] == "approve"]
    assert (summary["status"], "signature" in approved) == ("approved", False)


def test_a_signature_is_refused_where_approving_does_not_happen(co) -> None:
    record = co.expense()
    co.submit(record)
    signature = upload(co, "lead", "签名.png", PNG)
    with pytest.raises(ValidationFailed) as refused:
        co.act(record, "lead", "reject", comment="不同意", signature=signature)
    assert errors(refused) == [("signature", "unknown")]
