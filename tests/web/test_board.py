"""The kanban board (``list.board``, web/board.py) through the HTTP client on each test database:
an opportunity board per sales process with its stages in order, counts and totals; a move
through the records service that runs the CRM's stage automations; refused moves (a rule, a
stale version, a reader without write) that leave the record as it was; a ticket board by
status; 列表 | 看板 keeping the search and the saved view."""

from __future__ import annotations

import html
import re
from decimal import Decimal

from loom.metadata.catalog import ListBoard
from loom.platform.actor import SYSTEM
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.seeds import install_seeds

from .conftest import catalog
from .test_pages import actor
from .test_pages import sign_in

LANE = re.compile(
    r'<section class="loom-lane" data-column="([^"]+)".*?'
    r'<h2 class="loom-lane-title"[^>]*>(?:<span[^>]*>)?([^<]+)<'
    r".*?data-count[^>]*>(\d+)</span>"
    r'(?:\s*<span class="loom-lane-sum" data-sum>([^<]+)</span>)?(.*?)</section>',
    re.S,
)
CARD = re.compile(r'<li class="loom-board-card" data-record="(\d+)" data-version="(\d+)">')


def lanes(page: str) -> list[tuple[str, str, int, str | None, list[int]]]:
    """(column key, heading, count, total, card ids) of each column of a board page."""
    return [
        (key, html.unescape(title), int(count), html.unescape(total) if total else None, _cards(body))
        for key, title, count, total, body in LANE.findall(page)
    ]


def _cards(body: str) -> list[int]:
    return [int(record) for record, _ in CARD.findall(body)]


class Sales:
    """The CRM's seed stages, a salesperson (sara), a BI reader (bill) and sara's opportunities."""

    def __init__(self, app) -> None:
        self.app = app
        services = app.extensions["loom"]
        install_seeds(services.records)
        with services.runtime.engine.begin() as conn:
            for login, role in (("sara", "crm_sales"), ("bill", "crm_bi_viewer")):
                app.users[login] = services.identity.create_user(
                    conn, login, login.title(), password=f"{login}-pw", roles=[role]
                )
        self.records = services.records
        self.sara = actor(app, "sara")
        self.groups = self._codes("crm.opportunity_stage_group")
        self.stages = self._codes("crm.opportunity_stage")
        customer = self.records.create("crm.customer", {"name": "杭州云织科技"}, self.sara)
        self.customer = customer["id"]

    def _codes(self, entity: str) -> dict[str, int]:
        page = self.records.list(entity, ListQuery(page_size=100, fields=("code",)), SYSTEM)
        return {r["code"]: r["id"] for r in page.records}

    def opportunity(self, name: str, stage: str, amount: str, group: str = "standard") -> dict:
        values = {
            "name": name,
            "customer": self.customer,
            "stage_group": self.groups[group],
            "stage": self.stages[stage],
            "amount": amount,
        }
        created = self.records.create("crm.opportunity", values, self.sara)
        return self.get(created)  # as the board reads it, after the creation's automations

    def get(self, record: dict) -> dict:
        return self.records.get("crm.opportunity", record["id"], SYSTEM)


def move(client, record: dict, to: int | str, *, version: int | None = None, json: bool = True):
    data = {
        "record": record["id"],
        "to": to,
        "version": record["version"] if version is None else version,
        "csrf_token": client.csrf,
        "next": "/crm/opportunity/board?q=ERP",
    }
    headers = {"Accept": "application/json"} if json else {}
    return client.post("/crm/opportunity/board/move", data=data, headers=headers)


def test_boards_are_declared_for_opportunities_tickets_and_leads() -> None:
    entities = catalog().entities
    by_stage = ListBoard("stage", "stage_group", ("sort_order",), "amount")
    assert entities["crm.opportunity"].list.board == by_stage
    assert entities["crm.service_ticket"].list.board == ListBoard("status")
    assert entities["crm.lead"].list.board == ListBoard("status")
    assert entities["crm.customer"].list.board is None


def test_the_opportunity_board_shows_one_sales_process_in_stage_order(app) -> None:
    sales = Sales(app)
    erp = sales.opportunity("云织 ERP 项目", "standard_qualification", "100000")
    sales.opportunity("云织 MES 项目", "standard_qualification", "50000")
    crm = sales.opportunity("云织 CRM 项目", "standard_needs", "20000")
    quick = sales.opportunity("云织 标准版", "quick_quote", "8000", group="quick")
    client = sign_in(app, "sara", lang="zh")

    page = client.get("/crm/opportunity/board").text
    shown = lanes(page)
    assert [title for _, title, *_ in shown] == [
        "初步接洽", "需求确认", "方案/报价", "商务谈判", "待签约", "赢单", "输单", "无效",
    ]  # fmt: skip
    first, second = shown[0], shown[1]
    assert first[0] == str(sales.stages["standard_qualification"])
    assert (first[2], first[3], len(first[4])) == (2, "¥150,000.00", 2)
    assert (second[2], second[3], second[4]) == (1, "¥20,000.00", [crm["id"]])
    assert shown[2][2:] == (0, "¥0.00", [])
    assert quick["id"] not in [c for lane in shown for c in lane[4]]  # another sales process
    standard = sales.groups["standard"]
    assert re.search(rf'btn-outline-primary active" href="[^"]*" data-group="{standard}"', page)
    assert "data-movable" in page and "移到…" in page
    assert 'data-display="board"' in page and 'aria-current="page" data-display="board"' in page
    assert f'data-record="{erp["id"]}"' in page and "云织 ERP 项目" in page

    other = lanes(client.get(f"/crm/opportunity/board?group={sales.groups['quick']}").text)
    assert [title for _, title, *_ in other] == ["验证客户", "需求分析", "方案/报价", "赢单", "输单"]
    assert other[2][2:] == (1, "¥8,000.00", [quick["id"]])
    # The search narrows every column, as on the list.
    searched = lanes(client.get("/crm/opportunity/board?q=ERP").text)
    assert [lane[2] for lane in searched[:2]] == [1, 0]


