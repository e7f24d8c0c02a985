"""Every approver kind, mode, policy and node kind, one small flow each."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from loom.metadata.schema_check import load_schema
from loom.platform.flows.nodes import KINDS
from loom.platform.flows.nodes import walk
from loom.platform.records.errors import ValidationFailed


def flow(*nodes: str, **options: str) -> str:
    extra = "".join(f"{k}: {v}\n" for k, v in options.items())
    body = "".join(f"  - {n}\n" for n in nodes)
    return f"kind: flow\nname: expense_approval\nlabel: Flow\nentity: expense\n{extra}nodes:\n{body}"


@pytest.mark.parametrize(
    ("node", "who", "expected"),
    [
        ("{name: n, approve: {manager: 1}}", "staff", ["lead"]),
        ("{name: n, approve: {manager: 2}}", "staff", ["sales_head"]),
        ("{name: n, approve: {manager: 1}}", "lead", ["sales_head"]),  # a head's level 1 is one up
        ("{name: n, approve: {manager: 3}}", "staff", ["gm"]),
        ("{name: n, approve: {department_head: true}}", "staff", ["lead"]),
        ("{name: n, approve: {users: [fin1, hr]}}", "staff", ["fin1", "hr"]),
        ("{name: n, approve: {role: finance}}", "staff", ["fin_head", "fin1", "fin2"]),
        ("{name: n, approve: {initiator: true}}", "staff", ["staff"]),
    ],
)
def test_approver_kinds(make_company, node, who, expected) -> None:
    co = make_company(flow(node))
    record = co.expense(who)
    assert co.pending(co.submit(record, who)) == expected


def test_manager_chain_up_to_a_level(make_company) -> None:
    co = make_company(flow("{name: chain, approve: {managers: {up_to_level: 3}}, mode: sequence}"))
    record = co.expense()
    summary = co.submit(record)
    assert co.pending(summary) == ["lead"]
    assert co.pending(co.act(record, "lead")) == ["sales_head"]
    assert co.pending(co.act(record, "sales_head")) == ["gm"]
    assert co.act(record, "gm")["status"] == "approved"


def test_a_users_own_manager_comes_before_the_department_heads(make_company) -> None:
    co = make_company(flow("{name: chain, approve: {managers: {up_to_level: 3}}, mode: sequence}"))
    users = co.services.runtime.schema.metadata.tables["loom_users"]
    with co.services.runtime.engine.begin() as conn:  # staff reports to the finance head, across departments
        conn.execute(
            users.update()
            .where(users.c.id == co.users["staff"].id)
            .values(manager_id=co.users["fin_head"].id)
        )
    record = co.expense()
    assert co.pending(co.submit(record)) == ["fin_head"]
    assert co.pending(co.act(record, "fin_head")) == ["gm"]  # then the heads above the finance head


def test_manager_chain_up_to_a_role(make_company) -> None:
    co = make_company(
        flow("{name: chain, approve: {managers: {up_to_role: general_manager}}, mode: sequence}")
    )
    record = co.expense()
    co.submit(record)
    co.act(record, "lead")
    assert co.pending(co.act(record, "sales_head")) == ["gm"]


def test_user_field_and_chosen_approvers(make_company) -> None:
    co = make_company(
        flow(
            "{name: by_field, approve: {field: reviewer}}",
            "{name: picked, approve: {chosen: {role: finance, max: 1}}}",
        )
    )
    record = co.expense(reviewer=co.users["hr"].id)
    with pytest.raises(ValidationFailed) as info:
        co.submit(record, chosen={"picked": co.ids("hr")})  # hr is not finance
    assert info.value.errors[0].field == "chosen.picked"
    assert co.pending(co.submit(record, chosen={"picked": co.ids("fin2")})) == ["hr"]
    assert co.pending(co.act(record, "hr")) == ["fin2"]


def test_all_mode_needs_everyone_and_completes_once(make_company) -> None:
    co = make_company(flow("{name: board, approve: {users: [fin1, fin2, hr, gm, cashier]}, mode: all}"))
    record = co.expense()
    co.submit(record)
    for login in ("fin1", "fin2", "hr", "gm"):
        assert co.act(record, login)["status"] == "running"
    done = co.act(record, "cashier")
    assert done["status"] == "approved"
    assert [e["kind"] for e in done["timeline"]].count("finish") == 1


def test_empty_approver_skips(make_company) -> None:
    co = make_company(
        flow(
            "{name: none, approve: {manager: 9}, empty: skip}", "{name: gm, approve: {role: general_manager}}"
        )
    )
    record = co.expense()
    summary = co.submit(record)
    assert co.pending(summary) == ["gm"]
    assert "skip" in [e["kind"] for e in summary["timeline"]]


def test_empty_approver_goes_to_admin(make_company) -> None:
    co = make_company(flow("{name: none, approve: {manager: 9}, empty: admin}"))
    record = co.expense()
    assert co.pending(co.submit(record)) == ["root"]


def test_initiator_as_approver_passes(make_company) -> None:
    co = make_company(flow("{name: own, approve: {users: [staff, fin1]}, self: pass}"))
    record = co.expense()
    summary = co.submit(record)
    assert co.pending(summary) == ["fin1"]
    assert "auto_pass" in [e["kind"] for e in summary["timeline"]]


def test_initiator_as_approver_goes_to_their_manager(make_company) -> None:
    co = make_company(flow("{name: own, approve: {initiator: true}, self: manager}"))
    assert co.pending(co.submit(co.expense())) == ["lead"]


def gm_heads_the_company(co, group: bool = False) -> None:
    """Put 总经办 under a company department that gm also heads, as the demo company is built:
    gm is then his own level-1 manager. With ``group``, the company sits in a group whose
    chair (a new user, ``chair``) is gm's level-2 manager."""
    identity, engine = co.services.identity, co.services.runtime.engine
    departments = co.services.runtime.schema.metadata.tables["loom_departments"]
    with engine.begin() as conn:
        parent = None
        if group:
            parent = identity.create_department(conn, "集团")
            chair = identity.create_user(conn, "chair", "chair", password="pw", department_id=parent)
            identity.set_head(conn, parent, chair)
            co.users["chair"] = identity.actor(conn, chair)
        company = identity.create_department(conn, "杭州云织科技有限公司", parent)
        identity.set_head(conn, company, co.users["gm"].id)
        top = co.users["gm"].department_id
        conn.execute(departments.update().where(departments.c.id == top).values(parent_id=company))


