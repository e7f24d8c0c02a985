"""The condition builder: rows of (field, operator, value) joined by 且 or 或, written as CEL.

A branch lane's ``when`` is CEL (docs/metadata.md §3.1). The builder writes only simple
comparisons, each of a known shape, so it can read back every condition it wrote; a
condition it cannot read (written in YAML, say) is shown as it is and kept unchanged.
Numbers compare as the field's type does: integers with integers (``copies > 20``), money
and decimals with doubles (``total > 5000.0``). Select values are option keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from loom.metadata.catalog import Entity
from loom.metadata.catalog import Field

MAX_ROWS = 10
NUMBERS = ("integer", "money", "decimal", "percent")
# Operators offered per kind of field: key → (CEL operator, caption).
OPERATORS: dict[str, dict[str, tuple[str, Any]]] = {
    "number": {
        "gt": (">", _l("greater than")),
        "ge": (">=", _l("at least")),
        "lt": ("<", _l("less than")),
        "le": ("<=", _l("at most")),
        "eq": ("==", _l("equal to")),
    },
    "select": {"eq": ("==", _l("is")), "ne": ("!=", _l("is not")), "in": ("in", _l("is one of"))},
    "boolean": {"yes": ("== true", _l("is yes")), "no": ("== false", _l("is no"))},
    "text": {"eq": ("==", _l("equals")), "contains": ("contains", _l("contains"))},
}
TEXTS = ("string", "text", "email", "phone")
JOINS = {"and": " && ", "or": " || "}
_CLAUSE = re.compile(
    r"^(?P<field>[a-z][a-z0-9_]*)(?:\s*(?P<op>>=|<=|==|!=|>|<|in)\s*(?P<value>.+)"
    r'|\.contains\((?P<text>"(?:[^"\\]|\\.)*")\))$'
)


@dataclass
class Row:
    field: str = ""
    op: str = ""
    value: str = ""


def family(f: Field) -> str | None:
    """Which operators a field takes, or None if the builder does not offer it."""
    if f.type in NUMBERS:
        return "number"
    if f.type == "select":
        return "select"
    if f.type == "boolean":
        return "boolean"
    if f.type in TEXTS:
        return "text"
    return None


def fields_of(entity: Entity) -> list[Field]:
    return [f for f in entity.fields if not f.hidden and family(f) is not None]


def rows_of(form: Mapping[str, str]) -> list[Row]:
    found = []
    for number in range(MAX_ROWS):
        if f"c-{number}-field" not in form:
            break
        found.append(
            Row(
                field=form.get(f"c-{number}-field", ""),
                op=form.get(f"c-{number}-op", ""),
                value=form.get(f"c-{number}-value", "").strip()[:200],
            )
        )
    return found


def literal(f: Field, value: str) -> str | None:
    """``value`` as a CEL literal of the field's type (numbers as the field compares), or None."""
    if f.type in NUMBERS:
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        if f.type == "integer":
            return str(int(number)) if number == number.to_integral_value() else None
        text = format(number.normalize(), "f")
        return text if "." in text else f"{text}.0"
    return json.dumps(value, ensure_ascii=False)


def clause(row: Row, entity: Entity) -> str | None:
    """One row as CEL, or None when it is incomplete or does not fit the field."""
    f = next((f for f in fields_of(entity) if f.name == row.field), None)
    kind = family(f) if f else None
    if f is None or kind is None or row.op not in OPERATORS[kind]:
        return None
    cel = OPERATORS[kind][row.op][0]
    if kind == "boolean":
        return f"{f.name} {cel}"
    if row.op == "in":
        keys = [v.strip() for v in re.split(r"[,，、]", row.value) if v.strip()]
        return f"{f.name} in [{', '.join(json.dumps(k, ensure_ascii=False) for k in keys)}]" if keys else None
    written = literal(f, row.value) if row.value else None
    if written is None:
        return None
    if row.op == "contains":
        return f"{f.name}.contains({written})"
    return f"{f.name} {cel} {written}"


def to_cel(rows: list[Row], join: str, entity: Entity) -> str:
    """The rows as one condition; incomplete rows are left out."""
    clauses = [c for c in (clause(row, entity) for row in rows) if c]
    return JOINS.get(join, JOINS["and"]).join(clauses)


def read(cel: str, entity: Entity) -> tuple[list[Row], str] | None:
    """The rows and join a condition was written with, or None if the builder did not write it."""
    if not cel:
        return [], "and"
    join = "or" if " || " in cel else "and"
    if " || " in cel and " && " in cel:
        return None
    rows = []
    for part in cel.split(JOINS[join]):
        row = _row(part.strip(), entity)
        if row is None or clause(row, entity) != part.strip():
            return None
        rows.append(row)
    return rows, join


def _row(text: str, entity: Entity) -> Row | None:
    matched = _CLAUSE.match(text)
    f = next((f for f in fields_of(entity) if matched and f.name == matched["field"]), None)
    if matched is None or f is None:
        return None
    kind = family(f)
    assert kind is not None
    if matched["text"] is not None:
        return Row(f.name, "contains", json.loads(matched["text"]))
    op, value = matched["op"], matched["value"].strip()
    if kind == "boolean":
        key = {"true": "yes", "false": "no"}.get(value) if op == "==" else None
        return Row(f.name, key, "") if key else None
    if op == "in":
        try:
            keys = json.loads(value)
        except ValueError:
            return None
        return Row(f.name, "in", "，".join(keys)) if isinstance(keys, list) else None
    key = next((k for k, (cel, _) in OPERATORS[kind].items() if cel == op), None)
    if key is None:
        return None
    if kind == "number":
        return Row(f.name, key, value.removesuffix(".0"))
    try:
        return Row(f.name, key, json.loads(value))
    except ValueError:
        return None
