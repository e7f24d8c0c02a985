"""Names that would break or confuse the database: reserved, SQL keywords, too long."""

from __future__ import annotations

from collections.abc import Iterator

from ..index import SYSTEM_COLUMNS
from ..problems import Problem
from ..source import Document

MAX_IDENTIFIER_BYTES = 63

# PostgreSQL's reserved key words (also reserved in SQL:2016); SQLite accepts all of them quoted,
# but a name that needs quoting everywhere is a trap for anyone writing a report query.
SQL_KEYWORDS = frozenset(
    """
    all analyse analyze and any array as asc asymmetric authorization binary both case cast
    check collate collation column concurrently constraint create cross current_catalog
    current_date current_role current_schema current_time current_timestamp current_user default
    deferrable desc distinct do else end except false fetch for foreign freeze from full grant
    group having ilike in initially inner intersect into is isnull join lateral leading left
    like limit localtime localtimestamp natural not notnull null offset on only or order outer
    overlaps placing primary references returning right select session_user similar some
    symmetric system_user table tablesample then to trailing true union unique user using
    variadic verbose when where window with
    """.split()
)


def table_name(app: str, entity: str) -> str:
    return f"{app}_{entity}"


def child_table_name(app: str, entity: str, field: str) -> str:
    return f"{app}_{entity}__{field}"


def check_identifier(doc: Document, pointer: str, name: str) -> Iterator[Problem]:
    if name in SQL_KEYWORDS:
        yield doc.problem("name.sql_keyword", pointer, name=name)


def check_field_name(doc: Document, pointer: str, name: str) -> Iterator[Problem]:
    if name in SYSTEM_COLUMNS:
        yield doc.problem("name.reserved", pointer, name=name, reserved=", ".join(SYSTEM_COLUMNS))
    else:
        yield from check_identifier(doc, pointer, name)


def check_length(doc: Document, pointer: str, ident: str) -> Iterator[Problem]:
    size = len(ident.encode("utf-8"))
    if size > MAX_IDENTIFIER_BYTES:
        yield doc.problem("name.too_long", pointer, ident=ident, size=size, limit=MAX_IDENTIFIER_BYTES)
