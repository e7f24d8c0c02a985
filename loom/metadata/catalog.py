"""The Catalog: the validated, resolved, immutable model the runtime consumes.

Built only from documents that passed every check, so constructing it cannot fail.
Entity references are fully qualified (``app.entity``), defaults are filled in, and every
CEL expression is compiled once. The ``revision`` is a content hash: two Catalogs with the
same metadata have the same revision, whatever files or overlays produced them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from types import MappingProxyType
from typing import Any

from .expressions import Expression
from .expressions import compile_expression
from .index import Index
from .source import Document
from .versions import dependencies

SYSTEM_COLUMNS = ("id", "created_at", "created_by", "updated_at", "updated_by", "owner", "version")
EMPTY: Mapping[str, Any] = MappingProxyType({})


SUMMARY_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Label:
    """Text in Chinese and English; either falls back to the other."""

    zh: str
    en: str

    @classmethod
    def of(cls, value: Any, fallback: str = "") -> Label:
        if isinstance(value, dict):
            zh, en = value.get("zh"), value.get("en")
            return cls(zh or en or fallback, en or zh or fallback)
        text = str(value) if value is not None else fallback
        return cls(text, text)

    def get(self, lang: str = "zh") -> str:
        return self.en if lang.startswith("en") else self.zh


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label: Label
    color: str | None = None
    order: int = 0
    data: Mapping[str, Any] = dc_field(default_factory=lambda: EMPTY)


@dataclass(frozen=True, slots=True)
class Rollup:
    of: str
    via: str
    aggregate: str
    field: str | None
    where: Expression | None


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an entity; options not meaningful for its type stay None."""

    name: str
    type: str
    label: Label
    required: bool = False
    unique: bool = False
    readonly: bool = False
    hidden: bool = False
    search: bool = False
    index: bool = False
    multiple: bool = False
    default: Any = None
    help: Label | None = None
    widget: str | None = None
    renamed_from: str | None = None
    max_length: int | None = None
    min_length: int | None = None
    min: float | None = None
    max: float | None = None
    precision: int | None = None
    scale: int | None = None
    currency: str | None = None
    options: tuple[Option, ...] = ()
    entity: str | None = None
    on_delete: str | None = None
    filter: Expression | None = None
    min_rows: int | None = None
    max_rows: int | None = None
    max_size: int | None = None
    accept: tuple[str, ...] = ()
    compute: Expression | None = None
    result: str | None = None
    pattern: str | None = None
    reset: str | None = None
    rollup: Rollup | None = None
    levels: str | None = None
    grouping: bool = True  # integers: thousands separators when shown (false: a year, 2026)
    total: str | None = None  # a child's column totalled under its grid ("sum")

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True, slots=True)
class Rule:
    check: Expression
    message: Label
    name: str | None = None
    when: Expression | None = None
    field: str | None = None


@dataclass(frozen=True, slots=True)
class IndexSpec:
    fields: tuple[str, ...]
    unique: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ListView:
    name: str
    label: Label
    filter: Expression | None = None
    columns: tuple[str, ...] = ()
    sort: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListCard:
    """A record as a card where a table would not fit (``list.card``); what is left out is derived
    by the portal from the list's columns."""

    title: str | None = None
    fields: tuple[str, ...] = ()
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ListBoard:
    """The list as a kanban board (``list.board``): a column per value of ``field``; with
    ``group_by``, the columns of one group at a time (an opportunity's stages of one sales
    process). ``order_by`` orders a link field's column records; ``sum`` totals each column."""

    field: str
    group_by: str | None = None
    order_by: tuple[str, ...] = ()
    sum: str | None = None


@dataclass(frozen=True, slots=True)
class ListCalendar:
    """The list as a calendar (``list.calendar``): an event per record from ``start`` to
    ``end`` (a date or datetime field each), tinted by the options of ``color``, reading as
    ``title`` (a template like ``summary``, else the record's title)."""

    start: str
    end: str | None = None
    color: str | None = None
    title: Label | None = None
    event_color: str | None = None  # a record's own colour (#rrggbb), over its option's
    all_day: str | None = None  # a boolean: the record's datetime event covers whole days

    @property
    def title_fields(self) -> frozenset[str]:
        """The fields the title template shows, in either language."""
        return template_fields(self.title)


@dataclass(frozen=True, slots=True)
class ListSettings:
    columns: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()
    sort: tuple[str, ...] = ("-created_at",)
    page_size: int = 20
    views: tuple[ListView, ...] = ()
    card: ListCard = ListCard()
    board: ListBoard | None = None
    calendar: ListCalendar | None = None


