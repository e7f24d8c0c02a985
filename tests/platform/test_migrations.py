"""The migration planner on real databases: plans from real Catalogs, applied and checked.

Every test runs on SQLite, and on PostgreSQL when LOOM_TEST_DATABASE_URL names a server
(each test then works in a schema of its own, dropped afterwards).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.engine import make_url

from loom.metadata import validate_paths
from loom.metadata.catalog import Catalog
from loom.metadata.loader import BUILTIN_APPS
from loom.platform.database import make_engine
from loom.platform.database import normalize_url
from loom.platform.migrations import MigrationFailed
from loom.platform.migrations import MigrationRefused
from loom.platform.migrations import Plan
from loom.platform.migrations import apply
from loom.platform.migrations import plan
from loom.platform.migrations import render_plan
from loom.platform.migrations.archive import archive_name
from loom.platform.runtime import Runtime

POSTGRES_URL = os.environ.get("LOOM_TEST_DATABASE_URL")
NOW = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)

ITEM = """\
kind: entity
name: item
label: {{zh: 物品, en: Item}}
fields:
{fields}
"""
FIELDS = """\
  - {name: title, type: string, max_length: 40, index: true}
  - {name: code, type: string, max_length: 20}
  - {name: qty, type: integer}
  - {name: lines, type: table, entity: line}
"""
LINE = """\
kind: entity
name: line
label: Line
child: true
fields:
  - {name: note, type: string, max_length: 40}
