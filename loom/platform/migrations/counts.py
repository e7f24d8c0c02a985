"""Row counts for a plan: how many rows each step touches, and what would block a step.

Counts come from the live database at planning time, so the plan can say "10,000 rows"
before anything runs. Identifiers come from the compared schemas; values are never inlined.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnClause
from sqlalchemy import Connection
from sqlalchemy import column
from sqlalchemy import func
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import table

from .typediff import Where


class RowCounter:
    """Counts rows over one connection; whole-table counts are asked once per table."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._tables: dict[str, int] = {}

    def rows(self, name: str) -> int:
        if name not in self._tables:
            self._tables[name] = self._scalar(select(func.count()).select_from(table(name)))
        return self._tables[name]

    def rows_where(self, name: str, on: str, where: Where | None) -> int:
        """Rows of ``name`` whose column ``on`` satisfies ``where`` (all rows without one)."""
        if where is None:
            return self.rows(name)
        return self._scalar(select(func.count()).select_from(table(name)).where(where(column(on))))

    def values(self, name: str, on: str) -> int:
        """Rows holding a value in column ``on``."""
        return self.rows_where(name, on, lambda c: c.is_not(None))

    def duplicates(self, name: str, names: list[str]) -> int:
        """How many values of the columns ``names`` occur more than once (NULLs never collide).

        A column the plan has yet to add holds only NULLs: nothing can collide there.
        """
        live = {c["name"] for c in inspect(self.conn).get_columns(name)}
        if not set(names) <= live:
            return 0
        columns: list[ColumnClause[Any]] = [column(n) for n in names]
        groups = (
            select(*columns)
            .select_from(table(name))
            .where(*(c.is_not(None) for c in columns))
            .group_by(*columns)
            .having(func.count() > 1)
        )
        return self._scalar(select(func.count()).select_from(groups.subquery()))

    def _scalar(self, query: object) -> int:
        return int(self.conn.scalar(query) or 0)  # type: ignore[call-overload]
