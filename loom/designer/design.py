"""A form being designed, as the designer's pages post it, and the documents it becomes.

The whole design travels with every post (plain inputs, ``fields-3-label_zh``), so no draft
is stored on the server: adding, removing or moving a field is a post that answers the page
again with the design changed. Business admins type labels, never identifiers: the names of
the entity and its fields are derived from the English labels (``Seal type`` → ``seal_type``),
avoiding the names the metadata language reserves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

import yaml
from flask_babel import lazy_gettext as _l

from loom.metadata.checks.names import SQL_KEYWORDS
from loom.metadata.index import SYSTEM_COLUMNS

NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_FIELDS = 60
MAX_LABEL = 100
MAX_OPTIONS = 50
MISSING_NAME = _l("Give the field a Chinese name.")
# The palette: each type the slice offers, what it is called on screen, and the keys it gets.
PALETTE: dict[str, tuple[Any, dict[str, Any]]] = {
    "string": (_l("Single line text"), {"max_length": 200}),
    "text": (_l("Multi-line text"), {"max_length": 2000}),
    "integer": (_l("Number"), {}),
    "money": (_l("Amount"), {"currency": "CNY", "precision": 14, "scale": 2}),
    "date": (_l("Date"), {}),
    "select": (_l("Options"), {}),
    "boolean": (_l("Yes / no"), {}),
    "user": (_l("Person"), {}),
    "file": (_l("Attachment"), {"multiple": True, "max_size": 20 * 1024 * 1024}),
}
# What every type of field is called on screen (fields of installed forms have all of them).
TYPE_NAMES: dict[str, Any] = {
    **{kind: entry[0] for kind, entry in PALETTE.items()},
    "rich_text": _l("Rich text"),
    "decimal": _l("Decimal number"),
    "percent": _l("Percentage"),
    "datetime": _l("Date and time"),
    "time": _l("Time"),
    "multiselect": _l("Multiple options"),
    "link": _l("Link to a form"),
    "table": _l("Detail table"),
    "many": _l("Several records"),
    "department": _l("Department"),
    "image": _l("Image"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "url": _l("Web address"),
    "json": _l("Structured data"),
    "computed": _l("Formula"),
    "autonumber": _l("Serial number"),
    "rollup": _l("Summary of details"),
    "region": _l("Region"),
    "geo": _l("Location"),
    "id_card": _l("ID card number"),
    "rating": _l("Rating"),
}
# Types a list shows well in one cell.
LISTABLE = ("string", "select", "date", "money", "integer", "user", "boolean")


@dataclass
class FieldDesign:
    type: str
    label_zh: str = ""
    label_en: str = ""
    required: bool = False
    options: str = ""  # one option a line, as typed

    def option_labels(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


@dataclass
class FormDesign:
    app: str = ""  # an existing site-made app, or "" for a new one
    new_app_name: str = ""
    new_app_label: str = ""
    label_zh: str = ""
    label_en: str = ""
    name: str = ""
    fields: list[FieldDesign] = field(default_factory=list)

    @property
    def app_name(self) -> str:
        return self.app or self.new_app_name

    @property
    def entity_name(self) -> str:
        return self.name or slug(self.label_en)

    def field_names(self, taken: Iterable[str] = ()) -> list[str]:
        """Each field's name, from its English label; unique (also against the ``taken`` names
        of a form being changed) and never a reserved word."""
        names: list[str] = []
        used = set(taken)
        for number, designed in enumerate(self.fields, 1):
            name = slug(designed.label_en)[:40] or f"field_{number}"
            if name in SYSTEM_COLUMNS or name in SQL_KEYWORDS or name == "flow_status":
                name = f"{name}_info"
            while name in used:
                name = f"{name}_{number}"
            names.append(name)
            used.add(name)
        return names


def slug(text: str) -> str:
    """``Seal type`` → ``seal_type``: what a name is made of, or "" if it cannot start with a letter."""
    name = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return name if NAME.match(name[:40]) else ""


def from_form(form: Mapping[str, str]) -> FormDesign:
    """The design a page posted (unknown field types and extra rows are ignored)."""
    return FormDesign(
        app=text(form, "app"),
        new_app_name=text(form, "new_app_name"),
        new_app_label=text(form, "new_app_label"),
        label_zh=text(form, "label_zh"),
        label_en=text(form, "label_en"),
        name=text(form, "name"),
        fields=rows(form),
    )


def rows(form: Mapping[str, str]) -> list[FieldDesign]:
    """The field rows a page posted (``fields-3-label_zh``), shared by new and changed forms."""
    found: list[FieldDesign] = []
    for number in range(MAX_FIELDS):
        kind = form.get(f"fields-{number}-type")
        if kind is None:
            break
        if kind not in PALETTE:
            continue
        found.append(
            FieldDesign(
                type=kind,
                label_zh=text(form, f"fields-{number}-label_zh"),
                label_en=text(form, f"fields-{number}-label_en"),
                required=form.get(f"fields-{number}-required") == "on",
                options=form.get(f"fields-{number}-options", "")[:4000],
            )
        )
    return found


def text(form: Mapping[str, str], key: str) -> str:
    return form.get(key, "").strip()[:MAX_LABEL]


def edit(design: FormDesign, action: str) -> FormDesign:
    """The design after a palette or row button: ``add:money``, ``remove:2``, ``up:2``, ``down:2``."""
    verb, _, arg = action.partition(":")
    rows = list(design.fields)
    if verb == "add" and arg in PALETTE and len(rows) < MAX_FIELDS:
        rows.append(FieldDesign(type=arg))
    elif verb in ("remove", "up", "down") and arg.isdigit() and int(arg) < len(rows):
        at = int(arg)
        if verb == "remove":
            del rows[at]
        else:
            to = at - 1 if verb == "up" else at + 1
            if 0 <= to < len(rows):
                rows[at], rows[to] = rows[to], rows[at]
    return replace(design, fields=rows)


def mistakes(
    design: FormDesign, site_apps: Mapping[str, Any], installed: Iterable[str], taken: set[str]
) -> dict[str, Any]:
    """What must be fixed before the design is checked by the validator, keyed by input name.

    ``site_apps`` are the apps made on the site (name → label), ``installed`` the names of all
    the site's apps and ``taken`` the qualified names of its entities. The messages are lazy
    texts, shown in the page's language.
    """
    found: dict[str, Any] = {}
    if design.app and design.app not in site_apps:
        found["app"] = _l("Choose an app made on this site, or a new one.")
    if not design.app:
        if not NAME.match(design.new_app_name):
            found["new_app_name"] = _l(
                "Lowercase letters, digits and _, starting with a letter (for example admin_affairs)."
            )
        elif design.new_app_name in SQL_KEYWORDS:
            found["new_app_name"] = _l("This word is reserved; choose another.")
        elif design.new_app_name in site_apps or design.new_app_name in installed:
            found["new_app_name"] = _l("An app with this name exists already.")
        if not design.new_app_label:
            found["new_app_label"] = _l("Give the app a Chinese name.")
    if not design.label_zh:
        found["label_zh"] = _l("Give the form a Chinese name.")
    if not design.label_en:
        found["label_en"] = _l("Give the form an English name.")
    name = design.entity_name
    if design.label_en and not NAME.match(name):
        found["name"] = _l(
            "Lowercase letters, digits and _, starting with a letter (for example seal_request)."
        )
    elif name in SQL_KEYWORDS:
        found["name"] = _l("This word is reserved; choose another.")
    elif f"{design.app_name}.{name}" in taken:
        found["name"] = _l("This app has a form with this name already.")
    if not design.fields:
        found["fields"] = _l("Add at least one field.")
    found.update(row_mistakes(design.fields))
    return found


def row_mistakes(fields: list[FieldDesign]) -> dict[str, Any]:
    """What must be fixed in the new field rows, keyed by input name."""
    found: dict[str, Any] = {}
    for number, designed in enumerate(fields):
        if not designed.label_zh:
            found[f"fields-{number}-label_zh"] = MISSING_NAME
        options = designed.option_labels()
        if designed.type == "select":
            if not options:
                found[f"fields-{number}-options"] = _l("Write the options, one a line.")
            elif len(set(options)) != len(options):
                found[f"fields-{number}-options"] = _l("An option is written twice.")
            elif len(options) > MAX_OPTIONS or max(len(o) for o in options) > 60:
                found[f"fields-{number}-options"] = _l("At most 50 options of 60 characters each.")
    return found


def documents(design: FormDesign) -> dict[str, str]:
    """The layer documents of the design: the new app's manifest, and the entity."""
    app = design.app_name
    found = {f"apps/{app}/entities/{design.entity_name}.yaml": dump(entity_document(design))}
    if not design.app:
        manifest = {
            "kind": "app",
            "name": app,
            "label": {"zh": design.new_app_label, "en": design.new_app_name.replace("_", " ").capitalize()},
            "version": "1.0.0",
        }
        found[f"apps/{app}/app.yaml"] = dump(manifest)
    return found


