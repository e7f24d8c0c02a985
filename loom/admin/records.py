"""One console view per entity, generated from the Catalog, reading and writing through the
records service.

Why :class:`~flask_admin.model.BaseModelView` over the records service rather than
Flask-Admin's SQLAlchemy views over ORM classes mapped onto the generated tables: the
records service is where validation, defaults, computed values, numbering, optimistic
locking, permissions and the audit log live. An ORM-backed view would write rows around
it (Flask-Admin's ``create_model`` adds and commits ORM objects), and each of those rules
would have to be repeated or bypassed. Subclassing the base view costs a few small
methods (``get_list``, ``get_one``, ``create_model``, ``update_model``, ``delete_model``,
``scaffold_form``) and keeps one path for every write, as ARCHITECTURE.md asks.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import flash
from flask import request
from flask_admin.form import SecureForm
from flask_admin.helpers import get_form_data
from flask_admin.model import BaseModelView
from flask_admin.model.filters import BaseFilter
from flask_admin.model.template import BaseListRowAction
from flask_admin.model.template import DeleteRowAction
from flask_admin.model.template import TemplateLinkRowAction
from wtforms import Form
from wtforms import HiddenField

from loom.metadata.catalog import SYSTEM_COLUMNS
from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform import fieldtypes
from loom.platform.api.auth import services
from loom.platform.records.errors import NotFound
from loom.platform.records.errors import RecordError
from loom.platform.records.errors import ValidationFailed
from loom.platform.records.logic import default_value
from loom.platform.records.query import Condition
from loom.platform.records.query import ListQuery
from loom.platform.records.query import searchable
from loom.platform.tables import has_column
from loom.platform.web.widgets import is_reference

from . import fields
from .access import AdminOnly
from .access import signed_in_admin
from .cells import DETAIL_FORMATTERS
from .cells import LIST_FORMATTERS
from .cells import child_rows
from .cells import labelled
from .cells import option_labels
from .cells import type_cell
from .filters import ConditionFilter
from .filters import field_filters
from .labels import FLOW_STATUSES
from .labels import SYSTEM_LABELS
from .labels import lang
from .labels import lazy
from .labels import text
from .pickers import loaders
from .references import USER_COLUMNS
from .references import remember_titles
from .references import titled
from .references import user_name
from .rows import Row
from .rows import as_id

DEFAULT_COLUMNS = 6


class VersionedDelete(TemplateLinkRowAction):
    """The row's delete button, sending the record's version (loom_admin/record_actions.html)."""

    def __init__(self) -> None:
        super().__init__("record_actions.delete_row", DeleteRowAction().title)


class RecordView(AdminOnly, BaseModelView):
    """List, details, create, edit and delete for the records of one entity."""

    form_base_class = SecureForm
    list_template = "loom_admin/record_list.html"  # delete buttons that send the version
    can_view_details = True
    can_set_page_size = True
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = DETAIL_FORMATTERS

    def __init__(self, entity: Entity, catalog: Catalog) -> None:
        self.entity = entity
        in_row = [f for f in entity.fields if has_column(f)]
        self.column_list = list(entity.list.columns) or _default_columns(entity, in_row)
        system = [c for c in (*SYSTEM_COLUMNS, "flow_status") if c != "flow_status" or entity.has_flow]
        self.column_details_list = [f.name for f in entity.fields] + system
        self.column_labels = {f.name: lazy(f.label) for f in entity.fields} | {
            name: lazy(label) for name, label in SYSTEM_LABELS.items()
        }
        sortable = [f.name for f in in_row if fieldtypes.of(f.type).sortable]
        self.column_sortable_list = [c for c in self.column_list if c in sortable or c in system]
        self.column_filters = field_filters(entity)
        self.column_formatters = (
            {f.name: option_labels(f) for f in entity.fields if f.options}
            | {f.name: titled(f) for f in entity.fields if is_reference(f)}
            | dict.fromkeys(USER_COLUMNS, user_name)
            | {f.name: child_rows(catalog.entity(f.entity or "")) for f in entity.fields if f.type == "table"}
        )
        if entity.has_flow:
            self.column_formatters["flow_status"] = labelled(FLOW_STATUSES)
        self.column_formatters_detail = dict(self.column_formatters)
        # Lists show what the type shows in lists (an identity number masked); details show it whole.
        self.column_formatters = self.column_formatters | {
            f.name: type_cell(f) for f in entity.fields if not fieldtypes.of(f.type).console_shows_stored
        }
        self.form_ajax_refs = loaders(entity)  # the link pickers' lookups (…/ajax/lookup/)
        self.page_size = entity.list.page_size
        self.page_size_options = tuple(sorted({self.page_size, 20, 50, 100}))
        super().__init__(
            Row,
            name=lazy(entity.label),
            category=lazy(catalog.apps[entity.app].label),
            endpoint=f"records_{entity.app}_{entity.name}",
            url=f"{entity.app}/{entity.name}",
        )

    # -- scaffolding -----------------------------------------------------------------------

    def get_pk_value(self, model: Row) -> Any:
        return model.id

    def scaffold_list_columns(self) -> list[str]:
        return list(self.column_list)

    def scaffold_sortable_columns(self) -> dict[str, str]:
        return {c: c for c in self.column_sortable_list}

    def init_search(self) -> bool:
        return bool(self._searched())

    def search_placeholder(self) -> str:
        return ", ".join(text(f.label) for f in self._searched())

    def _searched(self) -> list[Field]:
        """The fields a search looks in, as the records service picks them."""
        entity = self.entity
        fields = [f for f in entity.fields if f.search and searchable(f)]
        return fields or ([entity.field(entity.title_field)] if entity.title_field else [])

    def scaffold_filters(self, name: str | BaseFilter) -> list[BaseFilter] | None:
        return None  # every filter is built from the Catalog in field_filters()

    def scaffold_form(self) -> type[Form]:
        return fields.form_class(self.entity, self.form_base_class)

    def create_form(self, obj: Row | None = None) -> Form:
        """The create form, prefilled with the fields' defaults as the records service would set them."""
        records = services().records
        actor, now = signed_in_admin(), records.clock()
        defaults = {f.name: default_value(f, actor, now) for f in self.entity.fields if f.default is not None}
        data = fields.form_values(self.entity, defaults, records.schemas.tz)
        return self._create_form_class(get_form_data(), data=data)

    def edit_form(self, obj: Row | None = None) -> Form:
        """The edit form, prefilled with the record as its widgets show it."""
        zone = services().records.schemas.tz
        data = fields.form_values(self.entity, obj._values, zone) if obj is not None else {}
        return self._edit_form_class(get_form_data(), data=data)

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
        sort = ((f"-{sort_field}" if sort_desc else sort_field),) if sort_field else ()
        query = ListQuery(
            filters=tuple(self._conditions(filters or ())),
            q=search or None,
            sort=sort,
            page=(page or 0) + 1,
            page_size=page_size or self.page_size,
        )
        try:
            found = services().records.list(self.entity.qualified_name, query, signed_in_admin())
        except RecordError as error:
            flash(error.message(lang()), "error")
            return 0, []
        remember_titles(self.entity, found.records)
        return found.total or 0, [Row(r) for r in found.records]

    def _conditions(self, filters: Any) -> list[Condition]:
        chosen = []
        for index, _name, value in filters:
            flt: ConditionFilter = self._filters[index]
            chosen.append(Condition(flt.column, flt.op, flt.clean(value)))
        return chosen

    def get_one(self, id: Any) -> Row | None:
        record_id = as_id(id)
        if record_id is None:
            return None
        try:
            record = services().records.get(self.entity.qualified_name, record_id, signed_in_admin())
        except NotFound:
            return None
        remember_titles(self.entity, [record])
        return Row(record)

    # -- writing ---------------------------------------------------------------------------

    def create_model(self, form: Form) -> Row | bool:
        values = fields.service_values(self.entity, form, creating=True)
        write = partial(services().records.create, self.entity.qualified_name, values, signed_in_admin())
        created = self._write(form, write)
        return Row(created) if created is not None else False

    def update_model(self, form: Form, model: Row) -> bool:
        changes = fields.service_values(self.entity, form)
        version = as_id(form[fields.VERSION].data)  # the version the form was read at
        write = partial(
            services().records.update, self.entity.qualified_name, model.id, changes, signed_in_admin(),
            version=version,
        )  # fmt: skip
        return self._write(form, write) is not None

    def get_delete_form(self) -> type[Form]:
        """The row's delete form also carries the version the list showed (record_actions.html)."""

        class VersionedDeleteForm(super().get_delete_form()):  # type: ignore[misc]
            version = HiddenField()

        return VersionedDeleteForm

    def get_list_row_actions(self) -> list[BaseListRowAction]:
        return [
            VersionedDelete() if isinstance(action, DeleteRowAction) else action
            for action in super().get_list_row_actions()
        ]

    def delete_model(self, model: Row) -> bool:
        """Delete at the version the list showed: a record changed since is refused, naming who
        changed what and when, as a stale edit is (no version sent: the delete is unconditional)."""
        version = as_id(request.form.get(fields.VERSION, ""))
        try:
            services().records.delete(
                self.entity.qualified_name, model.id, signed_in_admin(), version=version
            )
        except RecordError as error:
            flash(error.message(lang()), "error")
            return False
        return True

    def _write(self, form: Form, write: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        """The written record; or None, with the service's field errors at their fields and
        any other error (a stale version, a record in approval) at the top of the page."""
        try:
            return write()
        except ValidationFailed as failed:
            for error in failed.errors:
                self._show_error(form, error.field, error.message(lang()))
        except RecordError as error:
            flash(error.message(lang()), "error")
        return None

    def _show_error(self, form: Form, path: str, message: str) -> None:
        head = path.split(".")[0]
        if head in form and head not in ("csrf_token", fields.VERSION):
            form[head].errors = [*form[head].errors, message]
        else:
            label = text(self.entity.field(head).label) if self.entity.has_field(head) else path
            flash(f"{label}: {message}", "error")


def _default_columns(entity: Entity, in_row: list[Field]) -> list[str]:
    names = [f.name for f in in_row if f.type not in ("text", "rich_text", "json")]
    if entity.title_field in names:
        names.remove(entity.title_field)
        names.insert(0, entity.title_field)
    return names[:DEFAULT_COLUMNS]