@dataclass(frozen=True, slots=True)
class Permission:
    """A role's grant on an entity; scopes are all, department, subordinates, own or none."""

    role: str
    create: bool = False
    read: str = "none"
    write: str = "none"
    delete: str = "none"
    submit: str = "none"
    export: bool = False
    hidden: tuple[str, ...] = ()
    readonly: tuple[str, ...] = ()
    # Records matching this join the role's read scope, whoever owns them (the public pool).
    also_read: Expression | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    app: str
    name: str
    label: Label
    fields: tuple[Field, ...]
    child: bool = False
    title_field: str | None = None
    summary: Label | None = None  # a template: text with {{ field }} placeholders
    description: Label | None = None
    rules: tuple[Rule, ...] = ()
    indexes: tuple[IndexSpec, ...] = ()
    list: ListSettings = ListSettings()
    permissions: tuple[Permission, ...] = ()
    audit: bool = True
    has_flow: bool = False
    icon: str | None = None  # a Lucide icon's name, on the launcher's tile
    category: str = "everyday"  # or "setup": folded under 设置 on the launcher
    _by_name: Mapping[str, Field] = dc_field(default_factory=lambda: EMPTY, repr=False, compare=False)

    @property
    def qualified_name(self) -> str:
        return f"{self.app}.{self.name}"

    @property
    def table_name(self) -> str:
        return f"{self.app}_{self.name}"

    def field(self, name: str) -> Field:
        return self._by_name[name]

    @property
    def summary_fields(self) -> frozenset[str]:
        """The fields the summary shows, in either language."""
        return template_fields(self.summary)

    def has_field(self, name: str) -> bool:
        return name in self._by_name


@dataclass(frozen=True, slots=True)
class Definition:
    """A form, flow, automation, report, role or data set.

    The runtime parts that read these (forms renderer, flow engine, automation runner)
    walk ``spec``; its expressions are compiled once into ``expressions``, keyed by the
    JSON pointer of the expression inside the document.
    """

    kind: str
    app: str
    name: str
    label: Label
    spec: Mapping[str, Any]
    entity: str | None = None
    expressions: Mapping[str, Expression] = dc_field(default_factory=lambda: EMPTY)

    @property
    def qualified_name(self) -> str:
        return f"{self.app}.{self.name}"


@dataclass(frozen=True, slots=True)
class App:
    name: str
    label: Label
    version: str
    depends: tuple[str, ...] = ()
    description: Label | None = None
    icon: str | None = None  # a Lucide icon's name (the portal's vendored set)


@dataclass(frozen=True, slots=True)
class Catalog:
    apps: Mapping[str, App]
    entities: Mapping[str, Entity]
    definitions: Mapping[tuple[str, str], Definition]
    revision: str

    def entity(self, qualified_name: str) -> Entity:
        return self.entities[qualified_name]

    def of_kind(self, kind: str) -> tuple[Definition, ...]:
        return tuple(d for (k, _), d in self.definitions.items() if k == kind)

    def definition(self, kind: str, qualified_name: str) -> Definition:
        return self.definitions[(kind, qualified_name)]

    def flows_of(self, entity: str) -> tuple[Definition, ...]:
        return tuple(d for d in self.of_kind("flow") if d.entity == entity)

    def summary_of(self, entity: Entity, flow: str | None = None) -> Label | None:
        """The one-line summary of a record in the approval ``flow``: the flow's own ``summary``
        where it declares one (a leave's 事假 1天 · 12月4日–12月5日, a cancellation's 销假 …),
        else the entity's."""
        found = self.definitions.get(("flow", flow)) if flow else None
        if found is not None and found.entity == entity.qualified_name and "summary" in found.spec:
            return Label.of(thaw(found.spec["summary"]))
        return entity.summary


def template_fields(template: Label | None) -> frozenset[str]:
    """The fields a one-line template (a summary, a calendar title) shows, in either language."""
    if template is None:
        return frozenset()
    return frozenset(
        name for text in (template.zh, template.en) for name in SUMMARY_PLACEHOLDER.findall(text)
    )


