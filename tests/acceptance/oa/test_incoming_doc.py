"""Incoming documents: a leader instructs, the lead department handles, readers get a copy."""

from __future__ import annotations

import datetime as dt


def test_an_incoming_document_is_instructed_handled_and_circulated(company) -> None:
    office = company.login("office")
    doc = office.create(
        "incoming_doc",
        {
            "title": "关于开展安全生产检查的通知",
            "from_org": "市应急管理局",
            "doc_word": "应急〔2026〕18号",
            "leader": company.users["gm"],
            "lead_dept": company.departments["support"],
            "deadline": "2026-12-15",
            "readers": [company.users["zhang"], company.users["li"]],
        },
    )
    office.flow("incoming_doc", doc["id"], "submit")
    gm = company.login("gm")
    response = gm.client.post(f"/api/v1/oa/incoming_doc/{doc['id']}/flow/approve", json={})
    assert response.status_code == 422  # a leader's instruction is written down
    summary = gm.flow("incoming_doc", doc["id"], "approve", comment="请技术支持部牵头落实")
    assert company.pending(summary) == ["tech_head"]
    summary = company.login("tech_head").flow(
        "incoming_doc", doc["id"], "approve", values={"result": "已完成机房与仓库检查"}
    )
    assert summary["status"] == "approved"
    assert sorted(company.copied(summary)) == ["li", "zhang"]
    assert company.login("zhang").get(f"incoming_doc/{doc['id']}")["result"] == "已完成机房与仓库检查"


def test_the_registrar_is_reminded_of_an_overdue_document(company) -> None:
    office = company.login("office")
    values = {"title": "关于报送年度统计报表的函", "from_org": "区统计局", "doc_word": "统〔2026〕5号"}
    late = office.create(
        "incoming_doc",
        {
            **values,
            "leader": company.users["gm"],
            "lead_dept": company.departments["finance"],
            "deadline": "2026-11-20",
            "received_date": "2026-11-10",
        },
    )
    office.flow("incoming_doc", late["id"], "submit")
    services = company.app.extensions["loom"]
    run = services.automations.run_schedule(
        "oa.incoming_doc_overdue", now=dt.datetime(2026, 11, 27, 9, tzinfo=dt.UTC)
    )
    assert run.matched == 1
    [notice] = office.client.get("/api/v1/notifications").get_json()["items"]
    assert notice["kind"] == "automation"
