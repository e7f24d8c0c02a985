"""Departments as a tree: listed depth-first and indented, edited through Identity.

Department trees are small (hundreds of rows), so the whole tree is read and ordered in
Python; a department is deleted only when no one and no department is left in it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import flash
from flask_admin.form import SecureForm
from markupsafe import Markup
from sqlalchemy import Select
from sqlalchemy import func
from sqlalchemy import select
from wtforms import Form
from wtforms import SelectField
from wtforms import StringField
from wtforms.validators import InputRequired
from wtforms.validators import Length

from loom.platform.api.auth import services
from loom.platform.identity import DepartmentCycle
from loom.platform.identity import DepartmentInUse

from . import choices
from .access import current_actor_id
from .labels import PLATFORM_LABELS
from .labels import lazy
from .labels import text
from .rows import Row
from .tables import COMPARISONS
from .tables import TableView

IN_USE = {
    "zh": "部门下还有人员或下级部门，不能删除。",
    "en": "The department still has people or sub-departments; move them first.",
}
CYCLE = {
    "zh": "上级部门不能是本部门或其下级。",
    "en": "The parent may not be the department itself or below it.",
}


class DepartmentForm(SecureForm):
    name = StringField(lazy(PLATFORM_LABELS["name"]), [InputRequired(), Length(max=120)])
    parent_id = SelectField(lazy(PLATFORM_LABELS["parent"]), coerce=choices.optional_id)
    head_id = SelectField(lazy(PLATFORM_LABELS["head"]), coerce=choices.optional_id)


def tree_order(rows: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(depth, row) depth-first, siblings by position then name; orphans count as roots."""
    ids = {row["id"] for row in rows}
    children: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        parent = row["parent_id"] if row["parent_id"] in ids else None
        children.setdefault(parent, []).append(row)
    stack = [(0, row) for row in reversed(_siblings(children.get(None, [])))]
    while stack:
        depth, row = stack.pop()
        yield depth, row
        stack.extend((depth + 1, child) for child in reversed(_siblings(children.get(row["id"], []))))


def _siblings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (r["position"], r["name"], r["id"]))


def _indented(view: Any, context: Any, model: Row, name: str) -> Markup:
    return Markup('<span style="padding-left: {}em">{}</span>').format(1.5 * (model.depth or 0), model.name)


class DepartmentView(TableView):
    """The department tree with each department's head and head count."""

    table_name = "loom_departments"
    can_create = True
    can_edit = True
    can_delete = True
    column_list = ("name", "head", "members")
    column_details_list = ("name", "parent", "head", "members")
    column_sortable_list = ()  # the tree's order is the order
    column_formatters = {"name": _indented}  # noqa: RUF012 - Flask-Admin's own attribute
    searchable = ("name",)
    form = DepartmentForm

    def query(self) -> Select:
        departments, users = self.table, self.tables["loom_users"]
        parents, heads = departments.alias("parents"), users.alias("heads")
        members = (
            select(func.count())
            .where(users.c.department_id == departments.c.id)
            .scalar_subquery()
            .label("members")
        )
        return select(
            departments.c.id, departments.c.name, departments.c.parent_id, departments.c.head_id,
            departments.c.position, parents.c.name.label("parent"), heads.c.login.label("head"), members,
        ).select_from(
            departments.outerjoin(parents, departments.c.parent_id == parents.c.id).outerjoin(
                heads, departments.c.head_id == heads.c.id
            )
        )  # fmt: skip

    def get_list(
        self,
        page: int | None,
        sort_field: str | None,
        sort_desc: bool,
        search: str | None,
        filters: Any,
        page_size: int | None = None,
    ) -> tuple[int, list[Row]]:
        """The whole tree in order; a search lists the matching departments flat."""
        statement = self.query()
        if search:
            statement = statement.where(COMPARISONS["contains"](self.table.c.name, search))
        with services().runtime.engine.connect() as conn:
            rows = [dict(r) for r in conn.execute(statement).mappings()]
        ordered = [Row({**row, "depth": depth}) for depth, row in tree_order(rows)]
        size = page_size or self.page_size
        start = (page or 0) * size
        return len(ordered), ordered[start : start + size]

    def create_form(self, obj: Any = None) -> Form:
        return _with_choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Form:
        return _with_choices(super().edit_form(obj))

    def create_model(self, form: Form) -> Row | bool:
        with services().runtime.engine.begin() as conn:
            created = services().identity.create_department(
                conn, form.name.data, form.parent_id.data, form.head_id.data, by=current_actor_id()
            )
        return self.get_one(created) or False

    def update_model(self, form: Form, model: Row) -> bool:
        changes = {"name": form.name.data, "parent_id": form.parent_id.data, "head_id": form.head_id.data}
        try:
            with services().runtime.engine.begin() as conn:
                services().identity.update_department(conn, model.id, changes, by=current_actor_id())
        except DepartmentCycle:
            form.parent_id.errors = [*form.parent_id.errors, text(CYCLE)]
            return False
        return True

    def delete_model(self, model: Row) -> bool:
        try:
            with services().runtime.engine.begin() as conn:
                services().identity.delete_department(conn, model.id, by=current_actor_id())
        except DepartmentInUse:
            flash(text(IN_USE), "error")
            return False
        return True


def _with_choices(form: Form) -> Form:
    form.parent_id.choices = choices.departments()
    form.head_id.choices = choices.users()
    return form