def build_catalog(index: Index, app_order: list[str]) -> Catalog:
    """The Catalog of a fully valid index; apps in dependency order."""
    flow_entities = {_qualify(index, doc.data["entity"], doc.app or "") for doc in index.of_kind("flow")}
    apps = {name: _app(index.manifests[name]) for name in app_order}
    entities = {}
    definitions = {}
    for (kind, app, name), doc in sorted(index.documents.items()):
        if kind == "entity":
            entity = _entity(index, doc, flow_entities)
            entities[entity.qualified_name] = entity
        elif kind != "overlay":
            definitions[(kind, f"{app}.{name}")] = _definition(index, doc)
    return Catalog(
        MappingProxyType(apps),
        MappingProxyType(entities),
        MappingProxyType(definitions),
        revision(index),
    )


def revision(index: Index) -> str:
    """A stable hash of the resolved documents (not of their files or positions)."""
    digest = hashlib.sha256()
    for name in sorted(index.manifests):
        digest.update(_canonical(index.manifests[name].data))
    for key in sorted(index.documents):
        if key[0] != "overlay":
            digest.update(_canonical([list(key), index.documents[key].data]))
    return digest.hexdigest()[:16]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _qualify(index: Index, ref: str, app: str) -> str:
    owner, name = index.split(ref, app)
    return f"{owner}.{name}"


