"""A consultant's overlay on a builtin entity shows on the portal's own pages, with no form
overlay: an added field on the record page and in the new and edit forms, a removed one
nowhere. Through the HTTP client, on each test database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.runtime import Runtime

OVERLAY = """\
kind: overlay
name: acme_customer
target: crm.customer
patch:
  fields:
    - name: credit_level
      label: {zh: 信用等级, en: Credit level}
      type: select
      options:
        - {key: good, label: {zh: 良好, en: Good}}
        - {key: poor, label: {zh: 较差, en: Poor}}
      after: level
    - {name: account_manager_note, label: {zh: 客户经理备注, en: Account manager note}, type: string}
    - {name: website, remove: true}
"""


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> Flask:
    overlay = tmp_path / "acme_customer.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    result = validate_paths([BUILTIN_APPS / "oa", BUILTIN_APPS / "crm"], [overlay])
    assert result.problems == (), [p.render() for p in result.problems]
    runtime = Runtime.for_catalog(result.catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"SECRET_KEY": "overlay-test"})
    identity = app.extensions["loom"].identity
    with runtime.engine.begin() as conn:
        sales = identity.create_department(conn, "销售部")
        app.emma = identity.create_user(  # type: ignore[attr-defined]
            conn, "emma", "Emma", password="emma-pw-1", department_id=sales, roles=["crm_sales"]
        )
    return app


def _sign_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"login": "emma", "password": "emma-pw-1", "csrf_token": token})
    assert response.status_code == 302
    return client


def test_an_overlay_field_shows_on_the_record_page_and_forms(app: Flask) -> None:
    client = _sign_in(app)
    new = client.get("/crm/customer/new").text
    assert 'name="credit_level"' in new and 'name="account_manager_note"' in new
    assert 'name="website"' not in new
    # after `level`, in the same section, as the overlay placed it in the entity
    assert new.index('name="level"') < new.index('name="credit_level"') < new.index('name="primary_contact"')
    services = app.extensions["loom"]
    with services.runtime.engine.connect() as conn:
        emma = services.identity.actor(conn, app.emma)
    customer = services.records.create(
        "crm.customer",
        {"name": "甲公司", "credit_level": "poor", "account_manager_note": "pays late"},
        emma,
    )
    shown = client.get(f"/crm/customer/{customer['id']}").text
    assert "Credit level" in shown and "Poor" in shown
    assert "Account manager note" in shown and "pays late" in shown
    edit = client.get(f"/crm/customer/{customer['id']}/edit").text
    assert re.search(r'<option[^>]*value="poor"[^>]*selected', edit)
    assert 'value="pays late"' in edit
