"""Reference fields in console forms as searchable pickers: Flask-Admin's select2 AJAX fields,
one record or several, with records found as the portal's link picker finds them and people
and departments as its person picker finds them.

A picker's "model" is the id, which is what the records service stores; its title is read
through the records service as the signed-in admin (a person's or department's name from the
identity tables), and the lookup endpoint (``…/ajax/lookup/?name=<field>&query=…``) searches
the target with the admin's read permission
(:func:`~loom.platform.web.references.search_records`), so a picker never offers a record its
user could not open. Users are offered only while active, as in the portal.
"""

from __future__ import annotations

from typing import Any
from typing import cast

from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_admin.model.ajax import AjaxModelLoader
from flask_admin.model.fields import AjaxSelectField
from flask_admin.model.fields import AjaxSelectMultipleField

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform.api.auth import services
from loom.platform.web.references import search_people
from loom.platform.web.references import search_records
from loom.platform.web.references import target_of

from .access import signed_in_admin
from .labels import lazy
from .references import references
from .rows import as_id

PLACEHOLDER = {"zh": "输入以搜索", "en": "Type to search"}
PICKED_TYPES = frozenset({"link", "many", "user", "department"})
PEOPLE = frozenset({"user", "department"})


class RecordLoader(AjaxModelLoader):
    """Records of one reference field's target (an entity, users or departments), by id and title."""

    def __init__(self, field: Field) -> None:
        super().__init__(field.name, {"placeholder": lazy(PLACEHOLDER), "minimum_input_length": 0})
        self.target = target_of(field)

    def format(self, model: Any) -> tuple[int, str] | None:
        if model is None:
            return None
        return model, references().want(self.target, [model]).name(self.target, model)

    def get_one(self, pk: Any) -> int | None:
        return as_id(pk)

    def get_list(self, query: str, offset: int = 0, limit: int = DEFAULT_PAGE_SIZE) -> list[int]:
        if self.target in PEOPLE:
            found = search_people(services(), self.target, query or "")
        else:
            found = search_records(services(), self.target, query or "", signed_in_admin())
        references().titles.setdefault(self.target, {}).update(found)
        return [record_id for record_id, _title in found]


class AjaxPicks(AjaxSelectMultipleField):
    """Several references: the chosen ids in the order picked, and none when nothing is."""

    def process_data(self, value: Any) -> None:
        self._data, self._formdata = list(value or []), None  # a new record's form starts with None

    def process_formdata(self, valuelist: Any) -> None:
        picked = (n.strip() for v in valuelist for n in v.split(self.separator))
        # A list where Flask-Admin keeps a set: the order picked is the order stored.
        self._formdata = cast(Any, list(dict.fromkeys(n for n in picked if n)))
        if valuelist and not self._formdata:
            self._data = []  # all removed: no references, not the record's old ones


def is_picked(field: Field) -> bool:
    """Whether the console edits ``field`` with a picker: a link (to one record or several), a
    user or a department (one or several)."""
    return field.type in PICKED_TYPES


def is_multiple(field: Field) -> bool:
    return field.type == "many" or field.multiple


def loaders(entity: Entity) -> dict[str, RecordLoader]:
    """The pickers' loaders of ``entity``'s form, by field name (Flask-Admin's ``form_ajax_refs``)."""
    return {f.name: RecordLoader(f) for f in entity.fields if is_picked(f)}


def picker(field: Field, options: dict[str, Any]) -> AjaxSelectField:
    """The form field of a reference: blank allowed, since whether it is required is the service's call."""
    if is_multiple(field):
        return AjaxPicks(RecordLoader(field), **options)
    return AjaxSelectField(RecordLoader(field), allow_blank=True, **options)
