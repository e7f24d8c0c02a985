"""A form being designed, as the designer's pages post it, and the documents it becomes.

The whole design travels with every post (plain inputs, ``fields-3-label_zh``), so no draft
is stored on the server: adding, removing or moving a field is a post that answers the page
again with the design changed. Business admins type labels, never identifiers: the names of
the entity and its fields are derived from the English labels (``Seal type`` → ``seal_type``),
avoiding the names the metadata language reserves.

Besides fields, the list holds section rows (分组): the fields after one are laid out under it,
in a form document written with the entity, which also carries the fields' display conditions
(shown only when a 是/否 field is ticked). A detail table (明细表) becomes a child entity of its
own, with the columns the admin gave.
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

from .conditions import OPERATORS

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
    "link": (_l("Link to a form"), {}),
    "table": (_l("Detail table"), {}),
}
# Types that need more than a field of the form itself (a target, a child entity): new forms only.
NEW_FORMS_ONLY = ("link", "table")
# A section row of the list: not a field, the title of the fields after it.
SECTION = "section"
# What a detail table's column may be.
COLUMN_TYPES = ("string", "text", "integer", "money", "date", "boolean")
MAX_COLUMNS = 20
# A display condition: shown when a yes/no field is ticked, as the condition builder writes it.
TICKED = "{name} " + OPERATORS["boolean"]["yes"][0]
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
LISTABLE = ("string", "select", "date", "money", "integer", "user", "boolean", "link")


@dataclass
class ColumnDesign:
    """A column of a detail table: a simple field of the child entity."""

    type: str = "string"
    label_zh: str = ""
    label_en: str = ""


@dataclass
class FieldDesign:
    type: str  # a palette type, or SECTION for a section row
    label_zh: str = ""
    label_en: str = ""
    required: bool = False
    options: str = ""  # one option a line, as typed
    target: str = ""  # a link's form, qualified (``admin_affairs.seal``)
    columns: list[ColumnDesign] = field(default_factory=list)  # a detail table's
    shown_when: str = ""  # the name of the yes/no field that shows this one when ticked

    def option_labels(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]

    @property
    def is_section(self) -> bool:
        return self.type == SECTION


@dataclass
class FormDesign:
    app: str = ""  # an existing site-made app, or "" for a new one
    new_app_name: str = ""
    new_app_label: str = ""
    label_zh: str = ""
    label_en: str = ""
    name: str = ""
    shared: bool = False  # every user may read every record (a list others pick from: seals, cars)
    fields: list[FieldDesign] = field(default_factory=list)  # fields and section rows, in order

    @property
    def app_name(self) -> str:
        return self.app or self.new_app_name

    @property
    def entity_name(self) -> str:
        return self.name or slug(self.label_en)

    @property
    def field_rows(self) -> list[FieldDesign]:
        """The fields, without the section rows."""
        return [row for row in self.fields if not row.is_section]

    def field_names(self, taken: Iterable[str] = ()) -> list[str]:
        """Each field's name, from its English label; unique (also against the ``taken`` names
        of a form being changed) and never a reserved word."""
        return unique_names([row.label_en for row in self.field_rows], taken)

    def names_by_row(self) -> dict[int, str]:
        """The name of the field on each row of the list (section rows have none)."""
        at = [number for number, row in enumerate(self.fields) if not row.is_section]
        return dict(zip(at, self.field_names(), strict=True))

    def child_name(self, table: str) -> str:
        """The child entity holding the rows of the detail table field ``table``."""
        return f"{self.entity_name}_{table}"[:40].rstrip("_")

    def has_layout(self) -> bool:
        """Whether the form needs a layout of its own: sections or display conditions."""
        return any(row.is_section or row.shown_when for row in self.fields)


def unique_names(labels: list[str], taken: Iterable[str] = ()) -> list[str]:
    """Names made from English labels: unique, never a reserved word, ``field_3`` for a label
    that makes none."""
    names: list[str] = []
    used = set(taken)
    for number, english in enumerate(labels, 1):
        name = slug(english)[:40] or f"field_{number}"
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
        shared=form.get("shared") == "on",
        fields=rows(form, [*PALETTE, SECTION]),
    )


def rows(form: Mapping[str, str], kinds: Iterable[str]) -> list[FieldDesign]:
    """The rows of the ``kinds`` a page posted (``fields-3-label_zh``), shared by new and
    changed forms; rows of other kinds are ignored."""
    offered = set(kinds)
    found: list[FieldDesign] = []
    for number in range(MAX_FIELDS):
        key = f"fields-{number}"
        kind = form.get(f"{key}-type")
        if kind is None:
            break
        if kind not in offered:
            continue
        found.append(
            FieldDesign(
                type=kind,
                label_zh=text(form, f"{key}-label_zh"),
                label_en=text(form, f"{key}-label_en"),
                required=form.get(f"{key}-required") == "on",
                options=form.get(f"{key}-options", "")[:4000],
                target=text(form, f"{key}-target") if kind == "link" else "",
                columns=_columns(form, key) if kind == "table" else [],
                shown_when=text(form, f"{key}-shown_when") if kind != SECTION else "",
            )
        )
    return found


def _columns(form: Mapping[str, str], key: str) -> list[ColumnDesign]:
    found: list[ColumnDesign] = []
    for number in range(MAX_COLUMNS):
        kind = form.get(f"{key}-col-{number}-type")
        if kind is None:
            break
        if kind in COLUMN_TYPES:
            found.append(
                ColumnDesign(
                    type=kind,
                    label_zh=text(form, f"{key}-col-{number}-label_zh"),
                    label_en=text(form, f"{key}-col-{number}-label_en"),
                )
            )
    return found


def text(form: Mapping[str, str], key: str) -> str:
    return form.get(key, "").strip()[:MAX_LABEL]


def edit(design: FormDesign, action: str) -> FormDesign:
    """The design after a palette or row button: ``add:money``, ``add:section``, ``remove:2``,
    ``up:2``, ``down:2``, a row dragged elsewhere: ``move:2:0``, or a detail table's column
    added or removed: ``addcol:3``, ``rmcol:3:1``."""
    verb, _, arg = action.partition(":")
    rows = list(design.fields)
    if verb == "add" and (arg in PALETTE or arg == SECTION) and len(rows) < MAX_FIELDS:
        rows.append(FieldDesign(type=arg, columns=[ColumnDesign()] if arg == "table" else []))
    elif verb in ("addcol", "rmcol"):
        table, _, column = arg.partition(":")
        if table.isdigit() and int(table) < len(rows) and rows[int(table)].type == "table":
            columns = list(rows[int(table)].columns)
            if verb == "addcol" and len(columns) < MAX_COLUMNS:
                columns.append(ColumnDesign())
            elif verb == "rmcol" and column.isdigit() and int(column) < len(columns):
                del columns[int(column)]
            rows[int(table)] = replace(rows[int(table)], columns=columns)
    elif verb == "move":
        start, _, end = arg.partition(":")
        if start.isdigit() and end.isdigit() and int(start) < len(rows):
            rows.insert(min(int(end), len(rows) - 1), rows.pop(int(start)))
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
    design: FormDesign,
    site_apps: Mapping[str, Any],
    installed: Iterable[str],
    taken: set[str],
    targets: Iterable[str] = (),
) -> dict[str, Any]:
    """What must be fixed before the design is checked by the validator, keyed by input name.

    ``site_apps`` are the apps made on the site (name → label), ``installed`` the names of all
    the site's apps, ``taken`` the qualified names of its entities and ``targets`` those a link
    may point to. The messages are lazy texts, shown in the page's language.
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
    if not design.field_rows:
        found["fields"] = _l("Add at least one field.")
    found.update(row_mistakes(design.fields, targets))
    found.update(_layout_mistakes(design, taken))
    return found


