"""The migration planner under random sequences of metadata changes (hypothesis).

An entity goes through up to five versions: fields added, removed (retired), declared again,
widened or narrowed, indexed or made unique. After each version the plan is applied (or, when
it would lose data and is not forced, refused without touching anything), and then:

- the next plan is empty: what was applied is what the metadata says;
- no row is lost and no stored value changes, in declared and retired columns alike;
- a field declared again finds its values where it left them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy import update

from loom.metadata import validate_paths
from loom.metadata.catalog import Catalog
from loom.platform.database import make_engine
from loom.platform.migrations import MigrationRefused
from loom.platform.migrations import apply
from loom.platform.migrations import plan
from loom.platform.runtime import Runtime

IDS = range(1, 7)
NOW = dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC)
# Each field's declarations, from which a version picks one; values fit the narrowest.
VARIANTS: dict[str, tuple[str, ...]] = {
    "title": ("max_length: 40", "max_length: 80", "max_length: 80, index: true"),
    "code": ("max_length: 20", "max_length: 20, unique: true"),
    "qty": ("type: integer", "type: integer, index: true"),
    "price": ("type: money",),
    "due": ("type: date",),
    "done": ("type: boolean",),
    "note": ("type: text",),
}
VALUES: dict[str, Callable[[int], Any]] = {
    "title": lambda i: f"标题{i}",
    "code": lambda i: f"C-{i:03d}",
    "qty": lambda i: i * 7,
    "price": lambda i: Decimal(f"{i}.50"),
    "due": lambda i: dt.date(2024, 1, i),
    "done": lambda i: i % 2 == 0,
    "note": lambda i: f"备注 {i}",
}
ENTITY = "kind: entity\nname: item\nlabel: {{zh: 物品, en: Item}}\nfields:\n{fields}"

versions = st.lists(
    st.tuples(
        st.dictionaries(st.sampled_from(sorted(VARIANTS)), st.integers(0, 2), min_size=1),
        st.booleans(),  # forced: --allow-destructive
    ),
    min_size=1,
    max_size=5,
)
PROPERTY = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def declaration(name: str, variant: int) -> str:
    chosen = VARIANTS[name][variant % len(VARIANTS[name])]
    typed = chosen if chosen.startswith("type:") else f"type: string, {chosen}"
    return f"  - {{name: {name}, {typed}}}\n"


@PROPERTY
@given(steps=versions)
def test_random_changes_plan_apply_and_keep_every_value(steps, database_url, write_package, postgres_schema):
    with fresh_engine(database_url, postgres_schema) as engine:
        kept: dict[str, list[Any]] = {}  # every column ever filled, as read back after filling it
        for fields, forced in steps:
            catalog = item_catalog(write_package, fields)
            planned = plan(Runtime.for_catalog(catalog, engine), allow_destructive=forced)
            if planned.refused:
                before = read(engine, kept)
                try:
                    apply(planned, engine)
                except MigrationRefused:
                    pass
                else:
                    raise AssertionError(f"a refused plan was applied: {planned.refused}")
                assert read(engine, kept) == before
                continue
            apply(planned, engine)
            new = [name for name in fields if name not in kept]
            fill(engine, catalog, new)
            kept |= read(engine, dict.fromkeys(new))

            assert plan(Runtime.for_catalog(catalog, engine)).up_to_date, "a second plan has steps"
            assert row_ids(engine) == list(IDS)
            assert read(engine, kept) == kept
            assert set(kept) <= set(column_names(engine))  # retired columns stay, with their data


@contextmanager
def fresh_engine(
    database_url: str, postgres_schema: Callable[[str], AbstractContextManager[str]]
) -> Iterator[Engine]:
    """An empty database for one example (hypothesis runs many in one test)."""
    if database_url.startswith("sqlite"):
        folder = Path(database_url.removeprefix("sqlite:///")).parent
        engine = make_engine(f"sqlite:///{folder / uuid.uuid4().hex}.db")
        yield engine
        engine.dispose()
        return
    with postgres_schema("mp") as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def item_catalog(write_package: Callable[..., Path], fields: dict[str, int]) -> Catalog:
    body = "".join(declaration(name, variant) for name, variant in sorted(fields.items()))
    result = validate_paths([write_package({"entities/item.yaml": ENTITY.format(fields=body)})])
    assert result.catalog is not None, [p.render() for p in result.problems]
    return result.catalog


def fill(engine: Engine, catalog: Catalog, names: list[str]) -> None:
    """The rows, the first time; then a value in every row for each field declared the first time."""
    table = Runtime.for_catalog(catalog, engine).schema.metadata.tables["shop_item"]
    with engine.begin() as conn:
        if not conn.execute(text("SELECT 1 FROM shop_item")).first():
            conn.execute(insert(table), [{"id": i, "created_at": NOW, "updated_at": NOW} for i in IDS])
        for i in IDS if names else ():
            conn.execute(update(table).where(table.c.id == i).values({n: VALUES[n](i) for n in names}))


def read(engine: Engine, columns: Mapping[str, Any]) -> dict[str, list[Any]]:
    if not columns:
        return {}
    names = ", ".join(f'"{name}"' for name in columns)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {names} FROM shop_item ORDER BY id")).all()
    return {name: [_plain(row[i]) for row in rows] for i, name in enumerate(columns)}


def _plain(value: Any) -> Any:
    """Values as comparable across a retype: SQLite may hand back a money value as text or float."""
    return str(value) if not isinstance(value, str | bool | int | type(None)) else value


def row_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM shop_item ORDER BY id")).scalars())


def column_names(engine: Engine) -> list[str]:
    return [c["name"] for c in inspect(engine).get_columns("shop_item")]