@pytest.mark.parametrize(
    ("policy", "who", "expected"),
    [
        ("approve", "gm", ["gm"]),  # without an option, he waits on himself
        ("next_level", "gm", ["chair"]),  # the next level up
        ("next_level", "sales_head", ["gm"]),  # not the initiator: nothing changes
        ("manager", "gm", ["chair"]),  # the first manager who is someone else
        ("pass", "gm", ["root"]),  # taken out, nobody left: the node is skipped
    ],
)
def test_initiator_who_is_his_own_manager(make_company, policy, who, expected) -> None:
    co = make_company(
        flow(
            f"{{name: manager, approve: {{manager: 1}}, empty: admin, self: {policy}}}",
            "{name: last, approve: {users: [root]}}",
        )
    )
    gm_heads_the_company(co, group=True)
    summary = co.submit(co.expense(who), who)
    assert co.pending(summary) == expected


def test_next_level_at_the_top_of_the_company_skips_the_node(make_company) -> None:
    co = make_company(
        flow(
            "{name: manager, approve: {manager: 1}, empty: admin, self: next_level}",
            "{name: department_head, approve: {manager: 2}, empty: skip, self: next_level}",
            "{name: finance, approve: {role: finance}, mode: any}",
        )
    )
    gm_heads_the_company(co)
    summary = co.submit(co.expense("gm"), "gm")
    assert co.pending(summary) == ["fin_head", "fin1", "fin2"]  # not himself, nor the admin
    passes = [e for e in summary["timeline"] if e["kind"] == "auto_pass"]
    assert [e["node"] for e in passes] == ["manager"]


def test_dedupe_passes_an_approver_who_already_approved(make_company) -> None:
    co = make_company(
        flow("{name: first, approve: {manager: 1}}", "{name: again, approve: {users: [lead, gm]}, mode: all}")
    )
    record = co.expense()
    co.submit(record)
    summary = co.act(record, "lead")
    assert co.pending(summary) == ["gm"]
    assert "dedupe" in [e["kind"] for e in summary["timeline"]]


def test_dedupe_can_be_switched_off(make_company) -> None:
    co = make_company(
        flow("{name: first, approve: {manager: 1}}", "{name: again, approve: {users: [lead]}, dedupe: false}")
    )
    record = co.expense()
    co.submit(record)
    assert co.pending(co.act(record, "lead")) == ["lead"]


def test_parallel_lanes_all_finish_before_the_next_node(make_company) -> None:
    co = make_company(
        flow(
            "{name: both, parallel: [{nodes: [{name: legal_review, approve: {users: [hr]}}]}, "
            "{nodes: [{name: finance_review, approve: {users: [fin1]}}]}]}",
            "{name: sign, approve: {users: [gm]}}",
        )
    )
    record = co.expense()
    assert sorted(co.pending(co.submit(record))) == ["fin1", "hr"]
    assert co.pending(co.act(record, "hr")) == ["fin1"]
    assert co.pending(co.act(record, "fin1")) == ["gm"]


