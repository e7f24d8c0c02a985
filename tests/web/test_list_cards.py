"""Lists as cards on phones (``list.card``, web/cards.py), through the HTTP client on each test
database: the card an entity declares or the one derived from its list, its values as the
record page shows them with a translated status chip, and 加载更多 appending the next rows by
cursor with the view, search, filters and sort kept."""

from __future__ import annotations

import html
import re

from loom.platform.actor import SYSTEM
from loom.platform.web.cards import card_of

from .conftest import catalog
from .test_pages import actor
from .test_pages import claims
from .test_pages import sign_in

CARD = re.compile(r'<a class="card loom-row-card" href="([^"]+)" data-record="\d+">(.*?)</a>', re.S)
MORE = re.compile(r'id="list-more" href="([^"]+)" hx-get="([^"]+)"')


def cards(page: str) -> list[tuple[str, str]]:
    """(link, visible text with single spaces) of each card on the page."""
    found = []
    for href, body in CARD.findall(page):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
        found.append((html.unescape(href), text))
    return found


def fields_of(card) -> tuple[str | None, tuple[str, ...], str | None]:
    return (
        card.title.name if card.title else None,
        tuple(f.name for f in card.fields),
        card.status.name if card.status else None,
    )


def test_a_declared_card_and_a_derived_one() -> None:
    entities = catalog().entities

    def card(name: str, hidden: frozenset[str] = frozenset()):
        entity = entities[name]
        columns = [entity.field(n) for n in entity.list.columns if entity.has_field(n)]
        shown = {f.name: f for f in entity.fields if f.name not in hidden}
        return card_of(entity, columns, shown.get)

    assert fields_of(card("crm.customer")) == (
        "name",
        ("level", "owner_user", "next_contact_at"),
        "deal_status",
    )
    # follow_up names its title; a hidden field leaves the card as it leaves the list.
    assert fields_of(card("crm.follow_up", frozenset({"owner_user"}))) == (
        "content",
        ("customer", "method"),
        None,
    )
    # No card declared: the title field, the first other columns, a select column named *status.
    assert fields_of(card("crm.receivable_plan")) == ("plan_no", ("contract", "customer", "period"), "status")
    assert fields_of(card("crm.product")) == ("name", ("code", "category", "unit"), "status")


def test_a_phone_reads_the_customer_list_as_cards(app) -> None:
    records = app.extensions["loom"].records
    root = actor(app, "root")
    first = records.create(
        "crm.customer",
        {"name": "杭州云织科技", "level": "A", "next_contact_at": "2026-12-01T02:30:00Z"},
        root,
    )
    records.create("crm.customer", {"name": "宁波港务"}, root)
    page = sign_in(app, "root", lang="zh").get("/crm/customer?sort=name").text
    shown = dict(cards(page))
    assert shown[f"/crm/customer/{first['id']}"] == (
        "杭州云织科技 未成交 客户级别 A（重点客户） 负责人 Root 下次联系时间 2026-12-01 10:30"
    )
    assert len(shown) == 2 and "<td><a href=" in page  # the table is there too, for wider screens
    assert 'class="badge loom-chip loom-chip-gray" data-chip="not_deal">未成交<' in page
    assert 'id="list-count">共 2 条<' in page
    assert MORE.search(page) is None  # one page only


def test_an_approval_status_chip_and_money_on_an_expense_card(app) -> None:
    claims(app, 1)
    page = sign_in(app, "emma", lang="zh").get("/webtest/expense").text
    [(_, text)] = cards(page)
    # No card declared: the title, the first other columns, the approval status as the chip.
    assert re.fullmatch(r"claim 00 草稿 单号 EX-\d{4} 类别 \S+ 合计 ¥100\.00", text), text
    assert 'class="badge loom-chip loom-status-draft" data-chip="draft">草稿<' in page


def test_load_more_appends_the_next_rows_of_the_same_search_and_sort(app) -> None:
    claims(app, 45)
    client = sign_in(app, "emma", lang="zh")
    every = sorted(f"claim {i:02d}" for i in range(1, 45, 2))  # the 22 travel claims
    page = client.get("/webtest/expense?category=travel&sort=title&q=claim").text
    titles = [text.split(" ")[0] + " " + text.split(" ")[1] for _, text in cards(page)]
    assert titles == every[:20]
    plain, more = (html.unescape(link) for link in MORE.search(page).groups())
    assert "page=2" in plain and "cursor=" not in plain
    assert all(part in more for part in ("category=travel", "sort=title", "q=claim", "page=2", "cursor="))

    appended = client.get(more, headers={"HX-Request": "true"})
    assert appended.status_code == 200 and "<html" not in appended.text  # only the rows, for htmx
    rest = [text.split(" ")[0] + " " + text.split(" ")[1] for _, text in cards(appended.text)]
    assert rest == every[20:]
    assert MORE.search(appended.text) is None  # the last rows: no button any more
    # Without htmx the cursor means nothing: the address is a page of the list like any other.
    assert "<html" in client.get(more).text


def test_a_bad_cursor_is_a_message_not_an_error(app) -> None:
    records = app.extensions["loom"].records
    records.create("crm.customer", {"name": "宁波港务"}, SYSTEM)
    answer = sign_in(app, "root", lang="zh").get(
        "/crm/customer?cursor=nonsense", headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200 and cards(answer.text) == []
    assert "游标无效" in answer.text


def test_load_more_keeps_the_saved_view(app) -> None:
    records, root = app.extensions["loom"].records, actor(app, "root")
    names = [f"客户{i:02d}" for i in range(25)]
    for name in names:
        records.create("crm.customer", {"name": name}, root)
    client = sign_in(app, "root", lang="zh")
    page = client.get("/crm/customer?view=all&sort=name").text
    assert [text.split(" ")[0] for _, text in cards(page)] == names[:20]
    _, more = (html.unescape(link) for link in MORE.search(page).groups())
    assert "view=all" in more
    appended = client.get(more, headers={"HX-Request": "true"}).text
    assert [text.split(" ")[0] for _, text in cards(appended)] == names[20:]
