"""A record's one-line summary (``summary`` of its entity) as a person reads it.

Inbox items carry the raw values their summaries name (``summary_values``, already without
what the reader may not see); this module fetches the titles those values refer to and
fills the template in the reader's language: options by label, references by title, amounts
with their currency, days as people say them (12月4日 / Dec 4), decimals without trailing
zeros (1天, not 1.0天). A part between `` · `` whose placeholders all came out empty is left
out, so a hidden amount takes its words with it ("差旅", not "差旅 · 合计").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from loom.metadata.catalog import SUMMARY_PLACEHOLDER
from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field
from loom.metadata.catalog import Label

from ..services import Services
from .moments import short_date
from .moments import short_moment
from .references import References
from .references import target_of
from .widgets import as_cell
from .widgets import is_reference

PART = re.compile(r"\s*·\s*")
TRIMMED = frozenset({"decimal", "percent"})  # money keeps its cents: ¥8,000.00


@dataclass(frozen=True, slots=True)
class Reader:
    """Whom a line is written for: their language, the site's zone and the moment they read."""

    lang: str
    tz: ZoneInfo
    now: dt.datetime

    @classmethod
    def of(cls, services: Services, lang: str) -> Reader:
        tz = services.records.schemas.tz
        return cls(lang, tz, services.records.clock().astimezone(tz))

    @property
    def today(self) -> dt.date:
        return self.now.date()


def want_summary_titles(catalog: Catalog, items: Iterable[Mapping[str, Any]], refs: References) -> None:
    """Fetch, for a page of items, the titles of the references their summaries show."""
    wanted: dict[str, set[int]] = {}
    for item in items:
        entity = catalog.entities.get(item["entity"])
        for name, value in (item.get("summary_values") or {}).items():
            field = entity.field(name) if entity and entity.has_field(name) else None
            if field is not None and is_reference(field):
                ids = value if isinstance(value, list) else [value]
                wanted.setdefault(target_of(field), set()).update(ids)
    for target, wanted_ids in wanted.items():
        refs.want(target, wanted_ids)


def summary_text(
    entity: Entity | None,
    values: Mapping[str, Any] | None,
    refs: References,
    reader: Reader,
    flow: str | None = None,
) -> str:
    """The summary line (of the approval ``flow`` where it declares its own, else of the
    entity), or "" when there is none."""
    template = refs.services.runtime.catalog.summary_of(entity, flow) if entity is not None else None
    if entity is None or template is None or values is None:
        return ""
    return template_text(entity, template, values, refs, reader)


def template_text(
    entity: Entity, template: Label, values: Mapping[str, Any], refs: References, reader: Reader
) -> str:
    """A template with ``{{ field }}`` placeholders (a summary, a calendar event's title) filled
    with ``values``; a part between `` · `` whose placeholders all came out empty is left out."""

    def fill(name: str) -> str:
        if not entity.has_field(name) or name not in values:
            return ""
        return value_text(entity.field(name), values[name], refs, reader)

    parts = []
    for part in PART.split(template.get(reader.lang)):
        names = SUMMARY_PLACEHOLDER.findall(part)
        filled = {name: fill(name) for name in names}
        if names and not any(filled.values()):
            continue
        text = " ".join(SUMMARY_PLACEHOLDER.sub(lambda m, f=filled: f[m.group(1)], part).split())
        if text:
            parts.append(text)
    return " · ".join(parts)


def value_text(field: Field, value: Any, refs: References, reader: Reader) -> str:
    """One value of a summary: days and moments spoken, decimals trimmed, the rest as record
    pages write it."""
    if field.type == "date" and isinstance(value, dt.date):
        return short_date(value, reader.lang, reader.today)
    if field.type == "datetime" and isinstance(value, dt.datetime):
        return short_moment(value, reader.tz, reader.lang, reader.today)
    text = as_cell(field, value, refs.title, reader.tz)
    if field.type in TRIMMED and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def headline(entity: Entity, initiator: str, reader: Reader) -> str:
    """Who asked for what: ``杨磊提交的请假申请`` / ``Yang Lei's Leave request``."""
    return _("%(name)s's %(what)s", name=initiator, what=entity.label.get(reader.lang))
