"""One-step 提交 on the form and the approval chain shown before it, through the HTTP client:
the chain follows what is typed, saving and submitting happen together or not at all."""

from __future__ import annotations

from sqlalchemy import select

from ..api.test_flows_api import PACKAGE
from ..api.test_flows_api import serve
from .test_pages import sign_in

LINE = {"lines-0-day": "2026-11-02", "lines-0-amount": "300"}


def posted(client, **values: str) -> dict[str, str]:
    return {"csrf_token": client.csrf, "category": "travel", **LINE, **values}


def stored(app) -> list[tuple[str, str | None]]:
    runtime = app.extensions["loom"].runtime
    table = runtime.schema.of("webtest.expense").table
    with runtime.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table.c.title, table.c.flow_status)).all()]


def test_the_form_offers_submit_and_draft_and_shows_the_chain(app) -> None:
    emma = sign_in(app, "emma", "zh")
    page = emma.get("/webtest/expense/new").text
    assert 'id="submit"' in page and ">提交</button>" in page and ">保存草稿</button>" in page
    assert 'id="flow-preview"' in page and "审批流程" in page
    chain = emma.post("/webtest/expense/flow-preview", data=posted(emma, title="出差")).text
    assert 'data-step="manager"' in chain and "直属上级" in chain and "Mona" in chain
    assert 'data-step="finance"' in chain and "Fin" in chain
    incomplete = emma.post("/webtest/expense/flow-preview", data=posted(emma)).text
    assert "data-chain-incomplete" in incomplete and "必填信息填写后" in incomplete
    assert stored(app) == []  # previews write nothing


def test_submit_saves_and_starts_the_approval_in_one_step(app) -> None:
    emma = sign_in(app, "emma", "zh")
    response = emma.post("/webtest/expense/new", data=posted(emma, title="出差", _intent="submit"))
    assert response.status_code == 302
    assert stored(app) == [("出差", "in_approval")]
    assert "已提交审批" in emma.get(response.headers["Location"]).text
    draft = emma.post("/webtest/expense/new", data=posted(emma, title="草稿", _intent="save"))
    assert draft.status_code == 302 and ("草稿", "draft") in stored(app)


def test_a_draft_is_submitted_from_its_edit_form(app) -> None:
    emma = sign_in(app, "emma", "zh")
    emma.post("/webtest/expense/new", data=posted(emma, title="草稿"))
    record_id = int(emma.get("/api/v1/webtest/expense").get_json()["items"][0]["id"])
    form = emma.get(f"/webtest/expense/{record_id}/edit").text
    assert 'id="submit"' in form
    chain = emma.post(
        "/webtest/expense/flow-preview", data=posted(emma, title="草稿", _record=str(record_id))
    ).text
    assert 'data-step="manager"' in chain
    response = emma.post(
        f"/webtest/expense/{record_id}/edit", data=posted(emma, title="草稿改", version="1", _intent="submit")
    )
    assert response.status_code == 302 and stored(app) == [("草稿改", "in_approval")]


def test_a_refused_submit_saves_nothing(write_package, database_url) -> None:
    """No flow takes a claim titled "nobody" (the flow's ``when``): 提交 is refused, the form
    comes back with the reason and every value, and no draft is left behind."""
    flow = PACKAGE["flows/claim.yaml"].replace(
        "entity: claim\n", "entity: claim\n        when: \"title != 'nobody'\"\n"
    )
    _app, clients = serve(write_package, database_url, {**PACKAGE, "flows/claim.yaml": flow})
    emp = clients.portal("emp")
    form = {"title": "nobody", "total": "300", "_intent": "submit"}
    response = emp.post("/oa2/claim/new", data=form)
    assert response.status_code == 409, response.text
    assert 'id="form-errors"' in response.text and 'value="nobody"' in response.text
    assert "没有适用于此记录的审批流程" in response.text
    assert emp.get("/api/v1/oa2/claim").get_json()["items"] == []
    assert emp.post("/oa2/claim/new", data={**form, "title": "差旅"}).status_code == 302


CHOOSING = """\
        kind: flow
        name: claim_approval
        label: {zh: 报销审批, en: Claim approval}
        entity: claim
        nodes:
          - {name: manager, label: {zh: 直属上级, en: Manager}, approve: {manager: 1}}
          - {name: finance, label: {zh: 财务审核, en: Finance}, approve: {chosen: {role: finance, max: 1}}}
          - {name: copy, label: {zh: 抄送人, en: CC}, cc: {chosen: {min: 0}}}
        """


def test_the_initiator_chooses_the_finance_approver_and_a_cc(write_package, database_url) -> None:
    app, clients = serve(write_package, database_url, {**PACKAGE, "flows/claim.yaml": CHOOSING})
    services = app.extensions["loom"]
    with services.runtime.engine.connect() as conn:
        ids = {login: services.identity.user_by_login(conn, login)["id"] for login in ("boss", "fin")}
    emp = clients.portal("emp")
    form = emp.get("/oa2/claim/new").text
    assert 'data-chosen="finance"' in form and 'data-chosen="copy"' in form
    assert "role=finance" in form  # the finance picker offers only finance
    assert [n for n in ("李会计", "王经理") if n in emp.get("/pick/user?role=finance&q=").text] == ["李会计"]
    typed = {"title": "差旅", "total": "300"}
    waiting = emp.post("/oa2/claim/flow-preview", data=typed).text
    assert "data-chain-choose" in waiting
    picked = {**typed, "chosen-finance": str(ids["fin"]), "chosen-copy": str(ids["boss"])}
    chain = emp.post("/oa2/claim/flow-preview", data=picked).text
    assert 'data-step="finance"' in chain and "李会计" in chain
    assert 'data-step="copy"' in chain and "抄送" in chain
    refused = emp.post("/oa2/claim/new", data={**typed, "_intent": "submit"})
    assert refused.status_code == 422 and 'id="err-chosen"' in refused.text
    assert emp.get("/api/v1/oa2/claim").get_json()["items"] == []
    kept = emp.post("/oa2/claim/new", data={**typed, "chosen-copy": str(ids["boss"]), "_intent": "submit"})
    assert kept.status_code == 422 and "王经理" in kept.text  # the CC picked is still there
    done = emp.post("/oa2/claim/new", data={**picked, "_intent": "submit"})
    assert done.status_code == 302
    claim = emp.get("/api/v1/oa2/claim").get_json()["items"][0]
    summary = emp.get(f"/api/v1/oa2/claim/{claim['id']}/flow").get_json()
    assert summary["status"] == "running" and summary["tasks"][0]["assignee_id"] == ids["boss"]
