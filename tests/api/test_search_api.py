"""``GET /search``: one search box over every entity, within each reader's scope."""

from __future__ import annotations


def test_search_finds_what_each_reader_may_read(site) -> None:
    anna, bert, lead = (site.client(x) for x in ("anna", "bert", "lead"))
    for title in ("杭州云织", "宁波港务"):
        anna.post("/api/v1/sales/customer", json={"title": title})
    bert.post("/api/v1/sales/customer", json={"title": "杭州湾物流"})

    def hits(client, text: str) -> dict[str, list[str]]:
        answer = client.get("/api/v1/search", query_string={"q": text})
        assert answer.status_code == 200, answer.get_json()
        return {g["entity"]: sorted(r["title"] for r in g["items"]) for g in answer.get_json()["groups"]}

    assert hits(anna, "杭州") == {"sales.customer": ["杭州云织"]}
    assert hits(bert, " 杭州 ") == {"sales.customer": ["杭州湾物流"]}
    assert hits(lead, "杭州") == {"sales.customer": ["杭州云织", "杭州湾物流"]}
    assert hits(anna, "上海") == {}
    [group] = lead.get("/api/v1/search?q=杭州&limit=1").get_json()["groups"]
    assert (group["total"], len(group["items"]), group["label"]["zh"]) == (2, 1, "客户")
    empty = anna.get("/api/v1/search?q=%20")
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["field"] == "q"
    assert anna.get("/api/v1/search", query_string={"q": "x" * 101}).status_code == 422
    assert anna.get("/api/v1/search?q=a&limit=99").status_code == 400
