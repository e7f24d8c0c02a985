"""Checks every kind shares: references to entities, fields and roles, and CEL expressions."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import Any

from ..catalog import SUMMARY_PLACEHOLDER
from ..expressions import ExpressionError
from ..expressions import compile_expression
from ..index import Index
from ..index import did_you_mean
from ..index import fields_of
from ..problems import Problem
from ..schema_check import load_schema
from ..source import Document

ENTITY_VARIABLES = ("current_user", "today", "now")
CONTEXT_NAMES = frozenset({*ENTITY_VARIABLES, "record", "old", "params", "user", "initiator"})
UNSUMMABLE = frozenset({"table", "json", "rich_text", "file", "image", "many"})


def entity_ref(
    index: Index, doc: Document, pointer: str, ref: str, *, child: bool | None = None
) -> tuple[Document | None, list[Problem]]:
    """Resolve an entity reference; ``child`` demands (True) or forbids (False) a child entity."""
    app = doc.app or ""
    found = index.resolve("entity", ref, app)
    if found.undeclared:
        owner = index.split(ref, app)[0]
        return None, [doc.problem("ref.undeclared_dependency", pointer, ref=ref, app=owner, owner=app)]
    if found.missing:
        return None, [
            doc.problem("ref.unknown_entity", pointer, ref=ref, hint=index.suggest("entity", ref, app))
        ]
    target = found.document
    if target is None:
        return None, []
    is_child = bool(target.data.get("child"))
    if child is True and not is_child:
        return target, [doc.problem("ref.not_child", pointer, ref=ref)]
    if child is False and is_child:
        return target, [doc.problem("ref.child_link", pointer, ref=ref)]
    return target, []


def flow_ref(index: Index, doc: Document, pointer: str, ref: str) -> tuple[Document | None, list[Problem]]:
    """Resolve a flow reference, which like an entity's may cross apps only through depends."""
    app = doc.app or ""
    found = index.resolve("flow", ref, app)
    if found.undeclared:
        owner = index.split(ref, app)[0]
        return None, [doc.problem("ref.undeclared_dependency", pointer, ref=ref, app=owner, owner=app)]
    if found.missing:
        return None, [doc.problem("ref.unknown_flow", pointer, ref=ref, hint=index.suggest("flow", ref, app))]
    return found.document, []


def field_refs(
    doc: Document, pointer: str, names: Iterable[Any], entity: Document | None
) -> Iterator[Problem]:
    """Each of ``names`` (a list at ``pointer``) must be a field of ``entity``."""
    if entity is None:
        return
    fields = fields_of(entity)
    for i, name in enumerate(names):
        yield from field_ref(doc, f"{pointer}/{i}", name, entity, fields)


def field_ref(
    doc: Document,
    pointer: str,
    name: Any,
    entity: Document | None,
    fields: Mapping[str, Any] | None = None,
    *,
    system: bool = False,
) -> Iterator[Problem]:
    """``name`` must be a field of ``entity`` (or, with ``system``, a system column)."""
    if entity is None or not isinstance(name, str):
        return
    fields = fields if fields is not None else fields_of(entity)
    if name in fields or (system and name in _SYSTEM_READABLE):
        return
    yield doc.problem(
        "ref.unknown_field",
        pointer,
        owner=_entity_title(entity),
        field=name,
        hint=did_you_mean(name, fields),
    )


def template(
    doc: Document, base: str, text_or_label: Any, entity: Document | None, fields: Mapping[str, Any]
) -> Iterator[Problem]:
    """Every placeholder of every language of a one-line template (an entity's or a flow's
    summary, a calendar event's title) names a field of ``entity`` whose value reads as one
    short text."""
    texts = text_or_label.items() if isinstance(text_or_label, dict) else [("", text_or_label)]
    for lang, text in texts:
        pointer = f"{base}/{lang}" if lang else base
        if not isinstance(text, str):
            continue
        if text.count("{{") != text.count("}}") or len(SUMMARY_PLACEHOLDER.findall(text)) != text.count("{{"):
            yield doc.problem("entity.summary_syntax", pointer)
        for name in SUMMARY_PLACEHOLDER.findall(text):
            if name in fields and fields[name].get("type") in UNSUMMABLE:
                yield doc.problem("entity.summary_field", pointer, field=name, type=fields[name]["type"])
            else:
                yield from field_ref(doc, pointer, name, entity, fields, system=True)


