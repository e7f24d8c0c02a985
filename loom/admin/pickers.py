"""Link fields in console forms as searchable pickers: Flask-Admin's select2 AJAX field, with
the records of the link's target found as the portal's link picker finds them.

A picker's "model" is the record's id, which is what the records service stores; its title is
read through the records service as the signed-in admin, and the lookup endpoint
(``…/ajax/lookup/?name=<field>&query=…``) searches the target with the admin's read
permission (:func:`~loom.platform.web.references.search_records`), so a picker never offers a
record its user could not open.
"""

from __future__ import annotations

from typing import Any

from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_admin.model.ajax import AjaxModelLoader
from flask_admin.model.fields import AjaxSelectField

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform.api.auth import services
from loom.platform.web.references import search_records

from .access import signed_in_admin
from .labels import lazy
from .references import references
from .rows import as_id

PLACEHOLDER = {"zh": "输入以搜索", "en": "Type to search"}


class RecordLoader(AjaxModelLoader):
    """Records of one link field's target entity, by id and title."""

    def __init__(self, field: Field) -> None:
        super().__init__(field.name, {"placeholder": lazy(PLACEHOLDER), "minimum_input_length": 0})
        self.target = field.entity or ""

    def format(self, model: Any) -> tuple[int, str] | None:
        if model is None:
            return None
        return model, references().want(self.target, [model]).name(self.target, model)

    def get_one(self, pk: Any) -> int | None:
        return as_id(pk)

    def get_list(self, query: str, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE) -> list[int]:
        found = search_records(services(), self.target, query or "", signed_in_admin())
        references().titles.setdefault(self.target, {}).update(found)
        return [record_id for record_id, _title in found]


def is_picked(field: Field) -> bool:
    """Whether the console edits ``field`` with a picker: a link to one record."""
    return field.type == "link" and not field.multiple


def loaders(entity: Entity) -> dict[str, RecordLoader]:
    """The pickers' loaders of ``entity``'s form, by field name (Flask-Admin's ``form_ajax_refs``)."""
    return {f.name: RecordLoader(f) for f in entity.fields if is_picked(f)}


def picker(field: Field, options: dict[str, Any]) -> AjaxSelectField:
    """The form field of a link: blank allowed, since whether it is required is the service's call."""
    return AjaxSelectField(RecordLoader(field), allow_blank=True, **options)
