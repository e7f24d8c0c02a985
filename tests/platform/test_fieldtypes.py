"""The field-type registry, and the identity-number and rating types through the records
service, the API and the portal's list, on each test database."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import SmallInteger
from sqlalchemy import String
from sqlalchemy import inspect

import loom.metadata
from loom.metadata import validate_paths
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label
from loom.platform import fieldtypes
from loom.platform.actor import SYSTEM
from loom.platform.actor import Actor
from loom.platform.app import create_app
from loom.platform.database import make_engine
from loom.platform.demo.values import Faker
from loom.platform.fieldtypes import Show
from loom.platform.fieldtypes.id_card import check_character
from loom.platform.records.errors import ValidationFailed
from loom.platform.reports import ReportService
from loom.platform.runtime import Runtime
from loom.platform.tables import column_type

ZONE = ZoneInfo("Asia/Shanghai")
HR = {
    "roles/hr.yaml": "kind: role\nname: hr\nlabel: {zh: 人事, en: HR}\n",
    "entities/candidate.yaml": """\
        kind: entity
        name: candidate
        label: {zh: 候选人, en: Candidate}
        title_field: name
        fields:
          - {name: name, type: string, required: true}
          - {name: id_number, label: {zh: 身份证号, en: ID number}, type: id_card, unique: true}
          - {name: interview, label: {zh: 面试评分, en: Interview}, type: rating}
          - {name: born_on, type: computed, result: date, compute: id_number.birth_date}
          - {name: sex, type: computed, result: string, compute: id_number.sex}
          - {name: age_in_2026, type: computed, result: integer,
             compute: 'years_between(id_number.birth_date, "2026-01-01")'}
          - {name: track, type: select, options: [general, women_leadership]}
        rules:
          - name: women_leadership_is_for_women
            check: 'track != "women_leadership" || id_number.sex == "female"'
            field: track
            message: {zh: 该计划仅面向女性, en: This track is for women}
        list: {columns: [name, id_number, interview]}
        permissions:
          - {role: hr, create: true, read: all, write: all, delete: all, export: true}
        """,
    "reports/interviews.yaml": """\
        kind: report
        name: interviews
        label: {zh: 面试评分, en: Interviews}
        entity: candidate
        dimensions: [{field: sex}]
        measures:
          - {name: average, label: {zh: 平均分, en: Average}, aggregate: avg, field: interview}
          - {name: people, label: {zh: 人数, en: People}, aggregate: count_distinct, field: id_number}
        """,
}
# GB 11643-1999's own example number, and one of a man born on 7 March 1990 in Hangzhou.
WOMAN = "11010519491231002X"
MAN = "330106199003071236"


def valid(first17: str) -> str:
    return first17 + check_character(first17)


def test_every_type_the_metadata_language_names_has_a_field_type() -> None:
    schema = json.loads((Path(loom.metadata.__file__).parent / "schemas/entity.schema.json").read_text())
    assert set(schema["$defs"]["field"]["properties"]["type"]["enum"]) == set(fieldtypes.types())
    assert fieldtypes.of("rating").name == "rating"
    with pytest.raises(KeyError):
        fieldtypes.of("signature")


@pytest.mark.parametrize("name", sorted(set(fieldtypes.types()) - {"table"}))  # rows: a child schema
def test_every_type_builds_its_column_and_its_field(name: str) -> None:
    kind = fieldtypes.of(name)
    field = Field(name="x", type=name, label=Label.of("x"))
    assert kind.column(field) is not None and kind.has_column(field) != (name == "many")
    parsed = kind.schema_field(field, ZONE)
    assert parsed.deserialize(None) is None  # every type may be empty
    assert kind.stored_as(field).stored_as(field) is kind.stored_as(field)


def test_an_identity_number_that_is_no_number_reads_as_its_text_in_expressions() -> None:
    field = Field(name="x", type="id_card", label=Label.of("x"))
    assert fieldtypes.of("id_card").cel(field, "12345") == "12345"
    assert fieldtypes.of("id_card").cel(field, MAN)["region"] == "330106"


def test_the_types_reports_may_sum_are_those_the_metadata_checks_allow() -> None:
    schema = json.loads((Path(loom.metadata.__file__).parent / "schemas/entity.schema.json").read_text())
    summed = {name for name, kind in fieldtypes.types().items() if {"sum", "avg"} <= kind.aggregations}
    assert summed == set(schema["$defs"]["summed_types"]["enum"])
    assert "rating" in summed and "id_card" not in summed


def test_the_check_character_is_iso_7064_mod_11_2() -> None:
    assert check_character(WOMAN[:17]) == "X"
    assert check_character(MAN[:17]) == "6"
    assert valid("33010619900307123") == MAN


@dataclass
class Hr:
    runtime: Runtime
    app: Flask
    ann: Actor


@pytest.fixture
def hr(write_package, database_url: str) -> Hr:
    catalog = validate_paths([write_package(HR, name="hr")]).catalog
    assert catalog is not None
    runtime = Runtime.for_catalog(catalog, make_engine(database_url))
    runtime.schema.metadata.create_all(runtime.engine)
    app = create_app(runtime=runtime, config={"TESTING": True, "SECRET_KEY": "test"})
    with runtime.engine.begin() as conn:
        ann = app.extensions["loom"].identity.create_user(
            conn, "ann", "安妮", password="ann-pw", roles=["hr"]
        )
    return Hr(runtime, app, Actor(ann, "ann", frozenset({"hr"})))


def create(hr: Hr, **values):
    return hr.app.extensions["loom"].records.create("hr.candidate", {"name": "张三", **values}, hr.ann)


def codes(hr: Hr, **values) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        create(hr, **values)
    return {e.field: e.code for e in info.value.errors}


def test_columns_are_what_each_type_stores(hr: Hr) -> None:
    entity = hr.runtime.catalog.entity("hr.candidate")
    assert isinstance(column_type(entity.field("id_number")), String)
    assert column_type(entity.field("id_number")).length == 18
    assert isinstance(column_type(entity.field("interview")), SmallInteger)
    columns = {c["name"]: c for c in inspect(hr.runtime.engine).get_columns("hr_candidate")}
    assert columns["id_number"]["type"].length == 18


def test_an_identity_number_is_checked_by_its_check_character_and_birth_date(hr: Hr) -> None:
    assert codes(hr, id_number="11010519491231002") == {"id_number": "id_card"}  # 17 characters
    assert codes(hr, id_number="1101051949123100AX") == {"id_number": "id_card"}
    assert codes(hr, id_number="110105194912310021") == {"id_number": "id_card_check"}
    assert codes(hr, id_number=valid("11010519490231002")) == {"id_number": "id_card_birth"}  # 31 Feb
    assert create(hr, id_number=" 11010519491231002x ")["id_number"] == WOMAN  # typed in lowercase
    assert codes(hr, id_number=WOMAN) == {"id_number": "unique"}


def test_expressions_read_the_birth_date_and_sex_of_an_identity_number(hr: Hr) -> None:
    woman = create(hr, id_number=WOMAN, track="women_leadership")
    assert (str(woman["born_on"]), woman["sex"], woman["age_in_2026"]) == ("1949-12-31", "female", 76)
    man = create(hr, id_number=MAN)
    assert (str(man["born_on"]), man["sex"], man["age_in_2026"]) == ("1990-03-07", "male", 35)
    assert codes(hr, id_number=valid("33010619900307125"), track="women_leadership") == {"track": "rule"}
    empty = create(hr)
    assert (empty["born_on"], empty["sex"], empty["age_in_2026"]) == (None, None, None)


def test_a_rating_is_one_to_five_stars(hr: Hr) -> None:
    assert create(hr, interview=4)["interview"] == 4
    assert codes(hr, interview=0) == {"interview": "rating"}
    assert codes(hr, interview=6) == {"interview": "rating"}
    assert codes(hr, interview="good") == {"interview": "invalid"}
    assert codes(hr, interview=3.5) == {"interview": "invalid"}  # not cut to 3
    assert create(hr, interview="2")["interview"] == 2  # as a portal form posts it


def test_a_report_averages_ratings_and_sums_no_identity_number(hr: Hr, write_package) -> None:
    for number, stars in ((WOMAN, 5), (MAN, 2), (valid("33010619900307125"), 3)):
        create(hr, id_number=number, interview=stars)
    result = ReportService(hr.app.extensions["loom"].records).run("hr.interviews", SYSTEM)
    rows = {row.keys: row.values for row in result.rows}
    assert rows[("female",)] == {"average": 5, "people": 1}
    assert rows[("male",)]["average"] == pytest.approx(2.5) and rows[("male",)]["people"] == 2
    summed = HR["reports/interviews.yaml"].replace("aggregate: count_distinct", "aggregate: sum")
    problems = validate_paths([write_package({**HR, "reports/interviews.yaml": summed}, name="hr")]).problems
    assert [p.code for p in problems] == ["ref.field_type"]


def test_lists_and_exports_mask_an_identity_number_and_show_ratings_as_stars(write_package) -> None:
    entity = validate_paths([write_package(HR, name="hr")]).catalog.entity("hr.candidate")
    number, stars = entity.field("id_number"), entity.field("interview")
    show = Show(
        lambda field, value: str(value),
        ZONE,
        lambda text, **values: text % values,
        lambda _: "",
        lambda v, c: str(v),
    )
    id_card, rating = fieldtypes.of("id_card"), fieldtypes.of("rating")
    assert id_card.cell(number, MAN, show) == "3301**********1236"
    assert id_card.exported(number, MAN, show) == "3301**********1236"
    assert id_card.text(number, MAN, show) == MAN
    assert rating.cell(stars, 3, show) == "★★★☆☆"
    assert rating.text(stars, 3, show) == "★★★☆☆ 3 of 5"
    assert rating.exported(stars, 3, show) == 3


def test_demo_values_are_valid(hr: Hr) -> None:
    fake = Faker(random.Random(7), dt.date(2026, 5, 1))
    entity = hr.runtime.catalog.entity("hr.candidate")
    for _ in range(20):
        number = fieldtypes.of("id_card").demo(entity.field("id_number"), fake, {})
        stars = fieldtypes.of("rating").demo(entity.field("interview"), fake, {})
        record = create(hr, id_number=number, interview=stars)
        assert 22 <= record["age_in_2026"] <= 56 and 1 <= record["interview"] <= 5


def test_the_api_says_what_is_wrong_with_a_number_in_the_readers_language(hr: Hr) -> None:
    client = hr.app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    login = client.post("/api/v1/auth/login", json={"login": "ann", "password": "ann-pw"})
    client.environ_base["HTTP_X_CSRF_TOKEN"] = login.get_json()["csrf_token"]
    wrong = client.post("/api/v1/hr/candidate", json={"name": "李四", "id_number": "110105194912310021"})
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"] == [
        {"field": "id_number", "code": "id_card_check", "message": "身份证号码校验位不符，请逐位核对。"}
    ]
    made = client.post("/api/v1/hr/candidate", json={"name": "李四", "id_number": MAN, "interview": 5})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["id_number"] == MAN  # the API gives the whole number to who may read it
    portal = hr.app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', portal.get("/login").text).group(1)
    portal.post("/login", data={"login": "ann", "password": "ann-pw", "csrf_token": token})
    listed = portal.get("/hr/candidate")
    assert listed.status_code == 200
    assert "3301**********1236" in listed.text and MAN not in listed.text
    assert "★★★★★" in listed.text
    assert MAN in portal.get(f"/hr/candidate/{made.get_json()['id']}").text  # the record page: whole
    exported = portal.get("/hr/candidate/export.csv").text
    assert "3301**********1236" in exported and MAN not in exported
