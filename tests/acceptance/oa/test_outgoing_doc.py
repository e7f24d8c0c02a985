"""Outgoing documents: two departments countersign in parallel, the number comes only after sign-off."""

from __future__ import annotations


def test_a_document_is_countersigned_signed_off_numbered_and_archived(company) -> None:
    writer = company.login("writer")
    doc = writer.create(
        "outgoing_doc",
        {
            "title": "关于调整差旅费报销标准的通知",
            "doc_kind": "notice",
            "main_send": "各部门",
            "body": writer.upload("通知.pdf"),
        },
    )
    writer.flow("outgoing_doc", doc["id"], "submit")
    company.login("hr_head").flow("outgoing_doc", doc["id"], "approve")
    both = [company.departments["sales"], company.departments["finance"]]
    summary = company.login("office").flow(
        "outgoing_doc", doc["id"], "approve", values={"countersign_depts": both}
    )
    assert sorted(company.pending(summary)) == ["fin_dir", "sales_head"]  # at the same time

    summary = company.login("fin_dir").flow("outgoing_doc", doc["id"], "approve", comment="财务部会签同意")
    assert company.pending(summary) == ["sales_head"]
    summary = company.login("sales_head").flow("outgoing_doc", doc["id"], "approve", comment="销售部会签同意")
    assert company.pending(summary) == ["gm"]
    assert writer.get(f"outgoing_doc/{doc['id']}")["doc_number"] is None

    summary = company.login("gm").flow("outgoing_doc", doc["id"], "approve", comment="同意印发")
    assert summary["status"] == "approved"
    signed = writer.get(f"outgoing_doc/{doc['id']}")
    today = company.clock.today()
    assert signed["doc_number"] == f"发〔{today.year}〕001号"
    assert (signed["signer"], signed["sign_date"]) == (company.users["gm"], today.isoformat())

    office = company.login("office")
    folder = office.get("doc_folder", code="official_docs")["items"][0]["id"]
    archive = f"/api/v1/oa/outgoing_doc/{doc['id']}/buttons/outgoing_doc_archive"
    response = office.client.post(archive, json={"folder": folder})
    assert response.status_code == 200, response.get_json()
    [filed] = office.get("doc_file", doc_number=signed["doc_number"])["items"]
    assert (filed["folder"], filed["source_document"]) == (folder, doc["id"])
    assert writer.get(f"outgoing_doc/{doc['id']}")["archived_at"] is not None