def test_actions_set_fields_and_create_records_elsewhere(make_company) -> None:
    co = make_company(
        flow(
            "{name: ok, approve: {users: [lead]}}",
            "{name: settle, action: {set: {approved_amount: 'total'}, create: {entity: receipt, "
            "values: {expense_title: 'title', amount: 'total'}}}}",
        )
    )
    record = co.expense(total="1234.50")
    co.submit(record)
    done = co.act(record, "lead")
    assert done["status"] == "approved"
    got = co.services.records.get("shop.expense", record["id"], co.users["staff"])
    assert str(got["approved_amount"]) == "1234.50"
    from loom.platform.records.query import ListQuery

    receipts = co.services.records.list("shop.receipt", ListQuery(), co.users["fin1"]).records
    assert [(r["expense_title"], str(r["amount"])) for r in receipts] == [("出差", "1234.50")]


def test_delegation_sends_new_tasks_to_the_delegate(make_company) -> None:
    co = make_company(flow("{name: n, approve: {manager: 1}}"))
    services = co.services
    today = dt.datetime.now(dt.UTC).date()
    with services.runtime.engine.begin() as conn:
        conn.execute(
            insert(services.flows.engine.delegations),
            {
                "user_id": co.users["lead"].id,
                "delegate_id": co.users["staff2"].id,
                "starts_on": today - dt.timedelta(days=1),
                "ends_on": today + dt.timedelta(days=3),
            },
        )
    record = co.expense()
    summary = co.submit(record)
    assert co.pending(summary) == ["staff2"]
    assert summary["tasks"][0]["on_behalf_of"] == co.users["lead"].id


def test_a_step_can_hide_fields_from_its_approver(make_company) -> None:
    co = make_company(
        flow("{name: check, approve: {users: [hr]}, hidden: [total], editable: [approved_amount]}")
    )
    record = co.expense(total="9999")
    co.submit(record)
    seen_by_hr = co.services.records.get("shop.expense", record["id"], co.users["hr"])
    assert "total" not in seen_by_hr and seen_by_hr["title"] == "出差"
    assert "total" in co.services.records.get("shop.expense", record["id"], co.users["staff"])
    co.act(record, "hr", values={"approved_amount": "100"})
    assert "total" not in co.services.records.get("shop.expense", record["id"], co.users["hr"])


def test_role_within_the_initiators_department_and_a_departments_head(make_company) -> None:
    co = make_company(
        flow(
            "{name: local_finance, approve: {role: finance, scope: department}, empty: skip}",
            "{name: head_of_field, approve: {department_head: cost_center}}",
        )
    )
    departments = co.services.identity.departments
    with co.services.runtime.engine.connect() as conn:
        finance = conn.execute(departments.select().where(departments.c.name == "财务部")).mappings().one()
    staff_record = co.expense(cost_center=finance["id"])
    summary = co.submit(staff_record)
    assert co.pending(summary) == ["fin_head"]  # no finance member in staff's department: skipped
    assert "skip" in [e["kind"] for e in summary["timeline"]]


def test_running_approvals_keep_the_flow_they_started_with(make_company, database_url, tmp_path) -> None:
    import shutil

    from loom.metadata import validate_paths
    from loom.platform.database import make_engine
    from loom.platform.runtime import Runtime
    from loom.platform.services import Services

    co = make_company(
        flow("{name: first, approve: {users: [lead]}}", "{name: second, approve: {users: [gm]}}")
    )
    record = co.expense()
    co.submit(record)
    changed = tmp_path / "v2" / "shop"
    shutil.copytree(tmp_path / "shop", changed)
    (changed / "flows" / "expense.yaml").write_text(flow("{name: only, approve: {users: [hr]}}"))
    catalog = validate_paths([changed]).catalog
    services = Services.build(Runtime.for_catalog(catalog, make_engine(database_url)))
    summary = services.flows.act("shop.expense", record["id"], co.users["lead"], "approve", {})
    assert co.pending(summary) == ["gm"]  # the running approval keeps its definition
    fresh = services.records.create("shop.expense", {"title": "新", "total": "1"}, co.users["staff"])
    assert co.pending(services.flows.submit("shop.expense", fresh["id"], co.users["staff"])) == ["hr"]


def test_every_node_kind_of_the_language_has_its_class() -> None:
    """The schema's node kinds and the engine's registry name the same kinds, in one order."""
    declared = [k for k in load_schema("flow")["$defs"]["node"]["properties"] if k not in ("name", "label")]
    assert list(KINDS) == declared
    assert {kind.key for kind in KINDS.values()} == set(declared)


def test_walk_meets_nodes_in_the_order_a_record_does() -> None:
    nodes = [
        {"name": "a", "approve": {"manager": 1}},
        {
            "name": "b",
            "branch": [
                {"when": "true", "nodes": [{"name": "c", "cc": {"initiator": True}}]},
                {"else": [{"name": "d", "parallel": [{"nodes": [{"name": "e", "action": {"set": {}}}]}]}]},
            ],
        },
        {"name": "f", "approve": {"role": "finance"}},
    ]
    assert [n["name"] for n in walk(nodes)] == ["a", "b", "c", "d", "e", "f"]