def _layout_mistakes(design: FormDesign, taken: set[str]) -> dict[str, Any]:
    """Sections without fields, conditions on fields that are not yes/no fields of the form,
    detail tables whose rows would go to a form that exists."""
    found: dict[str, Any] = {}
    names = design.names_by_row()
    ticks = {names[n] for n, row in enumerate(design.fields) if row.type == "boolean"}
    for number, row in enumerate(design.fields):
        following = design.fields[number + 1] if number + 1 < len(design.fields) else None
        if row.is_section and (following is None or following.is_section):
            found[f"fields-{number}"] = _l("Put at least one field under this section.")
        if row.shown_when and (row.shown_when not in ticks or row.shown_when == names.get(number)):
            found[f"fields-{number}-shown_when"] = _l("Choose a yes / no field of this form.")
        if row.type == "table" and f"{design.app_name}.{design.child_name(names[number])}" in taken:
            found[f"fields-{number}"] = _l("The app has a form with this name: change the English name.")
    return found


def row_mistakes(fields: list[FieldDesign], targets: Iterable[str] = ()) -> dict[str, Any]:
    """What must be fixed in the new rows, keyed by input name."""
    found: dict[str, Any] = {}
    offered = set(targets)
    for number, designed in enumerate(fields):
        if not designed.label_zh:
            found[f"fields-{number}-label_zh"] = (
                _l("Give the section a title.") if designed.is_section else MISSING_NAME
            )
        if designed.type == "link" and designed.target not in offered:
            found[f"fields-{number}-target"] = _l("Choose the form it links to.")
        if designed.type == "table":
            if not designed.columns:
                found[f"fields-{number}"] = _l("Add at least one column.")
            for column, item in enumerate(designed.columns):
                if not item.label_zh:
                    found[f"fields-{number}-col-{column}-label_zh"] = MISSING_NAME
        options = designed.option_labels()
        if designed.type == "select":
            if not options:
                found[f"fields-{number}-options"] = _l("Write the options, one a line.")
            elif len(set(options)) != len(options):
                found[f"fields-{number}-options"] = _l("An option is written twice.")
            elif len(options) > MAX_OPTIONS or max(len(o) for o in options) > 60:
                found[f"fields-{number}-options"] = _l("At most 50 options of 60 characters each.")
    return found