def entity_document(design: FormDesign) -> dict[str, Any]:
    """The entity: its fields as designed, a list of the fields a list shows well (newest
    first), and what every user may do: create records and see and change their own ones.
    Admins may do everything on every entity without a grant."""
    names = design.field_names()
    fields = [field_document(name, designed) for name, designed in zip(names, design.fields, strict=True)]
    document: dict[str, Any] = {
        "kind": "entity",
        "name": design.entity_name,
        "label": label(design.label_zh, design.label_en),
    }
    title = next((n for n, d in zip(names, design.fields, strict=True) if d.type == "string"), None)
    if title:
        document["title_field"] = title
    document["fields"] = fields
    listed = [n for n, d in zip(names, design.fields, strict=True) if d.type in LISTABLE and n != title]
    shown = ([title] if title else []) + listed[: 5 - bool(title)]
    document["list"] = {"columns": [*shown, "created_at"], "sort": "-created_at"}
    document["permissions"] = [{"role": "employee", "create": True, "read": "own", "write": "own"}]
    return document


def field_document(name: str, designed: FieldDesign) -> dict[str, Any]:
    """A designed field as the metadata language declares it."""
    found: dict[str, Any] = {
        "name": name,
        "label": label(designed.label_zh, designed.label_en),
        "type": designed.type,
    }
    if designed.required:
        found["required"] = True
    found.update(PALETTE[designed.type][1])
    if designed.type == "select":
        found["options"] = [{"key": option, "label": option} for option in designed.option_labels()]
    return found


def label(zh: str, en: str) -> dict[str, str] | str:
    return {"zh": zh, "en": en} if en else zh


def dump(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        dict(document), allow_unicode=True, sort_keys=False, width=120, default_flow_style=None
    )
