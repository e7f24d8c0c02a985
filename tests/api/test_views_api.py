"""``GET /<app>/<entity>?view=name``: a saved view's filter and sort, inside the reader's scope."""

from __future__ import annotations

URL = "/api/v1/sales/customer"


def titles(client, query: str) -> list[str]:
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200, response.get_json()
    return [r["title"] for r in response.get_json()["items"]]


def customers(site) -> None:
    anna, bert = site.client("anna"), site.client("bert")
    for client, title, industry in (
        (anna, "杭州云织", "it"),
        (anna, "宁波港", "finance"),
        (bert, "杭州湾", "finance"),
        (bert, "上海数科", "it"),
    ):
        made = client.post(URL, json={"title": title, "industry": industry})
        assert made.status_code == 201, made.get_json()


def test_a_view_reads_the_current_user_within_their_scope(site) -> None:
    customers(site)
    anna, bert, lead = (site.client(x) for x in ("anna", "bert", "lead"))
    assert titles(anna, "view=mine") == ["宁波港", "杭州云织"]  # the view's sort: finance before it
    assert titles(bert, "view=mine") == ["杭州湾", "上海数科"]
    assert titles(lead, "view=mine") == []  # lead reads all four, but owns none
    assert len(titles(lead, "")) == 4
    assert sorted(titles(lead, "view=others")) == sorted(titles(lead, ""))
    assert titles(anna, "view=mine&sort=-industry") == ["杭州云织", "宁波港"]  # a sort given wins


def test_a_filter_sql_cannot_hold_is_checked_on_each_readable_record(site) -> None:
    customers(site)
    anna, lead = site.client("anna"), site.client("lead")
    assert titles(anna, "view=it_or_hangzhou") == ["杭州云织"]  # bert's 杭州湾 is not hers to see
    assert titles(lead, "view=it_or_hangzhou") == ["杭州湾", "杭州云织", "上海数科"]
    assert titles(lead, "view=it_or_hangzhou&industry=finance") == ["杭州湾"]  # with the user's filters
    assert titles(lead, "view=it_or_hangzhou&q=上海") == ["上海数科"]  # and search
    first = lead.get(f"{URL}?view=it_or_hangzhou&page_size=2&page=2").get_json()
    assert (first["total"], [r["title"] for r in first["items"]]) == (3, ["上海数科"])


def test_a_view_the_reader_may_not_use_is_forbidden_and_one_that_does_not_exist_is_a_problem(site) -> None:
    customers(site)
    anna, fina = site.client("anna"), site.client("fina")
    response = anna.get(f"{URL}?view=nosuch")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    [error] = response.get_json()["errors"]
    assert (error["field"], error["code"]) == ("view", "not_option") and "nosuch" in error["message"]
    for client, view in ((anna, "others"), (fina, "creditworthy")):
        response = client.get(f"{URL}?view={view}")
        assert response.status_code == 403 and response.get_json()["type"].endswith("/forbidden")
    # others is the manager's; creditworthy reads credit, which finance may not see
    assert [v["name"] for v in offered(anna)] == ["mine", "it_or_hangzhou", "creditworthy"]
    assert [v["name"] for v in offered(fina)] == ["mine", "it_or_hangzhou"]
    assert offered(fina)[0]["label"] == {"zh": "我负责的", "en": "Mine"}


def offered(client) -> list[dict]:
    """The customer's views as ``GET /meta`` offers them to the client's user."""
    entities = client.get("/api/v1/meta").get_json()["entities"]
    return next(e for e in entities if e["name"] == "sales.customer")["list"]["views"]