def documents(design: FormDesign, layer: Mapping[str, str]) -> dict[str, str]:
    """The layer documents of the design: the entity, the child entities of its detail tables,
    its form when it has sections or conditions, and the app's manifest: a new app's, or the
    ``layer``'s one of the app, when a link makes it depend on another app."""
    app = design.app_name
    base = f"apps/{app}"
    found = {f"{base}/entities/{design.entity_name}.yaml": dump(entity_document(design))}
    names = design.names_by_row()
    for number, row in enumerate(design.fields):
        if row.type == "table":
            child = child_document(design.child_name(names[number]), row)
            found[f"{base}/entities/{child['name']}.yaml"] = dump(child)
    if design.has_layout():
        found[f"{base}/forms/{design.entity_name}.yaml"] = dump(form_document(design))
    others = sorted({row.target.split(".")[0] for row in design.field_rows if row.target} - {app})
    if not design.app:
        manifest: dict[str, Any] = {
            "kind": "app",
            "name": app,
            "label": {"zh": design.new_app_label, "en": design.new_app_name.replace("_", " ").capitalize()},
            "version": "1.0.0",
        }
        if others:
            manifest["depends"] = others
    else:
        manifest = yaml.safe_load(layer.get(f"{base}/app.yaml", "")) or {}
        depends = manifest.get("depends") or []
        missing = [other for other in others if other not in depends]
        if not missing:
            return found  # the manifest is left as it is written, comments included
        if isinstance(depends, dict):
            manifest["depends"] = {**depends, **{other: None for other in missing}}
        else:
            manifest["depends"] = [*depends, *missing]
    found[f"{base}/app.yaml"] = dump(manifest)
    return found


def entity_document(design: FormDesign) -> dict[str, Any]:
    """The entity: its fields as designed, a list of the fields a list shows well (newest
    first), and what every user may do: create records and see and change their own ones (or,
    when the records are shared, see all of them). Admins may do everything on every entity
    without a grant."""
    names = design.field_names()
    designed = design.field_rows
    fields = [
        field_document(name, row, design.app_name, design.child_name(name))
        for name, row in zip(names, designed, strict=True)
    ]
    document: dict[str, Any] = {
        "kind": "entity",
        "name": design.entity_name,
        "label": label(design.label_zh, design.label_en),
    }
    title = next((n for n, d in zip(names, designed, strict=True) if d.type == "string"), None)
    if title:
        document["title_field"] = title
    document["fields"] = fields
    listed = [n for n, d in zip(names, designed, strict=True) if d.type in LISTABLE and n != title]
    shown = ([title] if title else []) + listed[: 5 - bool(title)]
    document["list"] = {"columns": [*shown, "created_at"], "sort": "-created_at"}
    reads = "all" if design.shared else "own"
    document["permissions"] = [{"role": "employee", "create": True, "read": reads, "write": "own"}]
    return document


def child_document(name: str, table: FieldDesign) -> dict[str, Any]:
    """The child entity holding a detail table's rows: its columns, as fields."""
    names = unique_names([column.label_en for column in table.columns])
    return {
        "kind": "entity",
        "name": name,
        "label": label(table.label_zh, table.label_en),
        "child": True,
        "fields": [
            field_document(column_name, FieldDesign(column.type, column.label_zh, column.label_en))
            for column_name, column in zip(names, table.columns, strict=True)
        ],
    }


def form_document(design: FormDesign) -> dict[str, Any]:
    """The form laying the fields out under their sections (fields before the first section
    go under 基本信息), each field shown only when its yes/no field is ticked, if it has one."""
    names = design.names_by_row()
    sections: list[dict[str, Any]] = []
    for number, row in enumerate(design.fields):
        if row.is_section:
            title = label(row.label_zh, row.label_en)
            sections.append({"name": f"section_{len(sections) + 1}", "label": title, "fields": []})
            continue
        if not sections:
            basics = {"zh": "基本信息", "en": "Basics"}
            sections.append({"name": "section_1", "label": basics, "fields": []})
        item: str | dict[str, str] = names[number]
        if row.shown_when:
            item = {"field": names[number], "visible_when": TICKED.format(name=row.shown_when)}
        sections[-1]["fields"].append(item)
    return {
        "kind": "form",
        "name": design.entity_name,
        "label": label(design.label_zh, design.label_en),
        "entity": design.entity_name,
        "default": True,
        "sections": sections,
    }


def field_document(name: str, designed: FieldDesign, app: str = "", child: str = "") -> dict[str, Any]:
    """A designed field as the metadata language declares it, in ``app``: a link names its
    target as seen from there, a detail table its ``child`` entity."""
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
    if designed.type == "link":
        owner, _, target = designed.target.partition(".")
        found["entity"] = target if owner == app else designed.target
    if designed.type == "table":
        found["entity"] = child
    return found


def label(zh: str, en: str) -> dict[str, str] | str:
    return {"zh": zh, "en": en} if en else zh


def dump(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        dict(document), allow_unicode=True, sort_keys=False, width=120, default_flow_style=None
    )
