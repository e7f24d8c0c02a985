"""A task's page through the HTTP client: 同意 and 拒绝 lead, the rest wait under 更多, a
step's required comment is marked on its button, and deciding one task opens the next."""

from __future__ import annotations

import re

from .test_pages import _everything
from .test_pages import actor
from .test_pages import claims
from .test_pages import sign_in


def submitted(app, count: int) -> list[int]:
    claims(app, count)
    services, emma = app.extensions["loom"], actor(app, "emma")
    ids = [r["id"] for r in services.records.list("webtest.expense", _everything(), emma).records]
    for record_id in ids:
        services.flows.submit("webtest.expense", record_id, emma)
    return sorted(ids)


def test_the_task_bar_and_the_next_task(app) -> None:
    first, second = submitted(app, 2)
    mona = sign_in(app, "mona", "zh")
    page = mona.get(f"/webtest/expense/{first}").text
    bar = re.search(
        r'<div class="col-12 d-flex flex-wrap gap-2 loom-task-bar">(.*?)<div class="dropup">', page, re.S
    )
    assert bar and re.findall(r'id="flow-(\w+)"', bar.group(1)) == ["approve", "reject"]
    more = page[page.index('<ul class="dropdown-menu') :]
    assert re.findall(r'id="flow-([\w-]+)"', more)[:5] == [
        "return",
        "transfer-open",
        "add_approver-open",
        "cc-open",
        "comment",
    ]
    assert re.search(r'id="flow-reject"[^>]*data-needs-comment', page)
    assert not re.search(r'id="flow-approve"[^>]*data-needs-comment', page)
    bare = mona.post(f"/webtest/expense/{first}/flow/reject", data={"csrf_token": mona.csrf})
    assert bare.headers["Location"].endswith(f"/webtest/expense/{first}")  # refused: stays
    assert "请在审批意见中填写理由。" in mona.get(bare.headers["Location"]).text
    data = {"csrf_token": mona.csrf, "comment": "不符合规定"}
    decided = mona.post(f"/webtest/expense/{first}/flow/reject", data=data)
    assert decided.headers["Location"].endswith(f"/webtest/expense/{second}")
    landed = mona.get(decided.headers["Location"]).text
    assert "已处理，已为你打开下一条待办" in landed
    last = mona.post(f"/webtest/expense/{second}/flow/approve", data={"csrf_token": mona.csrf})
    assert last.headers["Location"].endswith(f"/webtest/expense/{second}")  # nothing left: stays
    emma = sign_in(app, "emma", "zh")
    own = emma.get(f"/webtest/expense/{second}").text
    assert "loom-task-bar" not in own and 'id="flow-more"' not in own  # the initiator's buttons stay inline


def test_add_an_approver_copy_and_return_to_a_chosen_step(app) -> None:
    (claim,) = submitted(app, 1)
    services, users = app.extensions["loom"], app.users
    mona, fin = sign_in(app, "mona", "zh"), sign_in(app, "fin", "zh")
    base = f"/webtest/expense/{claim}/flow"
    page = mona.get(f"/webtest/expense/{claim}").text
    assert 'id="panel-add_approver"' in page and 'name="position"' in page and 'id="panel-cc"' in page
    assert 'id="panel-return"' not in page  # the manager may only return to the initiator
    added = {"csrf_token": mona.csrf, "add_users": str(users["root"]), "position": "before"}
    assert mona.post(f"{base}/add_approver", data=added).status_code == 302
    copied = {"csrf_token": mona.csrf, "cc_users": [str(users["emma"]), str(users["fin"])]}
    assert mona.post(f"{base}/cc", data=copied).status_code == 302
    summary = services.flows.latest_summary("webtest.expense", claim)
    pending = {t["assignee_id"] for t in summary["tasks"] if t["status"] == "pending"}
    copies = {t["assignee_id"] for t in summary["tasks"] if t["kind"] == "cc"}
    assert users["root"] in pending and copies == {users["emma"], users["fin"]}
    root = sign_in(app, "root", "zh")
    root.post(f"{base}/approve", data={"csrf_token": root.csrf})
    mona.post(f"{base}/approve", data={"csrf_token": mona.csrf})
    at_finance = fin.get(f"/webtest/expense/{claim}").text
    assert 'id="panel-return"' in at_finance
    assert re.findall(r'<option value="(\w+)">', at_finance[at_finance.index('id="flow-return-to"') :])[
        :2
    ] == [
        "initiator",
        "manager",
    ]
    back = {"csrf_token": fin.csrf, "return_to": "manager", "comment": "请经理再看金额"}
    assert fin.post(f"{base}/return", data=back).status_code == 302
    summary = services.flows.latest_summary("webtest.expense", claim)
    waiting = [(t["node"], t["assignee_id"]) for t in summary["tasks"] if t["status"] == "pending"]
    assert summary["status"] == "running" and waiting == [("manager", users["mona"])]
