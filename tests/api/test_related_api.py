"""``GET /<app>/<entity>/<id>/related``: what links to a record, as each reader may see it."""

from __future__ import annotations


def test_related_records_follow_the_readers_scope(site) -> None:
    anna, bert, lead, fina = (site.client(x) for x in ("anna", "bert", "lead", "fina"))
    customer = anna.post("/api/v1/sales/customer", json={"title": "杭州云织"}).get_json()
    other = anna.post("/api/v1/sales/customer", json={"title": "宁波港"}).get_json()
    for note in ("首次拜访", "回访", "签约前"):
        made = anna.post("/api/v1/sales/visit", json={"customer": customer["id"], "note": note})
        assert made.status_code == 201, made.get_json()
    anna.post("/api/v1/sales/visit", json={"customer": other["id"], "note": "别家"})
    url = f"/api/v1/sales/customer/{customer['id']}/related"

    [visits] = anna.get(f"{url}?limit=2").get_json()["items"]
    assert (visits["entity"], visits["field"], visits["total"]) == ("sales.visit", "customer", 3)
    assert visits["label"] == {"zh": "拜访", "en": "Visit"}
    assert [v["note"] for v in visits["items"]] == ["签约前", "回访"]  # newest first, two of three

    assert bert.get(url).status_code == 404  # another team's customer: nothing about it
    assert lead.get(url).get_json()["items"] == []  # may read the customer, not sales visits
    assert fina.get(url).get_json()["items"] == []
    assert anna.get(f"{url}?limit=0").status_code == 400
    assert anna.get(f"{url}?limit=x").status_code == 400
