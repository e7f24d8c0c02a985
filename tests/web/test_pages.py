"""Portal pages through the HTTP client: sign-in, CSRF, language, lists (search, filters,
sorting, pages, empty state), exports and permissions. Browser behaviour lives in the
other modules of this folder; these run without Chromium."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

from flask.testing import FlaskClient
from openpyxl import load_workbook

from loom.platform.records.query import ListQuery

ROW_LINK = re.compile(r'<td><a href="/webtest/expense/\d+"')  # a table row (the same rows are cards too)


def sign_in(app, login: str, lang: str = "en") -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"login": login, "password": f"{login}-pw", "csrf_token": token})
    assert response.status_code == 302
    client.csrf = csrf_of(client.get("/").text)
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def actor(app, login: str):
    services = app.extensions["loom"]
    with services.runtime.engine.connect() as conn:
        return services.identity.actor(conn, app.users[login])


def claims(app, count: int, who: str = "emma") -> None:
    records = app.extensions["loom"].records
    for i in range(count):
        data = {
            "title": f"claim {i:02d}",
            "category": "travel" if i % 2 else "entertainment",
            "lines": [{"day": "2026-11-02", "amount": str(100 + i)}],
        }
        if not i % 2:
            data["guest_company"] = "客户公司"  # the form requires it of entertainment claims
        records.create("webtest.expense", data, actor(app, who))


def test_pages_need_a_signed_in_user_and_come_back_after_sign_in(app) -> None:
    client = app.test_client()
    response = client.get("/webtest/expense?q=x")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/webtest/expense?q%3Dx"
    token = csrf_of(client.get("/login").text)
    wrong = client.post("/login", data={"login": "emma", "password": "nope", "csrf_token": token})
    assert wrong.status_code == 200 and 'id="login-error"' in wrong.text
    right = client.post(
        "/login?next=/webtest/expense", data={"login": "emma", "password": "emma-pw", "csrf_token": token}
    )
    assert right.headers["Location"] == "/webtest/expense"


def test_sign_in_never_redirects_to_another_site(app) -> None:
    client = app.test_client()
    token = csrf_of(client.get("/login").text)
    data = {"login": "emma", "password": "emma-pw", "csrf_token": token}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/"


def test_posts_without_the_csrf_token_are_refused(app) -> None:
    client = sign_in(app, "emma")
    response = client.post("/webtest/expense/new", data={"title": "x"})
    assert response.status_code == 403
    assert (
        app.extensions["loom"].records.list("webtest.expense", _everything(), actor(app, "root")).records
        == []
    )


def _everything() -> ListQuery:
    return ListQuery()


def test_chinese_by_default_and_the_switch_remembers_english(app) -> None:
    client = sign_in(app, "emma", lang="")
    page = client.get("/").text
    assert "应用" in page and 'lang="zh-CN"' in page
    response = client.post("/lang", data={"lang": "en", "next": "/inbox", "csrf_token": client.csrf})
    assert response.headers["Location"] == "/inbox"
    page = client.get("/inbox").text
    assert "Inbox" in page and "To do" in page and 'lang="en"' in page
    assert "Web test" in client.get("/apps").text  # the app's label follows the language too


def test_launcher_lists_only_the_entities_the_user_may_read(app) -> None:
    services, emma = app.extensions["loom"], actor(app, "emma")
    decide = services.records.access.permissions.decide
    top = [e for e in services.runtime.catalog.entities.values() if not e.child]
    closed = [e for e in top if not decide(emma, e, "read").allowed]
    assert closed, "the builtin apps have entities an employee may not read"
    page = sign_in(app, "emma").get("/apps").text
    assert 'href="/webtest/expense"' in page and 'href="/webtest/kitchen"' in page
    assert [e.qualified_name for e in closed if f'href="/{e.app}/{e.name}"' in page] == []


def test_list_searches_filters_sorts_and_pages(app) -> None:
    claims(app, 25)
    client = sign_in(app, "emma")
    first = client.get("/webtest/expense").text
    assert len(ROW_LINK.findall(first)) == 20  # the default page size
    assert "25 in all" in first and "1 / 2" in first
    assert len(ROW_LINK.findall(client.get("/webtest/expense?page=2").text)) == 5
    found = client.get("/webtest/expense?q=claim+07").text
    assert "claim 07" in found and "claim 08" not in found
    travel = client.get("/webtest/expense?category=travel").text
    assert "12 in all" in travel
    costly = client.get("/webtest/expense?total__gte=120&total__lte=122").text
    assert "3 in all" in costly
    ascending = client.get("/webtest/expense?sort=total").text
    assert ascending.index("claim 00") < ascending.index("claim 01")
    descending = client.get("/webtest/expense?sort=-total").text
    assert descending.index("claim 24") < descending.index("claim 23")
    assert 'aria-sort="descending"' in descending


def test_a_bad_filter_value_is_a_message_not_an_error(app) -> None:
    page = sign_in(app, "emma").get("/webtest/expense?total__gte=lots")
    assert page.status_code == 200
    assert "alert-warning" in page.text


def test_an_empty_list_says_so_and_offers_to_create(app) -> None:
    page = sign_in(app, "emma").get("/webtest/expense").text
    assert 'id="empty-list"' in page and "/webtest/expense/new" in page


def test_export_holds_the_filtered_rows_as_csv_and_xlsx(app) -> None:
    claims(app, 6)
    records = app.extensions["loom"].records
    records.create(
        "webtest.expense",
        {"title": "=HYPERLINK(1)", "lines": [{"day": "2026-11-02", "amount": "5"}]},
        actor(app, "emma"),
    )
    client = sign_in(app, "fin")
    response = client.get("/webtest/expense/export.csv?category=travel")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["Number", "Title", "Category", "Total", "Approval status"]
    assert {r[4] for r in rows[1:]} == {"Draft"}
    assert len(rows) == 1 + 4  # travel: the three odd claims and the formula-looking one
    assert [r[1] for r in rows if "HYPERLINK" in r[1]] == ["'=HYPERLINK(1)"]
    book = load_workbook(io.BytesIO(client.get("/webtest/expense/export.xlsx").data))
    values = list(book.active.values)
    assert len(values) == 1 + 7
    assert {v[3] for v in values[1:]} >= {100.0, 105.0}  # totals stay numbers


def test_export_needs_the_export_permission(app) -> None:
    client = sign_in(app, "emma")
    assert client.get("/webtest/expense/export.csv").status_code == 403
    assert "export.csv" not in client.get("/webtest/expense").text


def test_others_records_are_not_found_and_unknown_pages_are_pages(app) -> None:
    claims(app, 1, who="mona")
    record_id = (
        app.extensions["loom"]
        .records.list("webtest.expense", _everything(), actor(app, "root"))
        .records[0]["id"]
    )
    client = sign_in(app, "emma")
    response = client.get(f"/webtest/expense/{record_id}")
    assert response.status_code == 404 and "<html" in response.text
    assert client.get(f"/webtest/expense/{record_id}/edit").status_code == 404
    assert client.get("/webtest/nothing").status_code == 404
    assert client.get("/webtest/expense/99999999999999999999").status_code == 404
    assert client.get("/oa/expense_line").status_code == 404  # child tables have no pages


def test_inbox_counts_each_box(app) -> None:
    claims(app, 2)
    services = app.extensions["loom"]
    emma = actor(app, "emma")
    for record in services.records.list("webtest.expense", _everything(), emma).records:
        services.flows.submit("webtest.expense", record["id"], emma)
    client = sign_in(app, "mona")
    page = client.get("/").text
    assert re.search(r'id="nav-inbox"[^>]*>[^<]*<span class="badge[^>]*>2<', page.replace("\n", " "))
    inbox = client.get("/inbox").text
    assert inbox.count("data-record=") == 2
    started = sign_in(app, "emma").get("/inbox?box=started").text
    assert started.count("data-record=") == 2


def test_a_form_with_tabs_shows_them(app) -> None:
    page = sign_in(app, "emma").get("/webtest/customer/new").text
    assert page.count('role="tab"') == 2 and 'id="pane-more"' in page and 'name="notes"' in page


def test_automation_buttons_are_offered_and_pressed(app) -> None:
    claims(app, 1)
    services, emma = app.extensions["loom"], actor(app, "emma")
    record = services.records.list("webtest.expense", _everything(), emma).records[0]
    client = sign_in(app, "emma")
    page = client.get(f"/webtest/expense/{record['id']}").text
    assert 'data-button="webtest.note_guest"' in page and "Note the guest" in page
    path = f"/webtest/expense/{record['id']}/buttons/webtest.note_guest"
    refused = client.post(path, data={"csrf_token": client.csrf}, follow_redirects=True)
    assert "alert-danger" in refused.text  # the company is required
    client.post(path, data={"csrf_token": client.csrf, "param-company": "Acme"})
    assert services.records.get("webtest.expense", record["id"], emma)["guest_company"] == "Acme"
    services.flows.submit("webtest.expense", record["id"], emma)
    assert "data-button=" not in client.get(f"/webtest/expense/{record['id']}").text


def test_flow_operations_from_the_record_page(app) -> None:
    claims(app, 1)
    services, emma_actor = app.extensions["loom"], actor(app, "emma")
    record_id = services.records.list("webtest.expense", _everything(), emma_actor).records[0]["id"]
    page, base = f"/webtest/expense/{record_id}", f"/webtest/expense/{record_id}/flow"
    emma, mona, fin = sign_in(app, "emma"), sign_in(app, "mona"), sign_in(app, "fin")

    def status() -> str:
        return services.records.get("webtest.expense", record_id, emma_actor)["flow_status"]

    def act(client: FlaskClient, operation: str, **data: str) -> str:
        response = client.post(f"{base}/{operation}", data={"csrf_token": client.csrf, **data})
        assert response.status_code == 302
        return client.get(page).text

    assert 'id="flow-submit"' in emma.get(page).text
    assert 'id="flow-withdraw"' in act(emma, "submit", comment="请审批")
    assert 'data-event="urge"' in act(emma, "urge")
    act(emma, "withdraw")
    assert status() == "withdrawn"
    act(emma, "submit")
    shown = mona.get(page).text
    assert all(f'id="flow-{op}"' in shown for op in ("approve", "reject", "return", "transfer", "comment"))
    assert "Mona" in mona.get("/pick/user?q=mo").text
    act(mona, "transfer", to=str(app.users["fin"]), comment="请财务看")
    assert 'id="flow-approve"' not in mona.get(page).text
    act(fin, "return", comment="缺发票")
    assert status() == "returned" and 'id="flow-submit"' in emma.get(page).text
    act(emma, "submit")  # a returned claim starts again at the manager
    after = act(mona, "reject", comment="不符合规定")
    assert status() == "rejected" and "不符合规定" in after
    assert 'data-event="reject"' in after and 'data-event="finish"' not in after  # what people did
    assert services.flows.latest_summary("webtest.expense", record_id)["timeline"][-1]["kind"] == "finish"
    refused = fin.post(f"{base}/approve", data={"csrf_token": fin.csrf}, follow_redirects=True).text
    assert "alert-danger" in refused
    assert mona.post(f"{base}/urge_everyone", data={"csrf_token": mona.csrf}).status_code == 404


def test_every_builtin_entity_has_a_list_and_a_form(app) -> None:
    """The generated pages hold for every entity of OA and CRM (an administrator sees them all)."""
    client = sign_in(app, "root")
    entities = [e for e in app.extensions["loom"].runtime.catalog.entities.values() if not e.child]
    failed = {}
    for e in entities:
        title = html.escape(e.label.get("en"))
        for suffix in ("", "/new"):
            page = client.get(f"/{e.app}/{e.name}{suffix}")
            if page.status_code != 200:
                failed[page.request.path] = page.status_code
            elif title not in page.text:
                failed[page.request.path] = "no title"
            elif suffix and not re.search(r'<form[^>]*method="post"', page.text):
                failed[page.request.path] = "no form"
    assert failed == {}


def test_partial_updates_after_sign_out_send_the_page_to_sign_in(app) -> None:
    response = app.test_client().post("/webtest/expense/form-state", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/login" and response.data == b""


def test_a_link_picker_offers_only_what_its_filter_accepts(app) -> None:
    records, emma = app.extensions["loom"].records, actor(app, "emma")
    for name in ("Acme", "Globex"):
        records.create("webtest.customer", {"name": name}, emma)
    client = sign_in(app, "emma")
    everyone = client.get("/pick/webtest/kitchen/a_link?q=").text
    assert "Acme" in everyone and "Globex" in everyone
    chosen = client.get("/pick/webtest/kitchen/a_chosen?q=&a_string=Globex").text
    assert "Globex" in chosen and "Acme" not in chosen
    form = client.get("/webtest/kitchen/new").text
    assert 'hx-include="closest form"' in form and 'hx-params="not csrf_token"' in form


def test_nonsense_in_every_field_is_a_page_of_field_errors(app) -> None:
    client = sign_in(app, "emma")
    nonsense = {
        "an_integer": "12x", "a_decimal": "1.23456789", "a_money": "lots", "a_percent": "1e999",
        "a_date": "2026-02-30", "a_datetime": "yesterday", "a_time": "25:61", "a_select": "blue",
        "a_multiselect": "whisky", "a_link": "99999", "a_many": "abc", "a_user": "-1",
        "a_department": "99999999999999999999999", "a_file": "7", "an_email": "not-an-email",
        "a_phone": "call me", "an_url": "javascript:alert(1)", "a_json": "{oops",
        "a_region.province": "x" * 100, "a_geo.lng": "east", "rows-0-quantity": "many",
        "a_boolean": "perhaps", "an_id_card": "110105194912310021", "a_rating": "9",
    }  # fmt: skip
    response = client.post("/webtest/kitchen/new", data={"csrf_token": client.csrf, **nonsense})
    assert response.status_code == 422
    page = response.text
    fields = (
        "an_integer",
        "a_money",
        "a_date",
        "a_select",
        "an_email",
        "an_url",
        "a_json",
        "an_id_card",
        "a_rating",
    )
    for field in fields:
        assert f'id="err-{field}"' in page, field
    assert 'id="err-rows-0-quantity"' in page  # a child row's error sits under its cell
    assert 'value="12x"' in page and "{oops" in page  # what was typed comes back


def test_the_portal_session_signs_in_to_the_api_too(app) -> None:
    client = sign_in(app, "emma")
    me = client.get("/api/v1/me").get_json()
    assert me["login"] == "emma" and me["csrf_token"] == client.csrf


def test_empty_cells_of_a_child_row_are_missing_values(app) -> None:
    client = sign_in(app, "emma")
    data = {
        "csrf_token": client.csrf,
        "a_string": "rows",
        "rows-0-label": "only a label",
        "rows-0-quantity": "",
    }
    response = client.post("/webtest/kitchen/new", data=data)
    assert response.status_code == 302, response.text
    record_id = int(response.headers["Location"].rsplit("/", 1)[-1])
    rows = app.extensions["loom"].records.get("webtest.kitchen", record_id, actor(app, "emma"))["rows"]
    assert [(r["label"], r["quantity"]) for r in rows] == [("only a label", None)]


def test_search_finds_records_across_entities_in_the_readers_scope(app) -> None:
    claims(app, 3)  # emma's claims "claim 00".."claim 02"
    emma, mona = sign_in(app, "emma", lang="zh"), sign_in(app, "mona", lang="zh")
    page = emma.get("/search", query_string={"q": "claim 01"}).text
    assert re.findall(r'<a class="list-group-item[^"]*loom-hit" href="(/webtest/expense/\d+)"', page)
    assert '<div class="fw-semibold text-truncate">claim 01</div>' in page
    assert "claim 02" not in page
    others = mona.get("/search?q=claim").text  # another person's claims: none of them (forms may match)
    assert not re.findall(r'href="/webtest/expense/\d+"', others) and "claim 01" not in others
    assert 'id="no-hits"' not in emma.get("/search").text
    assert emma.get("/search?q=" + "x" * 500).status_code == 200


def test_a_record_page_shows_what_links_to_it_and_new_ones_start_linked(app) -> None:
    records, root = app.extensions["loom"].records, actor(app, "root")
    customer = records.create("crm.customer", {"name": "杭州云织科技"}, root)
    for name in ("韩红梅", "叶娜"):
        records.create("crm.contact", {"name": name, "customer": customer["id"]}, root)
    client = sign_in(app, "root", lang="zh")
    page = client.get(f"/crm/customer/{customer['id']}").text
    found = re.findall(r'id="tab-([a-z_-]+)"[^>]*>([^<]+)<span class="badge[^"]*">(\d+)</span>', page)
    tabs = [(key, text.strip(), count) for key, text, count in found]
    assert tabs[0] == ("crm-contact-customer", "联系人", "2")  # what has records comes first
    assert {count for _key, _label, count in tabs[1:]} == {"0"}
    pane = page.split('id="pane-crm-contact-customer"')[1].split("</div>\n      </div>")[0]
    assert re.findall(r'text-truncate">([^<]+)</span>', pane) == ["叶娜", "韩红梅"]  # newest first
    new = client.get(f"/crm/contact/new?customer={customer['id']}").text
    assert f'<input type="hidden" name="customer" value="{customer["id"]}" data-pick-value>' in new
    assert "杭州云织科技" in new


def test_history_shows_times_in_the_sites_zone_and_only_what_was_filled(app) -> None:
    records, emma = app.extensions["loom"].records, actor(app, "emma")
    made = records.create(
        "webtest.kitchen",
        {"a_string": "炉灶", "a_datetime": "2026-12-03T06:43:34+00:00", "a_money": "1234.5"},
        emma,
    )
    page = sign_in(app, "emma", lang="zh").get(f"/webtest/kitchen/{made['id']}").text
    history = page.split('id="history"')[1]
    changed = re.findall(r"<li>([^:<]+): <span", history)
    assert sorted(changed) == sorted(["a_string", "a_datetime", "a_money", "a_computed", "a_number"])
    assert "2026-12-03 14:43" in history and "+00:00" not in history  # Asia/Shanghai, not UTC text
    assert "¥1,234.50" in history


def test_the_navigation_names_the_person_not_their_login(app) -> None:
    services = app.extensions["loom"]
    users = services.runtime.schema.metadata.tables["loom_users"]
    with services.runtime.engine.begin() as conn:
        conn.execute(users.update().where(users.c.login == "emma").values(name="杨磊"))
    page = sign_in(app, "emma", lang="zh").get("/").text
    assert '<span class="navbar-text text-white me-2" id="nav-user" title="emma">杨磊</span>' in page


def test_delegating_approvals_from_the_portal(app) -> None:
    services = app.extensions["loom"]
    today = services.records.clock().date()
    mona = sign_in(app, "mona", lang="zh")
    assert 'href="/delegations"' in mona.get("/inbox").text
    week = {"starts_on": today.isoformat(), "ends_on": (today + dt.timedelta(days=6)).isoformat()}
    bad = mona.post("/delegations", data={"csrf_token": mona.csrf, **week, "delegate_id": ""})
    assert bad.status_code == 422 and 'id="delegate-error"' in bad.text and "此项为必填" in bad.text
    saved = mona.post(
        "/delegations",
        data={"csrf_token": mona.csrf, **week, "delegate_id": str(app.users["fin"]), "reason": "年假"},
    )
    assert saved.status_code == 302
    page = mona.get("/delegations").text
    [(delegation_id, state)] = re.findall(r'data-delegation="(\d+)" data-state="(\w+)"', page)
    assert state == "active" and "生效中" in page and "全部审批" in page and "年假" in page
    claims(app, 1)  # emma's manager is mona: the new claim's task goes to fin for her
    emma = actor(app, "emma")
    record = services.records.list("webtest.expense", _everything(), emma).records[0]
    [task] = services.flows.submit("webtest.expense", record["id"], emma)["tasks"]
    assert (task["assignee_id"], task["on_behalf_of"]) == (app.users["fin"], app.users["mona"])
    mona.post(f"/delegations/{delegation_id}/end", data={"csrf_token": mona.csrf})
    assert 'data-state="ended"' in mona.get("/delegations").text


def _approved_claim(app) -> int:
    services, emma = app.extensions["loom"], actor(app, "emma")
    data = {"title": "出差", "category": "travel", "lines": [{"day": "2026-11-02", "amount": "300"}]}
    record_id = services.records.create("webtest.expense", data, emma)["id"]
    services.flows.submit("webtest.expense", record_id, emma)
    services.flows.act("webtest.expense", record_id, actor(app, "mona"), "approve")
    services.flows.act("webtest.expense", record_id, actor(app, "fin"), "approve")
    assert services.records.get("webtest.expense", record_id, emma)["flow_status"] == "approved"
    return record_id


def test_an_approved_record_offers_no_edit_and_refuses_one(app) -> None:
    record_id = _approved_claim(app)
    page = f"/webtest/expense/{record_id}"
    emma = sign_in(app, "emma", lang="zh")
    shown = emma.get(page).text
    assert 'id="edit-record"' not in shown and f"{page}/delete" not in shown
    edit = emma.get(f"{page}/edit")
    assert edit.status_code == 302 and edit.headers["Location"].endswith(page)
    assert "记录已通过，不能再修改。" in emma.get(page).text
    posted = emma.post(f"{page}/edit", data={"csrf_token": emma.csrf, "title": "改了", "category": "travel"})
    assert posted.status_code == 409 and "记录已通过，不能再修改。" in posted.text
    deleted = emma.post(f"{page}/delete", data={"csrf_token": emma.csrf}, follow_redirects=True)
    assert "记录已通过，不能再修改。" in deleted.text
    kept = app.extensions["loom"].records.get("webtest.expense", record_id, actor(app, "emma"))
    assert kept["title"] == "出差"


def test_finance_edits_only_what_the_flow_leaves_editable_after_approval(app) -> None:
    record_id = _approved_claim(app)
    page = f"/webtest/expense/{record_id}"
    fin = sign_in(app, "fin")
    assert 'id="edit-record"' in fin.get(page).text
    form = fin.get(f"{page}/edit").text
    assert re.search(r'<input[^>]*name="payee"(?![^>]*readonly)', form)
    assert re.search(r'<input[^>]*name="title"[^>]*readonly', form)
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    data = {"csrf_token": fin.csrf, "title": "改了", "category": "travel", "payee": "张三"}
    data["version"] = version
    saved = fin.post(f"{page}/edit", data=data)
    assert saved.status_code == 302, saved.text
    record = app.extensions["loom"].records.get("webtest.expense", record_id, actor(app, "fin"))
    assert (record["title"], record["payee"]) == ("出差", "张三")


def test_a_stale_save_in_the_portal_says_who_changed_what(app) -> None:
    claims(app, 1)
    services, emma_actor = app.extensions["loom"], actor(app, "emma")
    record_id = services.records.list("webtest.expense", _everything(), emma_actor).records[0]["id"]
    emma = sign_in(app, "emma", lang="zh")
    form = emma.get(f"/webtest/expense/{record_id}/edit").text
    version = re.search(r'name="version" value="(\d+)"', form).group(1)
    services.records.update("webtest.expense", record_id, {"reason": "补充说明"}, emma_actor)  # another tab
    data = {"csrf_token": emma.csrf, "title": "改名", "category": "travel", "version": version}
    data.update({"lines-0-day": "2026-11-02", "lines-0-amount": "100"})
    response = emma.post(f"/webtest/expense/{record_id}/edit", data=data)
    assert response.status_code == 409
    assert "您打开后，Emma于 " in response.text and "（说明）" in response.text
    assert services.records.get("webtest.expense", record_id, emma_actor)["title"] == "claim 00"


def test_a_record_titled_by_a_person_shows_their_name(app) -> None:
    """An employee profile's title field is its person: the page names them, not their user id."""
    services = app.extensions["loom"]
    users = services.runtime.schema.metadata.tables["loom_users"]
    with services.runtime.engine.begin() as conn:
        conn.execute(users.update().where(users.c.login == "emma").values(name="杨磊"))
    profile = services.records.create(
        "oa.employee",
        {"person": app.users["emma"], "hire_date": "2020-03-02", "work_start_date": "2018-07-01"},
        actor(app, "root"),
    )
    page = sign_in(app, "root", lang="zh").get(f"/oa/employee/{profile['id']}").text
    assert '<h1 class="h3 mb-0 me-auto" id="record-title">杨磊</h1>' in page
