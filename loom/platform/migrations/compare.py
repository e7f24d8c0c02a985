"""Compare the target MetaData with the live database, with Alembic's comparison machinery.

Only tables Loom owns take part: the tables of the target schema, ``loom_*`` platform
tables and tables named after an installed app (``<app>_…``, which is how a removed entity's
table is recognised). Anything else in the database, and archive tables, is never reflected,
so it can never be altered or dropped. Differences Loom does not manage (server defaults,
nullability, comments) are dropped here; types are compared with ``typediff.classify``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import MetaData
from sqlalchemy.exc import SAWarning

from loom.metadata.catalog import Catalog

from .archive import is_archive
from .typediff import TypeChange
from .typediff import classify

if TYPE_CHECKING:  # Alembic is imported when a schema is compared, not when a web worker starts
    from alembic.migration import MigrationContext


@dataclass(frozen=True)
class Diff:
    """One difference: ``kind`` is Alembic's name for it (add_column, remove_index…)."""

    kind: str
    table: str
    name: str | None = None  # the column, index or constraint
    target: Any = None  # the target-side object: Table, Column, Index, constraint or type
    live: Any = None  # the live-side object where it matters (the column's current type)


def owner(catalog: Catalog, metadata: MetaData) -> Callable[[str], bool]:
    """A predicate telling whether a table name belongs to Loom (see the module docstring)."""
    prefixes = ("loom_", *(f"{app}_" for app in catalog.apps))

    def owned(name: str) -> bool:
        return not is_archive(name) and (name in metadata.tables or name.startswith(prefixes))

    return owned


def compare(conn: Connection, metadata: MetaData, owned: Callable[[str], bool]) -> list[Diff]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
        return type_ != "table" or (name is not None and owned(name))

    def compare_type(context: MigrationContext, _live: Any, _target: Any, live: Any, target: Any) -> bool:
        return classify(live, target, context.dialect) is not TypeChange.SAME

    context = MigrationContext.configure(
        conn, opts={"include_name": include_name, "compare_type": compare_type}
    )
    with warnings.catch_warnings():
        # Alembic sorts the tables and warns on foreign-key cycles (a customer's primary contact,
        # a contact's customer); the planner orders new tables itself and adds such keys after.
        warnings.filterwarnings("ignore", "Cannot correctly sort tables", SAWarning)
        return list(_normalize(compare_metadata(context, metadata)))


def _normalize(raw: Iterable[Any]) -> Iterator[Diff]:
    """Flatten Alembic's diff tuples (column changes come grouped in lists) into Diffs."""
    for item in raw:
        for diff in item if isinstance(item, list) else [item]:
            convert = _CONVERTERS.get(diff[0])
            if convert is not None:
                yield convert(*diff)


def _table_diff(kind: str, table: Any) -> Diff:
    return Diff(kind, table.name, target=table)


def _column_diff(kind: str, _schema: Any, table: str, column: Any) -> Diff:
    return Diff(kind, table, column.name, column)


def _named_diff(kind: str, obj: Any) -> Diff:
    return Diff(kind, obj.table.name, obj.name, obj)


def _type_diff(kind: str, _schema: Any, table: str, column: str, _info: Any, live: Any, target: Any) -> Diff:
    return Diff(kind, table, column, target, live)


_CONVERTERS: dict[str, Callable[..., Diff]] = {
    "add_table": _table_diff,
    "remove_table": _table_diff,
    "add_column": _column_diff,
    "remove_column": _column_diff,
    "add_index": _named_diff,
    "remove_index": _named_diff,
    "add_constraint": _named_diff,
    "remove_constraint": _named_diff,
    "add_fk": _named_diff,
    "remove_fk": _named_diff,
    "modify_type": _type_diff,
}
