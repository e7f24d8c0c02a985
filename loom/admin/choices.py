"""Choices for the platform forms: departments, users and roles, read when a form is shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from loom.metadata.catalog import Catalog
from loom.metadata.catalog import Label
from loom.platform.api.auth import services

from .labels import BUILTIN_ROLE_LABELS
from .labels import lazy

NONE = SelectChoice("", "—")


def optional_id(value: Any) -> int | None:
    """The ``coerce`` of a select of ids with an empty choice."""
    return int(value) if value not in ("", None) else None


def departments() -> list[SelectChoice]:
    table = services().runtime.schema.metadata.tables["loom_departments"]
    with services().runtime.engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.name).order_by(table.c.name, table.c.id)).all()
    return [NONE, *(SelectChoice(str(i), f"{name} (#{i})") for i, name in rows)]


def users() -> list[SelectChoice]:
    table = services().runtime.schema.metadata.tables["loom_users"]
    with services().runtime.engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.name, table.c.login).order_by(table.c.login)).all()
    return [NONE, *(SelectChoice(str(i), f"{name} ({login})") for i, name, login in rows)]


def role_labels(catalog: Catalog) -> dict[str, Label]:
    declared = {d.name: d.label for d in catalog.of_kind("role")}
    builtin = {name: Label.of(label) for name, label in BUILTIN_ROLE_LABELS.items()}
    return builtin | declared


def roles() -> list[SelectChoice]:
    labels = role_labels(services().runtime.catalog)
    known = sorted(services().identity.known_roles())
    return [
        SelectChoice(name, lazy({"zh": f"{labels[name].zh} ({name})", "en": f"{labels[name].en} ({name})"}))
        for name in known
    ]
