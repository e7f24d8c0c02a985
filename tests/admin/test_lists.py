"""Entity lists: filters from ``list.filters``, search, sort and paging, labels in zh and en."""

from __future__ import annotations

import re

import pytest

LIST = "/admin/memo/sample/"


@pytest.fixture
def samples(console) -> dict[str, int]:
    with console.services.runtime.engine.connect() as conn:
        actor = console.services.identity.actor(conn, console.users["root"])
    rows = [("alpha", "a", True, 1), ("beta", "b", False, 5), ("gamma", "b", True, 9)]
    return {
        title: console.services.records.create(
            "memo.sample", {"s": title, "sel": sel, "b": flag, "i": number}, actor
        )["id"]
        for title, sel, flag, number in rows
    }


def titles(page: str) -> list[str]:
    """The sample titles listed, in the order shown."""
    compact = "".join(page.split())
    return sorted(
        (t for t in ("alpha", "beta", "gamma") if f">{t}<" in compact), key=lambda t: compact.index(f">{t}<")
    )


def test_filters_and_search(console, samples) -> None:
    client = console.client("root")
    assert titles(client.get(LIST).text) == ["gamma", "beta", "alpha"]  # list.sort: newest first
    # filters in declaration order: sel = (0); b = (1); i = (2), > (3), < (4)
    assert titles(client.get(LIST, query_string={"flt0_0": "b"}).text) == ["gamma", "beta"]
    assert titles(client.get(LIST, query_string={"flt0_1": "1"}).text) == ["gamma", "alpha"]
    assert titles(client.get(LIST, query_string={"flt0_3": "4", "flt1_4": "9"}).text) == ["beta"]
    assert titles(client.get(LIST, query_string={"search": "amm"}).text) == ["gamma"]
    bad = client.get(LIST, query_string={"flt0_3": "many"})
    assert bad.status_code == 200 and titles(bad.text) == []


def test_sort_by_a_column_and_pages(console, samples) -> None:
    client = console.client("root")
    assert titles(client.get(LIST, query_string={"sort": "0", "desc": "1"}).text) == [
        "gamma",
        "beta",
        "alpha",
    ]
    paged = {"sort": "0", "page_size": "20"}
    assert titles(client.get(LIST, query_string={**paged, "page": "0"}).text) == ["alpha", "beta", "gamma"]
    assert titles(client.get(LIST, query_string={**paged, "page": "1"}).text) == []


WORDS = {"zh": ["样例", "保存", "测试"], "en": ["Sample", "Save", "Test"]}


@pytest.mark.parametrize("lang, other", [("zh", "en"), ("en", "zh")])
def test_labels_follow_the_language(console, lang: str, other: str) -> None:
    """The entity's label, the app's label and the chrome all switch, and none stays behind."""
    page = console.client("root", lang=lang).get("/admin/memo/sample/new/").text
    assert [word for word in WORDS[lang] if word not in page] == []
    assert [word for word in WORDS[other] if re.search(rf">\s*{word}\b", page)] == []


def test_the_language_switch_holds_for_the_session(console) -> None:
    client = console.client("root", lang="en")
    page = client.get(LIST)
    assert "Sample" in page.text and 'value="zh"' in page.text
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    switched = client.post("/lang", data={"lang": "zh", "next": LIST, "csrf_token": token})
    assert switched.status_code == 302 and switched.location == LIST
    assert "样例" in client.get(LIST).text