_SYSTEM_READABLE = ("id", "created_at", "created_by", "updated_at", "updated_by", "owner", "flow_status")


def _entity_title(entity: Document) -> dict[str, str]:
    name = f"{entity.app}.{entity.name}" if entity.app else entity.name
    return {"en": f"entity '{name}'", "zh": f"实体“{name}”"}


# The types ``sum`` and ``avg`` take, as the entity schema lists them (a new type says so there).
NUMERIC = tuple(load_schema("entity")["$defs"]["summed_types"]["enum"])


def aggregated_field(
    doc: Document,
    pointer: str,
    aggregate: str,
    name: str,
    entity: Document,
    fields: Mapping[str, Any],
    numeric: Iterable[str] = ("sum", "avg"),
) -> Iterator[Problem]:
    """The field a rollup or report measure aggregates: it exists, and the ``numeric``
    aggregates need a number."""
    yield from field_ref(doc, pointer, name, entity, fields)
    field = fields.get(name)
    if field is not None and aggregate in numeric and field["type"] not in NUMERIC:
        yield doc.problem(
            "ref.field_type",
            pointer,
            field=name,
            actual=field["type"],
            expected={"en": "a number", "zh": "数值类型"},
        )


def role_ref(index: Index, doc: Document, pointer: str, role: Any) -> Iterator[Problem]:
    roles = index.role_names()
    if isinstance(role, str) and role not in roles:
        yield doc.problem("ref.unknown_role", pointer, role=role, hint=did_you_mean(role, roles))


def expression(
    doc: Document,
    pointer: str,
    source: Any,
    variables: Iterable[str],
    members: Mapping[str, Document | None] | None = None,
) -> Iterator[Problem]:
    """``source`` must compile and read only ``variables``.

    ``members`` maps a variable such as ``record`` to the entity whose fields may follow
    it (``record.amount``), so those are checked too.
    """
    if not isinstance(source, str):
        return
    try:
        compiled = compile_expression(source)
    except ExpressionError as exc:
        yield doc.problem("cel.syntax", pointer, detail=exc.detail)
        return
    allowed = set(variables)
    fields = allowed - CONTEXT_NAMES  # suggest fields, not 'today' for a misspelt 'total'
    for name in compiled.unknown_variables(allowed):
        yield doc.problem("cel.unknown_name", pointer, name=name, hint=did_you_mean(name, fields))
    for name in compiled.unknown_functions():
        yield doc.problem("cel.unknown_function", pointer, name=name)
    for root, entity in (members or {}).items():
        if entity is None or root not in compiled.variables:
            continue
        for member in sorted(compiled.members_of(root)):
            yield from field_ref(doc, pointer, member, entity, system=True)


def entity_variables(entity: Document | None) -> set[str]:
    """Names an expression over records of ``entity`` may read."""
    names = set(ENTITY_VARIABLES) | set(_SYSTEM_READABLE)
    if entity is not None:
        names |= set(fields_of(entity))
    return names


def named_items(items: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) for the mapping items of a list; tolerant of anything else."""
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield i, item


def duplicates(
    doc: Document, pointer: str, items: Any, what: dict[str, str], key: str = "name"
) -> Iterator[Problem]:
    """Items of a list must have distinct ``key`` values."""
    seen: dict[str, str] = {}
    for i, item in named_items(items):
        name = item.get(key)
        if not isinstance(name, str):
            continue
        here = f"{pointer}/{i}/{key}"
        if name in seen:
            yield doc.problem("name.duplicate", here, what=what, name=name, other=str(doc.locate(seen[name])))
        else:
            seen[name] = here