def test_a_move_goes_through_the_records_service_and_its_automations(app) -> None:
    sales = Sales(app)
    erp = sales.opportunity("云织 ERP 项目", "standard_qualification", "100000")
    client = sign_in(app, "sara", lang="zh")
    answer = move(client, erp, sales.stages["standard_proposal"])
    assert answer.status_code == 200 and answer.get_json() == {"ok": True}
    after = sales.get(erp)
    assert after["stage"] == sales.stages["standard_proposal"]
    assert Decimal(after["win_probability"]) == 50  # the stage's, set by 销售阶段推进
    assert after["version"] > erp["version"]
    logged = sales.records.list(
        "crm.stage_change",
        ListQuery(filters=(Condition("opportunity", "eq", erp["id"]),), fields=("from_stage", "to_stage")),
        SYSTEM,
    ).records
    moves = [(r["from_stage"], r["to_stage"]) for r in logged]
    assert (sales.stages["standard_qualification"], sales.stages["standard_proposal"]) in moves
    shown = lanes(client.get("/crm/opportunity/board").text)
    assert [lane[2] for lane in shown[:3]] == [0, 0, 1] and shown[2][3] == "¥100,000.00"

    # Without the board's script, the 移到… menu posts a form and comes back to the board.
    won = move(client, after, sales.stages["standard_won"], json=False)
    assert won.status_code == 303 and won.headers["Location"].endswith("/crm/opportunity/board?q=ERP")
    assert sales.get(erp)["end_status"] == "won"  # the outcome follows the stage type
    assert "已移动。" in client.get(won.headers["Location"]).text


def test_refused_moves_leave_the_record_as_it_was(app) -> None:
    sales = Sales(app)
    erp = sales.opportunity("云织 ERP 项目", "standard_negotiation", "100000")
    client = sign_in(app, "sara", lang="zh")

    lost = move(client, erp, sales.stages["standard_lost"])  # 输单 needs a reason (a rule)
    assert lost.status_code == 200  # an answer for the board's script, not a failed request
    assert lost.get_json() == {"ok": False, "status": 422, "message": "输单时请选择输单原因"}
    stale = move(client, erp, sales.stages["standard_closing"], version=erp["version"] - 1)
    assert stale.get_json()["status"] == 409 and "修改" in stale.get_json()["message"]
    assert sales.get(erp) == erp

    reader = sign_in(app, "bill", lang="zh")  # reads every opportunity, writes none
    page = reader.get("/crm/opportunity/board").text
    assert lanes(page)[3][4] == [erp["id"]]
    assert "data-movable" not in page and "移到…" not in page
    refused = move(reader, erp, sales.stages["standard_closing"])
    assert refused.get_json() == {"ok": False, "status": 403, "message": refused.get_json()["message"]}
    form = move(reader, erp, sales.stages["standard_closing"], json=False)
    assert form.status_code == 303
    assert sales.get(erp) == erp


def test_a_ticket_board_has_a_column_per_status(app) -> None:
    sales = Sales(app)
    ticket_type = sales.records.list("crm.ticket_type", ListQuery(page_size=1), SYSTEM).records[0]["id"]
    values = {"customer": sales.customer, "ticket_type": ticket_type, "description": "<p>无法登录</p>"}
    ticket = sales.records.create("crm.service_ticket", {**values, "subject": "系统无法登录"}, SYSTEM)
    client = sign_in(app, "root", lang="zh")
    shown = lanes(client.get("/crm/service_ticket/board").text)
    heads = [(key, title) for key, title, *_ in shown]
    assert heads[:3] == [("new", "新建"), ("assigned", "已分派"), ("in_progress", "处理中")]
    assert shown[0][2:] == (1, None, [ticket["id"]])
    answer = client.post(
        "/crm/service_ticket/board/move",
        data={"record": ticket["id"], "to": "in_progress", "version": ticket["version"]},
        headers={"Accept": "application/json", "X-CSRF-Token": client.csrf},
    )
    assert answer.status_code == 200
    moved = sales.records.get("crm.service_ticket", ticket["id"], SYSTEM)
    assert moved["status"] == "in_progress" and moved["first_responded_at"] is not None  # 工单处理时间


def test_list_and_board_switch_keeping_the_search_and_view(app) -> None:
    Sales(app)
    client = sign_in(app, "sara", lang="zh")
    page = html.unescape(client.get("/crm/opportunity?view=open&q=ERP&page=2").text)
    link = re.search(r'href="([^"]+)" data-display="board"', page).group(1)
    assert link.startswith("/crm/opportunity/board?") and "view=open" in link and "q=ERP" in link
    assert "page=" not in link
    board = html.unescape(client.get(link).text)
    assert 'href="/crm/opportunity/board?' in board and "看板" in board and "列表" in board
    assert re.search(r'href="/crm/opportunity\?[^"]*view=open[^"]*" data-display="lists"', board)
    assert client.get("/crm/customer/board").status_code == 404  # no board declared
    assert "data-display" not in client.get("/crm/customer").text
