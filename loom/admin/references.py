"""References shown by title, not id, in lists and details: linked records by their title,
users and departments by name, as the portal shows them.

The titles of one page's references (and of its child rows') are fetched with the portal's
:class:`~loom.platform.web.references.References` when the page's rows are read: one query
per target, linked records read through the records service as the signed-in admin. They
are kept for the request in ``g``; the cell formatters only look them up.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from flask import g

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.platform.api.auth import services
from loom.platform.web.references import References
from loom.platform.web.widgets import as_text

from .access import signed_in_admin
from .rows import Row

USER_COLUMNS = ("created_by", "updated_by", "owner")


def remember_titles(entity: Entity, records: Iterable[Mapping[str, Any]]) -> None:
    """Fetch the titles of everything ``records`` refer to, for this request's cells."""
    records = list(records)
    found = References(services(), signed_in_admin()).load(entity, records)
    found.want("user", [r.get(column) for r in records for column in USER_COLUMNS])
    g.loom_admin_references = found


def references() -> References:
    """The titles fetched for this request (none outside a list or details page)."""
    found = g.get("loom_admin_references")
    if found is None:
        found = g.loom_admin_references = References(services(), signed_in_admin())
    return found


def titled(field: Field) -> Any:
    """A cell formatter showing a reference field's value by title (a record's title field, a
    person's name), as the record page of the portal shows it."""

    def format_cell(view: Any, context: Any, model: Row, name: str) -> str:
        return as_text(field, getattr(model, name), references().title, services().records.schemas.tz)

    return format_cell


def user_name(view: Any, context: Any, model: Row, name: str) -> str:
    """A cell formatter for the creator, last editor and owner of a record: their names."""
    value = getattr(model, name)
    return references().name("user", value) if value is not None else ""
