"""The API does what its docs and OpenAPI document say: methods, parameters and their refusals."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("get", "/api/v1/auth/login", {"POST", "OPTIONS"}),
        ("post", "/api/v1/tasks/counts", {"GET", "HEAD", "OPTIONS"}),
        ("get", "/api/v1/tasks/approve", {"POST", "OPTIONS"}),
        ("post", "/api/v1/files/1", {"GET", "HEAD", "OPTIONS"}),
        ("delete", "/api/v1/files", {"POST", "OPTIONS"}),
        ("put", "/api/v1/sales/customer/1", {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}),
        ("delete", "/api/v1/sales/customer", {"GET", "HEAD", "POST", "OPTIONS"}),
    ],
)
def test_a_wrong_method_is_405_with_the_allowed_ones(site, method, path, allowed) -> None:
    response = getattr(site.client("anna"), method)(path)
    assert response.status_code == 405, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_options_lists_the_methods_of_a_path(site) -> None:
    response = site.client().options("/api/v1/auth/login")
    assert {m.strip() for m in response.headers["Allow"].split(",")} == {"POST", "OPTIONS"}


def test_unknown_apps_and_entities_are_still_404(site) -> None:
    anna = site.client("anna")
    assert anna.get("/api/v1/nothing/customer").status_code == 404
    assert anna.get("/api/v1/sales/nothing").status_code == 404
    assert anna.post("/api/v1/sales/nothing/1/flow/submit").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("count=AAA", "count"), ("count=", "count"), ("page=abc", "page"), ("page_size=1.5", "page_size")],
)
def test_list_parameters_of_the_wrong_kind_are_named(site, query, field) -> None:
    response = site.client("anna", lang="zh").get(f"/api/v1/sales/customer?{query}")
    assert response.status_code == 400
    [error] = response.get_json()["errors"]
    assert error["field"] == field and error["message"]


def test_the_counts_that_exist_are_accepted(site) -> None:
    anna = site.client("anna")
    for count in ("auto", "exact", "none"):
        assert anna.get(f"/api/v1/sales/customer?count={count}").status_code == 200


def test_every_fixed_route_is_kept_apart_from_record_routes(site) -> None:
    """A new fixed route such as ``/reports/x`` belongs in FIXED_SEGMENTS, or GET on it reads as an app."""
    from loom.platform.api import FIXED_SEGMENTS

    rules = [rule.rule for rule in site.app.url_map.iter_rules()]
    paths = [rule.split("/")[3:] for rule in rules if rule.startswith("/api/v1/")]
    firsts = {path[0] for path in paths if len(path) > 1 and "<" not in path[0]}
    assert firsts <= set(FIXED_SEGMENTS)


def test_notifications_take_a_boolean_unread(site) -> None:
    anna = site.client("anna")
    assert anna.get("/api/v1/notifications?unread=true").status_code == 200
    assert anna.get("/api/v1/notifications?unread=false").status_code == 200
    refused = anna.get("/api/v1/notifications?unread=null")
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "unread"


def test_unknown_fields_to_return_are_refused(site) -> None:
    anna = site.client("anna")
    refused = anna.get("/api/v1/sales/customer?fields=title,colour")
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "fields"
    assert anna.get("/api/v1/sales/customer?fields=title,created_at").status_code == 200
