"""Platform views: users, departments, roles, memberships, tokens, the audit log, flow instances."""

from __future__ import annotations

import re

from markupsafe import escape
from sqlalchemy import select

SCRIPT = "<script>alert('x')</script>"


def rows(console, table: str) -> list[dict]:
    found = console.services.runtime.schema.metadata.tables[table]
    with console.services.runtime.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(found).order_by(*found.primary_key)).mappings()]


def post_form(client, console, url: str, data: dict):
    page = client.get(url)
    assert page.status_code == 200, page.text
    return client.post(url, data={**data, "csrf_token": console.csrf(page.text)})


def test_users_are_created_and_edited_through_identity(console) -> None:
    client = console.client("root")
    created = post_form(
        client,
        console,
        "/admin/users/new/",
        {"login": "lily", "name": SCRIPT, "password": "lily-password", "roles": ["admin"], "locale": "en"},
    )
    assert created.status_code == 302, created.text
    lily = next(u for u in rows(console, "loom_users") if u["login"] == "lily")
    assert lily["name"] == SCRIPT and lily["locale"] == "en"
    assert console.services.identity.authenticate("lily", "lily-password") is not None
    listed = client.get("/admin/users/")
    assert escape(SCRIPT) in listed.text and SCRIPT not in listed.text
    assert "password_hash" not in listed.text and lily["password_hash"] not in listed.text

    taken = post_form(client, console, "/admin/users/new/", {"login": "lily", "name": "Lily", "locale": "en"})
    assert taken.status_code == 200 and "is taken" in taken.text

    edit = f"/admin/users/edit/?id={lily['id']}"
    edited = post_form(client, console, edit, {"name": "Lily Wang", "roles": [], "locale": "zh_CN"})
    assert edited.status_code == 302, edited.text
    lily = next(u for u in rows(console, "loom_users") if u["login"] == "lily")
    assert lily["name"] == "Lily Wang" and lily["active"] is False  # an unticked box deactivates
    assert console.services.identity.authenticate("lily", "lily-password") is None
    assert not [m for m in rows(console, "loom_memberships") if m["user_id"] == lily["id"]]


def test_departments_form_a_tree(console) -> None:
    client = console.client("root")
    assert post_form(client, console, "/admin/departments/new/", {"name": "总部"}).status_code == 302
    [head_office] = rows(console, "loom_departments")
    sales = {"name": "销售部", "parent_id": str(head_office["id"]), "head_id": str(console.users["emma"])}
    assert post_form(client, console, "/admin/departments/new/", sales).status_code == 302
    child = rows(console, "loom_departments")[1]
    assert child["parent_id"] == head_office["id"] and child["head_id"] == console.users["emma"]

    listed = client.get("/admin/departments/").text
    assert listed.index("总部") < listed.index("销售部")
    assert 'padding-left: 1.5em">销售部' in listed

    cycle = {"name": "总部", "parent_id": str(child["id"])}
    refused = post_form(client, console, f"/admin/departments/edit/?id={head_office['id']}", cycle)
    assert refused.status_code == 200 and "below it" in refused.text
    assert rows(console, "loom_departments")[0]["parent_id"] is None

    page = client.get("/admin/departments/")
    token = console.csrf(page.text)
    client.post("/admin/departments/delete/", data={"id": head_office["id"], "csrf_token": token})
    assert len(rows(console, "loom_departments")) == 2  # still has a sub-department
    client.post("/admin/departments/delete/", data={"id": child["id"], "csrf_token": token})
    assert [d["name"] for d in rows(console, "loom_departments")] == ["总部"]


def test_roles_and_memberships(console) -> None:
    client = console.client("root")
    roles = client.get("/admin/roles/")
    assert roles.status_code == 200 and "<code>admin</code>" in roles.text
    emma = console.users["emma"]
    added = post_form(client, console, "/admin/memberships/new/", {"user_id": str(emma), "role": "admin"})
    assert added.status_code == 302
    assert {"user_id": emma, "role": "admin"} in rows(console, "loom_memberships")
    assert console.client("emma").get("/admin/").status_code == 200

    page = client.get("/admin/memberships/")
    removed = client.post(
        "/admin/memberships/delete/", data={"id": f"{emma}:admin", "csrf_token": console.csrf(page.text)}
    )
    assert removed.status_code == 302
    assert {"user_id": emma, "role": "admin"} not in rows(console, "loom_memberships")


def test_tokens_are_listed_without_secrets_and_revoked(console) -> None:
    with console.services.runtime.engine.begin() as conn:
        token = console.services.identity.create_token(conn, console.users["emma"], "erp sync", 30)
    client = console.client("root")
    listed = client.get("/admin/tokens/")
    [stored] = rows(console, "loom_tokens")
    assert "erp sync" in listed.text
    assert token.token not in listed.text and stored["token_hash"] not in listed.text
    details = client.get(f"/admin/tokens/details/?id={token.id}")
    assert stored["token_hash"] not in details.text
    revoked = client.post(
        "/admin/tokens/action/",
        data={"action": "revoke", "rowid": [str(token.id)], "csrf_token": console.csrf(listed.text)},
    )
    assert revoked.status_code == 302
    assert rows(console, "loom_tokens")[0]["revoked_at"] is not None
    assert console.services.identity.actor_for_token(token.token) is None


