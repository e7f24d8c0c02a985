"""How lists order records, and the indexes that let a database read that order, not sort it.

A list orders by its sort keys, then by ``id`` in the first key's direction, with empty
values last in both directions on both databases. Each key becomes one ``ORDER BY`` term
(:func:`order_term`), and the indexes built for an entity's declared sorts hold exactly
those terms (:func:`sort_indexes`), so a page of a large table is read from an index in
order and stops after the page:

- on PostgreSQL the index's columns carry the terms' direction and ``NULLS LAST``: a
  descending ``NULLS LAST`` order cannot be read from a plain index, which holds empty
  values after the others and so, read backwards, first;
- on SQLite an index cannot declare where empty values go, and needs not: SQLite reads
  either direction with empty values first or last from a plain index. The index is plain.

Which sorts get an index (docs/data.md §5.3):

1. the list's sort (``list.sort``): an index on its keys and ``id``;
2. each list filter, as the first column of an index on it and the list's sort, so a list
   filtered on one value (``stage = won``) reads its first page in order;
3. each saved view that pins columns to one value (``stage == "won"``, ``owner_user ==
   current_user``, ``!in_pool``), or has a sort of its own: an index on those columns, then
   the view's sort (or the list's).

A lone index on a column that one of these indexes starts with is not built as well: the
longer one serves the same lookups.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import Table

from loom.metadata.catalog import Entity

from .records.cel_filter import equality_columns

Order = tuple[tuple[str, bool], ...]  # (column, descending) pairs


def order_term(column: Any, desc: bool) -> ColumnElement[Any]:
    """One ORDER BY term: empty values last in both directions, on every database.

    A column that cannot be empty (``id``, ``created_at``…) is sorted plainly: ``NULLS LAST``
    changes nothing there, and the term then equals what a plain index holds.
    """
    term = column.desc() if desc else column.asc()
    return term.nulls_last() if column.nullable else term


def tiebroken(order: Iterable[tuple[str, bool]]) -> Order:
    """The keys with ``id`` last, in the first key's direction, so that pages never overlap."""
    keys = tuple(order)
    if any(name == "id" for name, _ in keys):
        return keys
    return (*keys, ("id", bool(keys and keys[0][1])))


@dataclass(frozen=True, slots=True)
class SortIndex:
    """An index serving one sort: ``lead`` columns pinned to one value each, then ``order``."""

    lead: tuple[str, ...]
    order: Order

    @property
    def first(self) -> str:
        """The column the index starts with."""
        return (*self.lead, *(name for name, _ in self.order))[0]

    def name_parts(self) -> list[str]:
        return [*self.lead, *(f"{name}_desc" if desc else name for name, desc in self.order)]

    def elements(self, table: Table, dialect: str) -> list[Any]:
        """The index's columns: on PostgreSQL with the order's terms, elsewhere plain."""
        lead = [table.c[name] for name in self.lead]
        if dialect != "postgresql":
            return [*lead, *(table.c[name] for name, _ in self.order)]
        return [*lead, *(order_term(table.c[name], desc) for name, desc in self.order)]


def sort_indexes(entity: Entity, columns: set[str]) -> list[SortIndex]:
    """The indexes serving an entity's declared sorts (the module's three rules), given the
    names of its table's columns."""
    listed = declared_order(entity.list.sort, columns)
    found = [SortIndex((), listed)] if listed else []
    found += [_led((name,), listed) for name in entity.list.filters if name in columns]
    for view in entity.list.views:
        lead = equality_columns(view.filter, entity, columns) if view.filter is not None else ()
        order = declared_order(view.sort, columns) if view.sort else listed
        if lead or (view.sort and order):
            found.append(_led(lead, order))
    return list(dict.fromkeys(found))


def declared_order(keys: Iterable[str], columns: set[str]) -> Order:
    """A declared sort's keys as the lister orders them (it skips ``flow_status`` where an
    entity has no flow, the one key metadata may name that is no column)."""
    order = [(key.lstrip("-"), key.startswith("-")) for key in keys if key.lstrip("-") in columns]
    return tiebroken(order) if order else ()


def _led(lead: tuple[str, ...], order: Order) -> SortIndex:
    """``order`` led by ``lead``, without the lead columns in the order again. When the order
    starts with the lead columns already, its own index serves: the same index, one name."""
    pinned = set(lead)
    if {name for name, _ in order[: len(lead)]} == pinned:
        return SortIndex((), order)
    return SortIndex(lead, tuple((name, desc) for name, desc in order if name not in pinned))