def thaw(value: Any) -> Any:
    """A frozen spec as plain dicts and lists (for JSON)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _maybe(source: str | None) -> Expression | None:
    return compile_expression(source) if source is not None else None


def _label(data: dict[str, Any], key: str = "label", fallback: str = "") -> Label:
    return Label.of(data.get(key), fallback)


def _app(doc: Document) -> App:
    data = doc.data
    description = Label.of(data["description"]) if "description" in data else None
    return App(
        doc.name,
        _label(data, fallback=doc.name),
        data["version"],
        tuple(dependencies(data)),
        description,
        data.get("icon"),
    )


def _scope(value: Any) -> str:
    if value is True:
        return "all"
    if value is False or value is None:
        return "none"
    return value


def _card(data: dict[str, Any]) -> ListCard:
    return ListCard(data.get("title"), tuple(data.get("fields", ())), data.get("status"))


def _board(data: dict[str, Any] | None) -> ListBoard | None:
    if data is None:
        return None
    return ListBoard(data["field"], data.get("group_by"), _sort(data.get("order_by", ())), data.get("sum"))


def _calendar(data: dict[str, Any] | None) -> ListCalendar | None:
    if data is None:
        return None
    title = Label.of(data["title"]) if "title" in data else None
    return ListCalendar(
        data["start"], data.get("end"), data.get("color"), title, data.get("event_color"), data.get("all_day")
    )


def _entity(index: Index, doc: Document, flow_entities: set[str]) -> Entity:
    data = doc.data
    app = doc.app or ""
    fields = tuple(_field(index, item, app) for item in data["fields"])
    settings = data.get("list", {})
    entity = Entity(
        app=app,
        name=doc.name,
        label=_label(data, fallback=doc.name),
        fields=fields,
        child=bool(data.get("child", False)),
        title_field=data.get("title_field"),
        summary=Label.of(data["summary"]) if "summary" in data else None,
        description=Label.of(data["description"]) if "description" in data else None,
        icon=data.get("icon"),
        category=data.get("category", "everyday"),
        rules=tuple(
            Rule(
                compile_expression(r["check"]),
                Label.of(r["message"]),
                r.get("name"),
                _maybe(r.get("when")),
                r.get("field"),
            )
            for r in data.get("rules", [])
        ),
        indexes=tuple(
            IndexSpec(tuple(i["fields"]), i.get("unique", False), i.get("name"))
            if isinstance(i, dict)
            else IndexSpec(tuple(i))
            for i in data.get("indexes", [])
        ),
        list=ListSettings(
            columns=tuple(settings.get("columns", ())),
            filters=tuple(settings.get("filters", ())),
            sort=_sort(settings.get("sort", "-created_at")),
            page_size=settings.get("page_size", 20),
            views=tuple(
                ListView(
                    v["name"],
                    Label.of(v["label"]),
                    _maybe(v.get("filter")),
                    tuple(v.get("columns", ())),
                    _sort(v.get("sort", ())),
                    tuple(v.get("roles", ())),
                )
                for v in settings.get("views", [])
            ),
            card=_card(settings.get("card", {})),
            board=_board(settings.get("board")),
            calendar=_calendar(settings.get("calendar")),
        ),
        permissions=tuple(
            Permission(
                p["role"],
                p.get("create", False),
                _scope(p.get("read")),
                _scope(p.get("write")),
                _scope(p.get("delete")),
                _scope(p.get("submit")),
                p.get("export", False),
                tuple(p.get("hidden", ())),
                tuple(p.get("readonly", ())),
                _maybe(p.get("also_read")),
            )
            for p in data.get("permissions", [])
        ),
        audit=data.get("audit", True),
        has_flow=f"{app}.{doc.name}" in flow_entities,
        _by_name=MappingProxyType({f.name: f for f in fields}),
    )
    return entity


def _sort(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


_FIELD_KEYS = (
    "required",
    "unique",
    "readonly",
    "hidden",
    "search",
    "index",
    "multiple",
    "default",
    "widget",
    "renamed_from",
    "max_length",
    "min_length",
    "min",
    "max",
    "precision",
    "scale",
    "currency",
    "on_delete",
    "min_rows",
    "max_rows",
    "max_size",
    "result",
    "pattern",
    "reset",
    "levels",
    "grouping",
    "total",
)
_TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "money": {"precision": 18, "scale": 2, "currency": "CNY"},
    "decimal": {"precision": 18, "scale": 4},
    "percent": {"precision": 7, "scale": 4},
    "string": {"max_length": 255},
    "email": {"max_length": 254},
    "phone": {"max_length": 32},
    "url": {"max_length": 2048},
    "link": {"on_delete": "restrict"},
    "user": {"on_delete": "restrict"},
    "department": {"on_delete": "restrict"},
    "autonumber": {"reset": "never"},
    "region": {"levels": "district"},
    "file": {"max_size": 20 * 1024 * 1024},
    "image": {"max_size": 10 * 1024 * 1024},
}


def _field(index: Index, item: dict[str, Any], app: str) -> Field:
    kind = item["type"]
    values: dict[str, Any] = {
        **_TYPE_DEFAULTS.get(kind, {}),
        **{k: item[k] for k in _FIELD_KEYS if k in item},
    }
    if "default" in values:
        values["default"] = _freeze(values["default"])
    if kind == "table":
        values.pop("multiple", None)
    rollup = item.get("rollup")
    return Field(
        name=item["name"],
        type=kind,
        label=_label(item, fallback=item["name"]),
        help=Label.of(item["help"]) if "help" in item else None,
        options=tuple(_option(o, i) for i, o in enumerate(item.get("options", ()))),
        entity=_qualify(index, item["entity"], app) if "entity" in item else None,
        filter=_maybe(item.get("filter")),
        accept=tuple(item.get("accept", ())),
        compute=_maybe(item.get("compute")),
        rollup=Rollup(
            _qualify(index, rollup["of"], app),
            rollup["via"],
            rollup["aggregate"],
            rollup.get("field"),
            _maybe(rollup.get("where")),
        )
        if rollup
        else None,
        **values,
    )


def _option(value: Any, position: int) -> Option:
    if isinstance(value, str):
        return Option(value, Label.of(value), order=position)
    return Option(
        value["key"],
        _label(value, fallback=value["key"]),
        value.get("color"),
        value.get("order", position),
        _freeze(value.get("data", {})),
    )


def _definition(index: Index, doc: Document) -> Definition:
    data = doc.data
    app = doc.app or ""
    entity = _qualify(index, data["entity"], app) if isinstance(data.get("entity"), str) else None
    return Definition(
        kind=doc.kind,
        app=app,
        name=doc.name,
        label=_label(data, fallback=doc.name),
        spec=_freeze(data),
        entity=entity,
        expressions=MappingProxyType(dict(_expressions(doc)) if doc.kind != "data" else {}),
    )


# Keys whose string values are CEL in forms, flows, automations and reports.
_CEL_KEYS = frozenset(
    {
        "when",
        "if",
        "where",
        "filter",
        "visible_when",
        "required_when",
        "readonly_when",
        "from",
        "to",
        "users",
        "for_each",
    }
)
_ASSIGNMENT_KEYS = frozenset({"set", "values"})
# Subtrees that hold no CEL of the document: a button's parameter fields are field specs.
_NOT_CEL = frozenset({"params", "label", "description", "message", "title"})


def _expressions(doc: Document) -> list[tuple[str, Expression]]:
    found: list[tuple[str, Expression]] = []

    def walk(value: Any, pointer: str, parent_key: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                here = f"{pointer}/{key}"
                is_cel = parent_key in _ASSIGNMENT_KEYS or key in _CEL_KEYS
                if is_cel and isinstance(child, str):
                    found.append((here, compile_expression(child)))
                elif key not in _NOT_CEL:
                    walk(child, here, key)
        elif isinstance(value, list):
            for i, child in enumerate(value):
                walk(child, f"{pointer}/{i}", parent_key)

    walk(doc.data, "", "")
    return found
