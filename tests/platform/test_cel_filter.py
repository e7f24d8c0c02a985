"""The SQL half of a CEL condition agrees with CEL itself, NULLs included (hypothesis).

Rollups and scheduled automations read only the rows ``sql_filter`` admits and skip the CEL
re-check when it says the clause is exact, so any row on which the two disagree is a wrong
total or a missed (or extra) run. Random rows, half their values NULL, against every shape
the push-down handles: ``flag``, ``!flag``, ``field OP value`` and ``value OP field`` for each
comparison, values as literals, context names and ``null``, alone and in conjunctions.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy.engine import Engine

from loom.metadata import validate_paths
from loom.metadata.catalog import Entity
from loom.metadata.expressions import compile_expression
from loom.platform.actor import SYSTEM
from loom.platform.database import make_engine
from loom.platform.records.cel_filter import matches
from loom.platform.records.cel_filter import sql_filter
from loom.platform.records.logic import variables
from loom.platform.runtime import Runtime

APP = "kind: app\nname: shop\nlabel: {zh: 测试, en: Test}\nversion: 1.0.0\n"
THING = """\
kind: entity
name: thing
label: {zh: 东西, en: Thing}
fields:
  - {name: flag, type: boolean}
  - {name: n, type: integer}
  - {name: amount, type: decimal, precision: 10, scale: 2}
  - {name: label, type: string}
  - {name: day, type: date}
  - {name: at, type: datetime}
permissions:
  - {role: employee, read: all}
"""
NOW = dt.datetime(2026, 3, 15, 4, 0, tzinfo=dt.UTC)
TEXTS = ["", "a", "B", "b", "ab", "é", "中", "Z9"]
DAYS = [dt.date(2026, 3, d) for d in (1, 14, 15, 16, 31)]
TIMES = [NOW + dt.timedelta(minutes=m) for m in (-90, -1, 0, 1, 600)]

values = {
    "flag": st.booleans(),
    "n": st.integers(-3, 3),
    "amount": st.sampled_from(["-1.50", "0.00", "0.10", "2.25", "3.00"]).map(decimal.Decimal),
    "label": st.sampled_from(TEXTS),
    "day": st.sampled_from(DAYS),
    "at": st.sampled_from(TIMES),
}
literals = {
    "flag": st.sampled_from(["true", "false"]),
    "n": st.integers(-3, 3).map(str),
    "amount": st.sampled_from(["-1.5", "0.0", "0.1", "2.25", "3.0"]),
    "label": st.sampled_from(TEXTS).map(lambda t: f'"{t}"'),
    "day": st.sampled_from([*(f'"{d.isoformat()}"' for d in DAYS), "today"]),
    "at": st.sampled_from([*(f'timestamp("{t.isoformat()}")' for t in TIMES), "now"]),
}
COMPARISONS = ["==", "!=", "<", "<=", ">", ">="]
rows = st.lists(
    st.fixed_dictionaries({name: st.none() | strategy for name, strategy in values.items()}),
    max_size=8,
)


@st.composite
def conjunct(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(sorted(values)))
    if field == "flag" and draw(st.booleans()):
        return draw(st.sampled_from(["flag", "!flag", "(!flag)"]))
    value = draw(st.just("null") | literals[field])
    operator = draw(st.sampled_from(COMPARISONS))
    return f"{value} {operator} {field}" if draw(st.booleans()) else f"{field} {operator} {value}"


conditions = st.lists(conjunct(), min_size=1, max_size=3).map(" && ".join)


@dataclass
class Things:
    engine: Engine
    table: Table
    entity: Entity


@pytest.fixture(scope="module")
def things(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Things]:
    folder = tmp_path_factory.mktemp("cel") / "shop"
    (folder / "entities").mkdir(parents=True)
    (folder / "app.yaml").write_text(APP, encoding="utf-8")
    (folder / "entities" / "thing.yaml").write_text(THING, encoding="utf-8")
    catalog = validate_paths([folder]).catalog
    assert catalog is not None
    engine = make_engine(module_database_url)
    runtime = Runtime.for_catalog(catalog, engine)
    runtime.schema.metadata.create_all(engine)
    tables = runtime.schema.of("shop.thing")
    yield Things(engine, tables.table, tables.entity)
    engine.dispose()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=rows, condition=conditions)
def test_sql_half_agrees_with_cel(things: Things, data: list[dict[str, Any]], condition: str) -> None:
    table, entity = things.table, things.entity
    expression = compile_expression(condition)
    context = {"today": NOW.date().isoformat(), "now": NOW}  # as rollups and schedules pass them
    with things.engine.begin() as conn:
        conn.execute(delete(table))
        for row in data:
            conn.execute(insert(table).values(**row, created_at=NOW, updated_at=NOW, version=1))
        stored = conn.execute(select(table)).mappings().all()
        found = sql_filter(expression, entity, table, context)
        admitted = set(conn.execute(select(table.c.id).where(found.clause)).scalars())
    by_cel = {row["id"] for row in stored if matches(expression, variables(entity, row, SYSTEM, NOW))}
    assert by_cel <= admitted, f"the SQL half drops rows CEL keeps: {condition}"
    if found.exact:
        assert admitted == by_cel, f"an exact clause admits rows CEL refuses: {condition}"


@pytest.mark.parametrize(
    ("condition", "exact"),
    [("!flag", True), ("flag && n > 1", True), ('label < "b"', False), ("n < null", False)],
)
def test_what_is_pushed_down_exactly(things: Things, condition: str, exact: bool) -> None:
    found = sql_filter(compile_expression(condition), things.entity, things.table, {})
    assert found.exact is exact