"""


# -- databases -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'loom.db'}"
        return
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL not tested: set LOOM_TEST_DATABASE_URL (postgresql://postgres@127.0.0.1/test)"
        )
    schema = f"mig_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(normalize_url(POSTGRES_URL)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def shop(write_package: Callable[..., Path]) -> Callable[..., Catalog]:
    """The Catalog of the ``shop`` package with ``item`` declaring ``fields`` (YAML list lines)."""

    def build(fields: str = FIELDS, **more: str) -> Catalog:
        folder = write_package({"entities/item.yaml": ITEM.format(fields=fields), "entities/line.yaml": LINE})
        for relative, content in more.items():
            (folder / relative).write_text(content, encoding="utf-8")
        result = validate_paths([folder])
        assert result.catalog is not None, result.problems
        return result.catalog

    return build


def migrate(engine: Engine, catalog: Catalog, **flags: bool) -> Plan:
    planned = plan(Runtime.for_catalog(catalog, engine), **flags)
    apply(planned, engine)
    return planned


def up_to_date(engine: Engine, catalog: Catalog) -> bool:
    return plan(Runtime.for_catalog(catalog, engine)).up_to_date


def add_items(engine: Engine, catalog: Catalog, rows: list[dict[str, Any]]) -> None:
    tables = Runtime.for_catalog(catalog, engine).schema.metadata.tables
    stamps = {"created_at": NOW, "updated_at": NOW}
    empty = dict.fromkeys({key for row in rows for key in row})  # executemany wants the same keys
    with engine.begin() as conn:
        conn.execute(insert(tables["shop_item"]), [{**stamps, **empty, **row} for row in rows])
        lines = [{**stamps, "parent_id": row["id"], "position": 0, "note": f"n{row['id']}"} for row in rows]
        conn.execute(insert(tables["shop_item__lines"]), lines)


def items(engine: Engine, *columns: str) -> list[tuple[Any, ...]]:
    names = ", ".join(f'"{c}"' for c in ("id", *columns))
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(f"SELECT {names} FROM shop_item ORDER BY id"))]


def columns_of(engine: Engine, table: str) -> dict[str, Any]:
    return {c["name"]: c["type"] for c in inspect(engine).get_columns(table)}


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything a migration could change: tables, columns, indexes, constraints and rows."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        found = {}
        for name in sorted(inspector.get_table_names()):
            found[name] = (
                [(c["name"], str(c["type"])) for c in inspector.get_columns(name)],
                sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(name)),
                sorted(
                    (u["name"] or "", tuple(u["column_names"]))
                    for u in inspector.get_unique_constraints(name)
                ),
                sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"], str(f["options"].get("ondelete")))
                    for f in inspector.get_foreign_keys(name)
                ),
                sorted((tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr),
            )
        return found


def kinds(planned: Plan) -> list[tuple[str, str | None]]:
    return [(step.kind, step.column) for step in planned.pending if step.table == "shop_item"]


# -- scenarios -------------------------------------------------------------------------------


def test_fresh_database_gets_every_table_then_is_up_to_date(engine: Engine) -> None:
    catalog = validate_paths([BUILTIN_APPS / "oa", BUILTIN_APPS / "crm"]).catalog
    assert catalog is not None
    planned = migrate(engine, catalog)
    assert {step.kind for step in planned.steps} <= {"CreateTable", "AddForeignKey"}
    created = {step.table for step in planned.steps if step.kind == "CreateTable"}
    assert {"loom_users", "oa_expense_claim", "oa_expense_claim__lines", "crm_contract"} <= created
    assert not planned.refused and all(step.rows == 0 and not step.destructive for step in planned.steps)
    assert set(inspect(engine).get_table_names()) == created
    assert up_to_date(engine, catalog)


def test_add_field_to_10000_rows_keeps_data(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(
        engine, shop(), [{"id": i, "title": f"t{i}", "code": f"c{i}", "qty": i} for i in range(1, 10_001)]
    )
    before = items(engine, "title", "code", "qty")
    grown = shop(FIELDS + "  - {name: price, type: money}\n  - {name: buyer, type: user}\n")
    planned = migrate(engine, grown)
    assert kinds(planned) == [
        ("AddColumn", "price"),
        ("AddColumn", "buyer"),
        ("AddIndex", "ix_shop_item__buyer"),
    ]
    assert {step.rows for step in planned.pending} == {10_000}
    assert items(engine, "title", "code", "qty") == before
    assert set(items(engine, "price", "buyer")) == {(i, None, None) for i in range(1, 10_001)}
    buyer = [
        fk for fk in inspect(engine).get_foreign_keys("shop_item") if fk["constrained_columns"] == ["buyer"]
    ]
    assert [(fk["referred_table"], fk["options"].get("ondelete")) for fk in buyer] == [
        ("loom_users", "RESTRICT")
    ]
    assert up_to_date(engine, grown)


def test_rename_via_renamed_from_keeps_data_and_index(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": i, "title": f"t{i}", "code": f"c{i}"} for i in range(1, 51)])
    renamed = shop(FIELDS.replace("name: title,", "name: name, renamed_from: title,"))
    planned = migrate(engine, renamed)
    assert ("RenameColumn", "name") in kinds(planned)
    assert not any(step.kind in ("RetireColumn", "AddColumn") for step in planned.steps)
    assert items(engine, "name") == [(i, f"t{i}") for i in range(1, 51)]
    assert "title" not in columns_of(engine, "shop_item")
    index_names = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("shop_item")}
    assert index_names["ix_shop_item__name"] == ["name"] and "ix_shop_item__title" not in index_names
    assert up_to_date(engine, renamed)


def test_removed_field_is_retired_and_comes_back_with_its_data(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": i, "code": f"c{i}" if i % 2 else None} for i in range(1, 11)])
    without_code = shop(FIELDS.replace("  - {name: code, type: string, max_length: 20}\n", ""))
    planned = plan(Runtime.for_catalog(without_code, engine))
    (retired,) = planned.steps
    assert (retired.kind, retired.target, retired.rows, retired.status) == (
        "RetireColumn",
        "shop_item.code",
        5,
        "retired",
    )
    assert planned.up_to_date and not planned.refused
    assert "RETIRED" in render_plan(planned, "en") and "已退役" in render_plan(planned, "zh")
    apply(planned, engine)
    assert items(engine, "code")[:2] == [(1, "c1"), (2, None)]
    assert up_to_date(engine, shop())  # declared again: nothing to do, the values are there
    assert items(engine, "code")[:3] == [(1, "c1"), (2, None), (3, "c3")]


def test_purge_retired_archives_column_then_drops_it(engine: Engine, shop) -> None:
    migrate(engine, shop(FIELDS + "  - {name: owner_name, type: string, unique: true}\n"))
    catalog = shop(FIELDS + "  - {name: owner_name, type: string, unique: true}\n")
    add_items(engine, catalog, [{"id": i, "owner_name": f"o{i}", "title": f"t{i}"} for i in range(1, 21)])
    planned = migrate(engine, shop(), purge_retired=True)
    drop, purge = planned.steps
    assert (drop.kind, drop.column) == ("DropUniqueConstraint", "uq_shop_item__owner_name")
    assert (purge.kind, purge.column, purge.rows, purge.destructive) == (
        "PurgeColumn",
        "owner_name",
        20,
        True,
    )
    assert purge.archive and purge.archive.startswith("loom_archive_shop_item__owner_name_")
    assert "owner_name" not in columns_of(engine, "shop_item")
    with engine.connect() as conn:
        archived = conn.execute(text(f'SELECT id, owner_name FROM "{purge.archive}" ORDER BY id')).all()
    assert [tuple(row) for row in archived] == [(i, f"o{i}") for i in range(1, 21)]
    assert items(engine, "title")[0] == (1, "t1")
    assert (
        plan(Runtime.for_catalog(shop(), engine), purge_retired=True).steps == ()
    )  # archives are left alone


def test_removed_entity_is_retired_then_purged_child_table_first(engine: Engine, shop, write_package) -> None:
    gadget = (
        "kind: entity\nname: gadget\nlabel: Gadget\nfields:\n  - {name: parts, type: table, entity: line}\n"
    )
    with_gadget = shop(**{"entities/gadget.yaml": gadget})
    migrate(engine, with_gadget)
    tables = Runtime.for_catalog(with_gadget, engine).schema.metadata.tables
    with engine.begin() as conn:
        conn.execute(insert(tables["shop_gadget"]), [{"id": 7, "created_at": NOW, "updated_at": NOW}])
        conn.execute(insert(tables["shop_gadget__parts"]), [{"parent_id": 7, "position": 0, "note": "x"}])
    (write_package({}) / "entities/gadget.yaml").unlink()
    retired = migrate(engine, shop())
    assert sorted((s.kind, s.table, s.rows) for s in retired.steps) == [
        ("RetireTable", "shop_gadget", 1),
        ("RetireTable", "shop_gadget__parts", 1),
    ]
    assert up_to_date(engine, shop(**{"entities/gadget.yaml": gadget}))  # declared again: all there
    (write_package({}) / "entities/gadget.yaml").unlink()
    purged = migrate(engine, shop(), purge_retired=True)
    assert [(s.kind, s.table) for s in purged.steps] == [
        ("PurgeTable", "shop_gadget__parts"),
        ("PurgeTable", "shop_gadget"),
    ]
    names = set(inspect(engine).get_table_names())
    assert not {"shop_gadget", "shop_gadget__parts"} & names
    with engine.connect() as conn:
        assert conn.execute(text(f'SELECT note FROM "{purged.steps[0].archive}"')).scalar_one() == "x"


def test_narrowing_is_refused_without_the_flag_and_changes_nothing(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": 1, "code": "ABCDEFGHIJ"}, {"id": 2, "code": "AB"}, {"id": 3}])
    before = snapshot(engine)
    narrow = shop(FIELDS.replace("max_length: 20", "max_length: 5"))
    planned = plan(Runtime.for_catalog(narrow, engine))
    (refusal,) = planned.refused
    assert (refusal.step.kind, refusal.step.rows, refusal.flag) == ("NarrowColumn", 1, "allow_destructive")
    assert "--allow-destructive" in render_plan(planned, "en")
    with pytest.raises(MigrationRefused, match="allow-destructive"):
        apply(planned, engine)
    assert snapshot(engine) == before


def test_narrowing_with_allow_destructive_archives_then_narrows(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": 1, "code": "ABCDEFGHIJ"}, {"id": 2, "code": "AB"}, {"id": 3}])
    narrow = shop(FIELDS.replace("max_length: 20", "max_length: 5"))
    planned = migrate(engine, narrow, allow_destructive=True)
    (step,) = planned.steps
    assert (step.kind, step.destructive, step.detail) == ("NarrowColumn", True, "VARCHAR(20) → VARCHAR(5)")
    assert columns_of(engine, "shop_item")["code"].length == 5
    assert items(engine, "code") == [(1, "ABCDE"), (2, "AB"), (3, None)]
    with engine.connect() as conn:
        assert conn.execute(text(f'SELECT id, code FROM "{step.archive}"')).all() == [(1, "ABCDEFGHIJ")]
    assert up_to_date(engine, narrow)


def test_widening_and_integer_to_decimal_are_safe(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": 1, "code": "x" * 20, "qty": 3}])
    wider = shop(
        FIELDS.replace("max_length: 20", "max_length: 100").replace("type: integer", "type: decimal")
    )
    planned = migrate(engine, wider)
    assert kinds(planned) == [("WidenColumn", "code"), ("WidenColumn", "qty")]
    assert all(step.status == "safe" for step in planned.steps) and not planned.refused
    assert columns_of(engine, "shop_item")["code"].length == 100
    assert items(engine, "code", "qty") == [(1, "x" * 20, 3)]
    assert up_to_date(engine, wider)


def test_unsafe_type_change_needs_the_flag_and_archives_first(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": 1, "qty": 3}, {"id": 2}])
    as_date = shop(FIELDS.replace("{name: qty, type: integer}", "{name: qty, type: date}"))
    refused = plan(Runtime.for_catalog(as_date, engine)).refused  # needs the flag, and 3 is no date
    assert sorted((r.step.kind, r.step.rows, r.flag or "") for r in refused) == [
        ("ChangeColumnType", 1, ""),
        ("ChangeColumnType", 1, "allow_destructive"),
    ]
    as_text = shop(FIELDS.replace("{name: qty, type: integer}", "{name: qty, type: string, max_length: 10}"))
    planned = migrate(engine, as_text, allow_destructive=True)
    (step,) = planned.steps
    assert (step.kind, step.status, step.rows) == ("ChangeColumnType", "destructive", 1)
    assert items(engine, "qty") == [(1, "3"), (2, None)]
    with engine.connect() as conn:
        assert [tuple(row) for row in conn.execute(text(f'SELECT id, qty FROM "{step.archive}"'))] == [(1, 3)]
    assert up_to_date(engine, as_text)


def test_a_retype_that_cannot_convert_every_value_is_refused_on_both_databases(engine: Engine, shop) -> None:
    migrate(engine, shop())
    codes = [" 42 ", "-7", "abc", "3.5", "", "99999999999999999999", "12"] + [f"x{i}" for i in range(5)]
    add_items(engine, shop(), [{"id": i, "code": code} for i, code in enumerate(codes, 1)] + [{"id": 20}])
    as_number = shop(
        FIELDS.replace("{name: code, type: string, max_length: 20}", "{name: code, type: integer}")
    )
    planned = plan(Runtime.for_catalog(as_number, engine), allow_destructive=True)
    (refusal,) = planned.refused
    assert refusal.step.kind == "ChangeColumnType" and refusal.flag is None
    assert refusal.reason.en == (
        "9 value(s) of shop_item.code cannot become BIGINT (id 3: 'abc', id 4: '3.5', id 5: '', "
        "id 6: '99999999999999999999', id 8: 'x0'…); correct or empty them first"
    )
    before = snapshot(engine)
    with pytest.raises(MigrationRefused, match="9 value"):
        apply(planned, engine)
    assert snapshot(engine) == before
    with engine.begin() as conn:  # the user empties them; the change then goes through
        conn.execute(text("UPDATE shop_item SET code = NULL WHERE id NOT IN (1, 2, 7)"))
    planned = plan(Runtime.for_catalog(as_number, engine), allow_destructive=True)
    assert not planned.refused
    with engine.begin() as conn:  # written between plan and apply: checked again
        conn.execute(text("UPDATE shop_item SET code = 'late' WHERE id = 3"))
    with pytest.raises(
        MigrationFailed, match=r"1 value\(s\) of shop_item.code cannot become BIGINT \(id 3: 'late'\)"
    ):
        apply(planned, engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE shop_item SET code = NULL WHERE id = 3"))
    migrate(engine, as_number, allow_destructive=True)
    assert items(engine, "code") == [(1, 42), (2, -7), *((i, None) for i in range(3, 7)), (7, 12)] + [
        (i, None) for i in (8, 9, 10, 11, 12, 20)
    ]


def test_a_narrowed_number_is_refused_while_it_overflows_and_rounded_alike(engine: Engine, shop) -> None:
    priced = FIELDS + "  - {name: price, type: decimal, precision: 10, scale: 2}\n"
    migrate(engine, shop(priced))
    add_items(engine, shop(priced), [{"id": 1, "price": "12345.67"}, {"id": 2, "price": "1.25"}, {"id": 3}])
    narrow = shop(priced.replace("precision: 10, scale: 2", "precision: 4, scale: 1"))
    (refusal,) = plan(Runtime.for_catalog(narrow, engine), allow_destructive=True).refused
    assert refusal.reason.en == (
        "1 value(s) of shop_item.price cannot become NUMERIC(4, 1) (id 1: 12345.67); "
        "correct or empty them first"
    )
    with engine.begin() as conn:
        conn.execute(text("UPDATE shop_item SET price = 123.44 WHERE id = 1"))
    migrate(engine, narrow, allow_destructive=True)
    stored = [
        (i, None if v is None else Decimal(str(v))) for i, v in items(engine, "price")
    ]  # SQLite: floats
    assert stored == [(1, Decimal("123.4")), (2, Decimal("1.3")), (3, None)]


def test_constraint_and_index_changes(engine: Engine, shop) -> None:
    maker = "kind: entity\nname: maker\nlabel: Maker\nfields:\n  - {name: title, type: string}\n"
    linked = FIELDS.replace("max_length: 20}", "max_length: 20, unique: true}") + (
        "  - {name: maker, type: link, entity: maker}\n"
    )
    migrate(engine, shop(linked, **{"entities/maker.yaml": maker}))
    loosened = (
        linked.replace(", unique: true", "")
        .replace(", index: true", "")
        .replace("entity: maker}", "entity: maker, on_delete: cascade}")
    )
    catalog = shop(loosened, **{"entities/maker.yaml": maker})
    planned = migrate(engine, catalog)
    assert kinds(planned) == [
        ("DropForeignKey", planned.steps[0].column),
        ("DropUniqueConstraint", "uq_shop_item__code"),
        ("DropIndex", "ix_shop_item__title"),
        ("AddForeignKey", planned.steps[-1].column),
    ]
    assert planned.steps[-1].detail == "(maker) → shop_maker"
    fks = inspect(engine).get_foreign_keys("shop_item")
    assert [f["options"].get("ondelete") for f in fks if f["referred_table"] == "shop_maker"] == ["CASCADE"]
    assert inspect(engine).get_unique_constraints("shop_item") == []
    assert up_to_date(engine, catalog)
    unlinked = shop(
        loosened.replace("  - {name: maker, type: link, entity: maker, on_delete: cascade}\n", "")
    )
    purged = migrate(engine, unlinked, purge_retired=True)
    assert [step.kind for step in purged.steps] == ["DropForeignKey", "DropIndex", "PurgeColumn"]
    assert "shop_maker" not in {f["referred_table"] for f in inspect(engine).get_foreign_keys("shop_item")}
    assert up_to_date(engine, unlinked)


def test_unique_constraint_on_duplicated_values_is_refused(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": 1, "code": "same"}, {"id": 2, "code": "same"}, {"id": 3}, {"id": 4}])
    unique = shop(FIELDS.replace("max_length: 20}", "max_length: 20, unique: true}"))
    planned = plan(Runtime.for_catalog(unique, engine), allow_destructive=True)
    (refusal,) = planned.refused
    assert refusal.step.kind == "AddUniqueConstraint" and refusal.flag is None
    assert "make them unique first" in refusal.reason.en
    with pytest.raises(MigrationRefused):
        apply(planned, engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE shop_item SET code = 'other' WHERE id = 2"))
    migrate(engine, unique)
    assert up_to_date(engine, unique)


def test_failing_step_leaves_the_database_exactly_as_before(engine: Engine, shop) -> None:
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": i, "title": f"t{i}", "code": f"c{i}", "qty": i} for i in range(1, 101)])
    changed = (
        FIELDS.replace("name: title,", "name: name, renamed_from: title,")
        .replace("max_length: 20}", "max_length: 30, unique: true}")
        .replace("  - {name: qty, type: integer}\n", "")
        + "  - {name: price, type: money, index: true}\n"
    )
    planned = plan(Runtime.for_catalog(shop(changed), engine), purge_retired=True)
    assert kinds(planned) == [
        ("RenameColumn", "name"),
        ("DropIndex", "ix_shop_item__title"),
        ("AddColumn", "price"),
        ("WidenColumn", "code"),
        ("AddIndex", "ix_shop_item__name"),
        ("AddIndex", "ix_shop_item__price"),
        ("AddUniqueConstraint", "uq_shop_item__code"),
        ("PurgeColumn", "qty"),
    ]
    with engine.begin() as conn:  # the data changes between planning and applying
        conn.execute(text("UPDATE shop_item SET code = 'dup' WHERE id IN (1, 2)"))
    before = snapshot(engine)
    with pytest.raises(MigrationFailed, match=r"step 7/8 \(AddUniqueConstraint"):
        apply(planned, engine)
    assert snapshot(engine) == before
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_table_rebuild_keeps_child_rows_and_foreign_keys(engine: Engine, shop) -> None:
    """On SQLite a type change rebuilds the parent table; its cascading children must survive."""
    migrate(engine, shop())
    add_items(engine, shop(), [{"id": i, "code": f"c{i}"} for i in range(1, 6)])
    migrate(engine, shop(FIELDS.replace("max_length: 20", "max_length: 50")))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM shop_item__lines")).scalar_one() == 5
    (fk,) = inspect(engine).get_foreign_keys("shop_item__lines")
    assert (fk["referred_table"], fk["options"].get("ondelete")) == ("shop_item", "CASCADE")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM shop_item WHERE id = 1"))
        assert conn.execute(text("SELECT count(*) FROM shop_item__lines")).scalar_one() == 4


def test_tables_loom_does_not_own_are_never_touched(engine: Engine, shop) -> None:
    migrate(engine, shop())
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE legacy_orders (id INTEGER PRIMARY KEY, total INTEGER)"))
        conn.execute(text("CREATE TABLE loom_archive_old_20240101000000 (id INTEGER)"))
        conn.execute(text("CREATE TABLE shop_scratch (id INTEGER PRIMARY KEY)"))
    planned = plan(Runtime.for_catalog(shop(), engine), purge_retired=True)
    assert [(step.kind, step.table) for step in planned.steps] == [("PurgeTable", "shop_scratch")]


def test_archive_names_fit_postgresql_identifiers() -> None:
    assert (
        archive_name("shop_item", "code", "20240501093000") == "loom_archive_shop_item__code_20240501093000"
    )
    long = archive_name("crm_" + "x" * 50, "y" * 40, "20240501093000")
    assert len(long) <= 63 and long.startswith("loom_archive_crm_x") and long.endswith("_20240501093000")
    assert long != archive_name("crm_" + "x" * 50, "z" * 40, "20240501093000")


def test_plan_renders_aligned_in_both_languages(engine: Engine, shop) -> None:
    migrate(engine, shop())
    planned = plan(Runtime.for_catalog(shop(FIELDS + "  - {name: price, type: money}\n"), engine))
    english = render_plan(planned, "en").splitlines()
    assert english[0].split() == ["step", "table", "column", "rows", "status", "detail"]
    assert english[2].split() == ["add", "column", "shop_item", "price", "0", "SAFE"]
    chinese = render_plan(planned, "zh").splitlines()
    assert chinese[2].split() == ["新增列", "shop_item", "price", "0", "安全"]
    assert render_plan(plan(Runtime.for_catalog(shop(), engine)), "en").endswith("nothing to migrate.")


# -- the command line -------------------------------------------------------------------------


def loom(site: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOOM_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "loom.platform", "migrate", "--site", str(site), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def test_cli_plans_applies_and_refuses(tmp_path: Path, database_url: str, write_package) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text("apps: [shop]\nsecret_key: test\n", encoding="utf-8")
    package = {"entities/item.yaml": ITEM.format(fields=FIELDS), "entities/line.yaml": LINE}
    write_package(package, root=site / "apps")

    planned = loom(site, database_url, "--plan")
    assert planned.returncode == 0, planned.stderr
    assert re.search(r"^create table +shop_item ", planned.stdout, re.MULTILINE)
    applied = loom(site, database_url, "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "applied" in applied.stdout
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO shop_item (id, created_at, updated_at, version, code) "
                              "VALUES (1, :now, :now, 1, 'ABCDEFGHIJ')"), {"now": NOW})  # fmt: skip
        narrowed = {
            **package,
            "entities/item.yaml": ITEM.format(fields=FIELDS.replace("max_length: 20", "max_length: 4")),
        }
        write_package(narrowed, root=site / "apps")
        refused = loom(site, database_url, "--apply")
        assert refused.returncode == 1
        assert "--allow-destructive" in refused.stderr and "Traceback" not in refused.stderr
        with engine.connect() as conn:
            assert (
                conn.execute(select(text("code")).select_from(text("shop_item"))).scalar_one() == "ABCDEFGHIJ"
            )

        report = json.loads(
            loom(site, database_url, "--plan", "--allow-destructive", "--format", "json").stdout
        )
        assert report["ok"] and [s["kind"] for s in report["steps"]] == ["NarrowColumn"]
        forced = loom(site, database_url, "--apply", "--allow-destructive", "--lang", "zh")
        assert forced.returncode == 0, forced.stderr
        assert "收窄列" in forced.stdout and "已执行 1 步" in forced.stdout
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code FROM shop_item")).scalar_one() == "ABCD"
    finally:
        engine.dispose()


def test_cli_reports_invalid_metadata_and_usage_errors(tmp_path: Path, write_package) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.yaml").write_text("apps: [shop]\nsecret_key: test\n", encoding="utf-8")
    broken = ITEM.format(fields="  - {name: title, type: strng}\n")
    write_package({"entities/item.yaml": broken}, root=site / "apps")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    invalid = loom(site, url, "--plan")
    assert (
        invalid.returncode == 1 and "/fields/0/type" in invalid.stderr and "Traceback" not in invalid.stderr
    )
    assert loom(site, url, "--plan", "--apply").returncode == 2


def test_adding_a_unique_field_to_a_table_with_rows(tmp_path) -> None:
    """A new unique column holds only NULLs: the plan must not count duplicates in it."""
    from loom.metadata import validate_paths
    from loom.platform import migrations
    from loom.platform.database import make_engine
    from loom.platform.runtime import Runtime

    def package(extra: str) -> Path:
        folder = tmp_path / "shop"
        (folder / "entities").mkdir(parents=True, exist_ok=True)
        (folder / "app.yaml").write_text("kind: app\nname: shop\nlabel: Shop\nversion: 1.0.0\n")
        (folder / "entities/item.yaml").write_text(
            "kind: entity\nname: item\nlabel: Item\nfields:\n  - {name: title, type: string}\n" + extra
        )
        return folder

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    first = Runtime.for_catalog(validate_paths([package("")]).catalog, engine)
    migrations.apply(migrations.plan(first), engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO shop_item (title, created_at, updated_at, version) "
            "VALUES ('a', '2026-01-01', '2026-01-01', 1)"
        )
    second = Runtime.for_catalog(
        validate_paths([package("  - {name: sku, type: string, unique: true}\n")]).catalog, engine
    )
    plan = migrations.plan(second)
    assert not plan.refused
    migrations.apply(plan, engine)
