"""A button's parameters get the widgets of their types on the record page (a person picker,
a check box, a record picker, a date…), and the posted values reach the automation typed:
转移客户 hands a customer to the person picked, with or without its contacts."""

from __future__ import annotations

import re

from loom.platform.actor import SYSTEM

from .test_pages import sign_in


def test_transfer_a_customer_with_a_person_picker_and_a_check_box(app) -> None:
    services, users = app.extensions["loom"], app.users
    customer = services.records.create("crm.customer", {"name": "杭州云织科技"}, SYSTEM)
    contact = services.records.create("crm.contact", {"name": "周敏", "customer": customer["id"]}, SYSTEM)
    root = sign_in(app, "root", "zh")
    page = root.get(f"/crm/customer/{customer['id']}").text
    form = page[
        page.index('action="/crm/customer/{}/buttons/crm.transfer_customer"'.format(customer["id"])) :
    ]
    form = form[: form.index("</form>")]
    assert 'role="combobox"' in form and "/pick/user" in form  # 新负责人: a person, never free text
    box = r'type="checkbox" id="[\w.-]+-cascade" name="param-cascade" value="true"\s+checked'
    assert re.search(box, form)
    path = f"/crm/customer/{customer['id']}/buttons/crm.transfer_customer"
    kept = {"csrf_token": root.csrf, "param-new_owner": str(users["emma"]), "param-cascade": "false"}
    assert root.post(path, data=kept).status_code == 302
    after = services.records.get("crm.customer", customer["id"], SYSTEM)
    assert after["owner_user"] == users["emma"]
    assert services.records.get("crm.contact", contact["id"], SYSTEM)["owner_user"] != users["emma"]
    both = {"csrf_token": root.csrf, "param-new_owner": str(users["fin"]), "param-cascade": ["false", "true"]}
    assert root.post(path, data=both).status_code == 302
    assert services.records.get("crm.contact", contact["id"], SYSTEM)["owner_user"] == users["fin"]


def test_a_link_parameter_picks_among_readable_records(app) -> None:
    services = app.extensions["loom"]
    services.records.create("crm.customer", {"name": "宁波港务"}, SYSTEM)
    found = sign_in(app, "root", "zh").get("/pick/records/crm/customer?q=宁波").text
    assert 'data-pick-title="宁波港务"' in found
    assert "data-pick-id" not in sign_in(app, "emma", "zh").get("/pick/records/crm/customer?q=宁波").text
    root = sign_in(app, "root", "zh")
    assert root.get("/pick/records/crm/nosuch").status_code == 404
