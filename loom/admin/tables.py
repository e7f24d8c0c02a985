"""Console views over Loom's own tables (users, tokens, the audit log…), read with SQLAlchemy Core.

These tables are not entities, so the records service does not serve them. A view here
reads one ``select()`` (the table, often joined to show names instead of ids) with
Flask-Admin's paging, sorting, search and filters; writes, where a view allows them, go
through :class:`~loom.platform.identity.Identity`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from collections.abc import Sequence
from typing import Any
from typing import ClassVar

from flask_admin.form import SecureForm
from flask_admin.model import BaseModelView
from flask_admin.model.filters import BaseFilter
from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from wtforms import Form

from loom.platform.api.auth import services
from loom.platform.records.query import COUNT_CAP
from loom.platform.runtime import Runtime

from .access import AdminOnly
from .cells import DETAIL_FORMATTERS
from .cells import LIST_FORMATTERS
from .filters import ConditionFilter
from .labels import PLATFORM_LABELS
from .labels import Text
from .labels import lazy
from .rows import Row
from .rows import as_id


def like_pattern(text: str) -> str:
    """``%text%`` with LIKE's wildcards escaped by a backslash."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "lt": operator.lt,
    "contains": lambda column, value: column.ilike(like_pattern(str(value)), escape="\\"),
}


class TableView(AdminOnly, BaseModelView):
    """A read-only view of one platform table; subclasses add the writes Identity offers."""

    form_base_class = SecureForm
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS
    table_name: ClassVar[str]
    column_sortable_list: Sequence[str] | None = None
    searchable: ClassVar[tuple[str, ...]] = ()
    default_sort: ClassVar[tuple[str, bool]] = ("id", False)

    def __init__(self, runtime: Runtime, name: Text, category: Text, url: str) -> None:
        self.tables = runtime.schema.metadata.tables
        self.table = self.tables[self.table_name]
        self.column_labels = {column: lazy(label) for column, label in PLATFORM_LABELS.items()}
        if self.column_sortable_list is None:
            self.column_sortable_list = list(self.column_list or ())
        self.column_filters = self.filters(runtime)
        super().__init__(Row, name=lazy(name), category=lazy(category), endpoint=f"platform_{url}", url=url)

    def query(self) -> Select:
        """The rows shown; subclasses join the tables that give ids a name."""
        return select(self.table)

    def filters(self, runtime: Runtime) -> list[ConditionFilter]:
        return []

    # -- scaffolding -----------------------------------------------------------------------

    def get_pk_value(self, model: Row) -> Any:
        return model.id

    def scaffold_list_columns(self) -> list[str]:
        return list(self.query().selected_columns.keys())

    def scaffold_sortable_columns(self) -> dict[str, str]:
        return {c: c for c in self.column_sortable_list or ()}

    def init_search(self) -> bool:
        return bool(self.searchable)

    def search_placeholder(self) -> str:
        return ", ".join(str(self.get_column_name(c)) for c in self.searchable)

    def scaffold_filters(self, name: str | BaseFilter) -> list[BaseFilter] | None:
        return None  # filters are built by filters()

    def scaffold_form(self) -> type[Form]:
        return self.form_base_class

    # -- reading ---------------------------------------------------------------------------

    def get_list(
        self,
        page: int | None,
        sort_field: str | None,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        page_size: int | None = None,
    ) -> tuple[int, list[Row]]:
        statement = self.query()
        columns = statement.selected_columns
        where = [self._condition(columns, index, value) for index, _name, value in filters or ()]
        if search:
            where.append(or_(*(COMPARISONS["contains"](columns[c], search) for c in self.searchable)))
        statement = statement.where(*where)
        name, desc = (sort_field, bool(sort_desc)) if sort_field else self.default_sort
        order = columns[name].desc() if desc else columns[name].asc()
        size = page_size or self.page_size
        with services().runtime.engine.connect() as conn:
            # Counted up to the cap, as the records service counts: the audit log grows without end.
            counted = statement.limit(COUNT_CAP + 1).subquery()
            total = min(conn.execute(select(func.count()).select_from(counted)).scalar_one(), COUNT_CAP)
            rows = conn.execute(
                statement.order_by(order, columns["id"])  # every query selects an id, unique
                .limit(size)
                .offset((page or 0) * size)
            ).mappings()
            return total, [Row(r) for r in rows]

    def _condition(self, columns: Any, index: int, value: Any) -> ColumnElement[bool]:
        flt: ConditionFilter = self._filters[index]
        return COMPARISONS[flt.op](columns[flt.column], flt.clean(value))

    def get_one(self, id: Any) -> Row | None:
        row_id = as_id(id)
        if row_id is None:
            return None
        statement = self.query().where(self.table.c.id == row_id)
        with services().runtime.engine.connect() as conn:
            found = conn.execute(statement).mappings().first()
        return Row(found) if found else None
