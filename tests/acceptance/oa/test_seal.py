"""Seals: an external contract seal passes legal and the general manager and lands in the ledger."""

from __future__ import annotations

from ...flows.test_notes import png


def test_an_external_contract_seal_request_is_approved_stamped_and_logged(company) -> None:
    seal = company.login("office").create(
        "seal", {"name": "合同专用章", "kind": "contract", "keeper": company.users["keeper"]}
    )
    zhang = company.login("zhang")
    request = zhang.create(
        "seal_request",
        {
            "seal_kind": "contract",
            "seal": seal["id"],
            "use_scope": "external",
            "document_name": "星辰科技软件采购合同",
            "document_type": "contract",
            "copies": 2,
            "recipient_org": "星辰科技有限公司",
            "reason": "合同签署",
        },
    )
    zhang.flow("seal_request", request["id"], "submit")
    for login in ("lead", "legal"):
        company.login(login).flow("seal_request", request["id"], "approve")
    gm = company.login("gm")
    unsigned = gm.client.post(f"/api/v1/oa/seal_request/{request['id']}/flow/approve", json={})
    assert unsigned.status_code == 422  # the general manager signs for an external key seal
    [problem] = unsigned.get_json()["errors"]
    assert (problem["field"], problem["code"]) == ("signature", "signature_required")
    signature = gm.upload("签名.png", png())
    summary = gm.flow("seal_request", request["id"], "approve", signature=signature)
    [signed] = [e for e in summary["timeline"] if e["kind"] == "approve" and e["node"] == "general_manager"]
    assert signed["signature"] == signature
    assert company.pending(summary) == ["keeper"]
    keeper = company.login("keeper")
    assert keeper.get("seal_use")["items"] == []  # nothing is logged before the stamping
    summary = keeper.flow(
        "seal_request", request["id"], "approve", values={"used_at": "2026-11-27T10:00:00+08:00"}
    )

    assert summary["status"] == "approved"
    assert [node for node, _ in company.approvers(summary)] == [
        "department_head",
        "legal",
        "general_manager",
        "seal_keeper",
    ]
    [entry] = keeper.get("seal_use")["items"]
    assert (entry["seal"], entry["request"], entry["copies"]) == (seal["id"], request["id"], 2)
    assert (entry["applicant"], entry["keeper"]) == (company.users["zhang"], company.users["keeper"])
    assert keeper.get(f"seal/{seal['id']}")["use_count"] == 1


def test_an_internal_certificate_skips_legal_and_the_general_manager(company) -> None:
    seal = company.login("office").create(
        "seal", {"name": "公章", "kind": "official", "keeper": company.users["keeper"]}
    )
    zhang = company.login("zhang")
    request = zhang.create(
        "seal_request",
        {
            "seal": seal["id"],
            "document_name": "在职证明",
            "document_type": "certificate",
            "reason": "办理签证",
        },
    )
    zhang.flow("seal_request", request["id"], "submit")
    summary = company.login("lead").flow("seal_request", request["id"], "approve")
    assert company.pending(summary) == ["keeper"]
