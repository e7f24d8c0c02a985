"""Uploads: content-addressed storage, size limits, and file fields' accepted types."""

from __future__ import annotations

import hashlib
import io
import stat

import pytest

from loom.platform.files import FileStore
from loom.platform.files import FileTooLarge
from loom.platform.records.errors import ValidationFailed

LINES = [{"product": "p", "quantity": "1", "price": "1"}]


@pytest.fixture
def store(shop, tmp_path) -> FileStore:
    return FileStore(shop.runtime, tmp_path / "uploads", max_bytes=4096)


def test_upload_is_stored_by_hash_and_described(shop, store) -> None:
    data = "合同扫描件".encode() * 10
    row = store.save(io.BytesIO(data), "../../etc/合同.pdf", shop.alice)
    digest = hashlib.sha256(data).hexdigest()
    assert (row["name"], row["size"], row["sha256"]) == ("合同.pdf", len(data), digest)
    assert row["content_type"] == "application/pdf"
    assert store.path_of(digest).read_bytes() == data
    again = store.save(io.BytesIO(data), "copy.pdf", shop.bob)
    assert again["id"] != row["id"] and again["sha256"] == digest
    assert store.describe(row["id"])["uploaded_by"] == shop.alice.id


def test_too_large_upload_leaves_nothing_behind(shop, store, tmp_path) -> None:
    with pytest.raises(FileTooLarge):
        store.save(io.BytesIO(b"x" * 5000), "big.bin", shop.alice)
    assert [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()] == []


def test_file_fields_check_existence_size_and_type(shop, store) -> None:
    pdf = store.save(io.BytesIO(b"%PDF small"), "scan.pdf", shop.alice)
    big = store.save(io.BytesIO(b"x" * 2000), "scan2.pdf", shop.alice)
    text = store.save(io.BytesIO(b"hello"), "notes.txt", shop.alice)
    png = store.save(io.BytesIO(b"\x89PNG"), "photo.png", shop.alice)
    record = shop.service.create(
        "shop.order_doc",
        {"title": "t", "lines": LINES, "contract_scan": pdf["id"], "photos": [png["id"]]},
        shop.alice,
    )
    assert record["contract_scan"] == pdf["id"] and record["photos"] == [png["id"]]
    cases = {
        "contract_scan": [(big["id"], "file_too_large"), (text["id"], "file_type"), (9999, "link_not_found")],
        "photos": [([text["id"]], "file_type")],
    }
    for field, attempts in cases.items():
        for value, code in attempts:
            with pytest.raises(ValidationFailed) as info:
                shop.service.create(
                    "shop.order_doc", {"title": "t", "lines": LINES, field: value}, shop.alice
                )
            assert [(e.field, e.code) for e in info.value.errors] == [(field, code)]


def test_attaching_someone_elses_file_is_refused(shop, store) -> None:
    theirs = store.save(io.BytesIO(b"%PDF secret"), "secret.pdf", shop.bob)
    with pytest.raises(ValidationFailed) as info:
        shop.service.create(
            "shop.order_doc", {"title": "t", "lines": LINES, "contract_scan": theirs["id"]}, shop.alice
        )
    assert [(e.field, e.code) for e in info.value.errors] == [("contract_scan", "link_not_found")]
    mine = store.save(io.BytesIO(b"%PDF mine"), "mine.pdf", shop.alice)
    record = shop.service.create(
        "shop.order_doc", {"title": "t", "lines": LINES, "contract_scan": mine["id"]}, shop.alice
    )
    # Bob may keep the file that is already there while changing something else.
    kept = shop.service.update("shop.order_doc", record["id"], {**record, "title": "t2"}, shop.bob)
    assert kept["contract_scan"] == mine["id"]


def test_uploads_are_readable_by_the_services_group_and_nobody_else(shop, store) -> None:
    """A file written by a command run as another user of the group stays readable by the
    service: files 0640, folders 2750 (setgid: their group is passed down)."""
    digest = store.save(io.BytesIO(b"%PDF-1.4 scan"), "scan.pdf", shop.alice)["sha256"]
    path = store.path_of(digest)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    for folder in (store.folder, path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o2750, folder
    assert path.stat().st_gid == store.folder.stat().st_gid