def test_audit_log_and_flow_instances_are_read_only(console) -> None:
    services, root = console.services, console.services.identity
    with services.runtime.engine.connect() as conn:
        admin = root.actor(conn, console.users["root"])
    memo = services.records.create("memo.memo", {"title": SCRIPT}, admin)
    services.flows.submit("memo.memo", memo["id"], admin)
    client = console.client("root")

    audit = client.get("/admin/audit/?flt0_0=memo.memo")
    assert audit.status_code == 200 and "memo.memo" in audit.text
    [entry] = [
        a for a in rows(console, "loom_audit") if a["entity"] == "memo.memo" and a["action"] == "create"
    ]
    details = client.get(f"/admin/audit/details/?id={entry['id']}")
    assert escape(SCRIPT) in details.text and SCRIPT not in details.text

    flows = client.get("/admin/flows/")
    assert flows.status_code == 200 and "memo.memo_review" in flows.text
    [instance] = rows(console, "loom_flow_instances")
    assert client.get(f"/admin/flows/details/?id={instance['id']}").status_code == 200

    before = (rows(console, "loom_audit"), rows(console, "loom_flow_instances"))
    for url in ("/admin/audit/", "/admin/flows/"):
        token = console.csrf(client.get(url + "new/", follow_redirects=True).text)
        for action in ("new/", f"edit/?id={instance['id']}", "delete/"):
            client.post(url + action, data={"id": instance["id"], "csrf_token": token})
    assert (rows(console, "loom_audit"), rows(console, "loom_flow_instances")) == before


def test_approval_statuses_read_as_the_portal_words_them(console) -> None:
    services = console.services
    with services.runtime.engine.connect() as conn:
        admin = services.identity.actor(conn, console.users["root"])
    memo = services.records.create("memo.memo", {"title": "周报"}, admin)
    services.flows.submit("memo.memo", memo["id"], admin)
    client = console.client("root", lang="zh")
    for url in (f"/admin/memo/memo/details/?id={memo['id']}", "/admin/flows/"):
        page = client.get(url).text
        assert "审批中" in page and ">in_approval<" not in page and ">running<" not in page, url
        assert "进行中" not in page, url


def test_the_home_page_says_when_no_job_runner_runs(console) -> None:
    from loom.platform.jobs.runner import Scheduler

    client = console.client("root", lang="zh")
    page = client.get("/admin/")
    assert page.status_code == 200 and 'id="job-runner-quiet"' in page.text and "loom worker" in page.text
    Scheduler(console.services).tick()  # a runner claims (and runs) what is due
    assert 'id="job-runner-quiet"' not in client.get("/admin/").text


def identity_audit(console, entity: str, row_id: int) -> list[dict]:
    found = [a for a in rows(console, "loom_audit") if a["entity"] == entity and a["record_id"] == row_id]
    return [{"action": a["action"], "by": a["user_id"], "changes": a["changes"]} for a in found]


def test_every_console_change_of_people_and_departments_is_audited(console) -> None:
    """Identity writes what the console changes, and the audit log says which admin did what."""
    client, root, emma = console.client("root"), console.users["root"], console.users["emma"]
    assert post_form(client, console, "/admin/departments/new/", {"name": "总部"}).status_code == 302
    assert post_form(client, console, "/admin/departments/new/", {"name": "销售部"}).status_code == 302
    head_office, sales = rows(console, "loom_departments")
    moved = {"name": "销售一部", "parent_id": str(head_office["id"]), "head_id": str(emma)}
    assert post_form(client, console, f"/admin/departments/edit/?id={sales['id']}", moved).status_code == 302

    edit = f"/admin/users/edit/?id={emma}"
    changes = {
        "name": "Emma Li", "department_id": str(sales["id"]), "roles": ["admin"], "active": "y",
        "locale": "zh_CN", "password": "a-long-new-passphrase",
    }  # fmt: skip
    assert post_form(client, console, edit, changes).status_code == 302

    assert identity_audit(console, "loom_departments", sales["id"]) == [
        {"action": "create", "by": root, "changes": {"name": {"before": None, "after": "销售部"}}},
        {
            "action": "update",
            "by": root,
            "changes": {
                "name": {"before": "销售部", "after": "销售一部"},
                "parent_id": {"before": None, "after": head_office["id"]},
                "head_id": {"before": None, "after": emma},
            },
        },
    ]
    assert identity_audit(console, "loom_users", emma)[1:] == [  # the first: her creation, by nobody
        {
            "action": "update",
            "by": root,
            "changes": {
                "name": {"before": "Emma", "after": "Emma Li"},
                "department_id": {"before": None, "after": sales["id"]},
            },
        },
        {"action": "update", "by": root, "changes": {"roles": {"before": [], "after": ["admin"]}}},
        {"action": "password", "by": root, "changes": {}},  # that it changed; never a value or hash
    ]

    token = console.csrf(client.get("/admin/departments/").text)
    client.post("/admin/departments/delete/", data={"id": sales["id"], "csrf_token": token})
    assert len(rows(console, "loom_departments")) == 2  # emma is in it
    emptied = {**changes, "department_id": "", "password": ""}
    assert post_form(client, console, edit, emptied).status_code == 302
    client.post("/admin/departments/delete/", data={"id": sales["id"], "csrf_token": token})
    assert [d["name"] for d in rows(console, "loom_departments")] == ["总部"]
    assert identity_audit(console, "loom_departments", sales["id"])[-1] == {
        "action": "delete",
        "by": root,
        "changes": {
            "name": {"before": "销售一部", "after": None},
            "parent_id": {"before": head_office["id"], "after": None},
            "head_id": {"before": emma, "after": None},
        },
    }

    listed = client.get("/admin/audit/?flt0_0=loom_users")
    assert listed.status_code == 200 and "Password changed" in listed.text, listed.text
    entities = re.findall(r'<td class="col-entity">\s*(.*?)\s*</td>', listed.text)
    assert entities and set(entities) == {"User"}  # named, not loom_users
