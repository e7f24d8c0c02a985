"""Many users at once from a spreadsheet (``loom user import FILE.csv|xlsx``).

A file is checked as a whole and created in one transaction: any row that cannot be created as
written (an unknown role, a taken login, a weak password, an unknown manager) leaves the site
as it was, and every such problem is reported with its row and column, so a consultant fixes
the file once rather than row after row. Users are created through Identity, which audits them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from .identity import Identity
from .identity import IdentityError
from .identity import WeakPassword
from .passwords import random_password

# Each column's name in English and in Chinese, as a header may spell it.
COLUMNS = {
    "login": ("login", "登录名"),
    "name": ("name", "姓名"),
    "email": ("email", "邮箱"),
    "phone": ("phone", "手机"),
    "department": ("department", "部门"),
    "manager": ("manager", "上级"),
    "roles": ("roles", "角色"),
    "password": ("password", "密码"),
}
_HEADER = {spelling.casefold(): key for key, names in COLUMNS.items() for spelling in names}
_ROLE_SEPARATORS = re.compile(r"[;；,，\s]+")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row (numbered as a spreadsheet shows it: the header is row 1) cannot be created."""

    row: int
    column: str  # as the file's header spells it; "" when the problem is the whole row
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ImportRefused(IdentityError):
    """The file has problems: nothing was created."""

    def __init__(self, problems: Sequence[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s); no user was created")
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Imported:
    row: int
    login: str
    id: int
    password: str | None  # generated for this user, to be shown once; None when the file gave one


@dataclass
class Table:
    """A file's rows as text, keyed by column, with the header's own spelling of each column."""

    headers: dict[str, str]  # column → header as written
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, values)


def read_table(path: Path) -> Table:
    """The rows of a ``.csv`` (UTF-8, with or without a BOM) or ``.xlsx`` file (its first sheet);
    empty rows are skipped. Raises ImportRefused for an unreadable file or header."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused([RowProblem(1, "", "the file is not UTF-8 text")]) from None
        cells: Iterable[Sequence[Any]] = csv.reader(io.StringIO(text, newline=""))
    elif suffix == ".xlsx":
        cells = _xlsx_rows(path)
    else:
        raise ImportRefused([RowProblem(1, "", "expected a .csv or .xlsx file")])
    lines = iter(cells)
    positions = _columns(next(lines, ()))
    table = Table({key: written for key, (written, _) in positions.items()})
    for number, line in enumerate(lines, start=2):
        values = [_text(cell) for cell in line]
        if any(values):
            row = {key: values[i] if i < len(values) else "" for key, (_, i) in positions.items()}
            table.rows.append((number, row))
    return table


def _xlsx_rows(path: Path) -> Iterable[Sequence[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportRefused([RowProblem(1, "", f"not a readable .xlsx file: {exc}")]) from None
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _columns(header: Sequence[Any]) -> dict[str, tuple[str, int]]:
    """Each known column's header as written and its position; unknown or repeated ones refused."""
    problems: list[RowProblem] = []
    found: dict[str, tuple[str, int]] = {}
    for position, cell in enumerate(header):
        written = _text(cell)
        key = _HEADER.get(written.casefold())
        if not written:
            continue
        if key is None:
            known = ", ".join(f"{en}/{zh}" for en, zh in COLUMNS.values())
            problems.append(RowProblem(1, written, f"unknown column; known: {known}"))
        elif key in found:
            problems.append(RowProblem(1, written, f"a second {key} column"))
        else:
            found[key] = (written, position)
    if "login" not in found and not problems:
        problems.append(RowProblem(1, "", "no login (登录名) column"))
    if problems:
        raise ImportRefused(problems)
    return found


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # a phone number a spreadsheet stored as a number
    return str(cell).strip()


def import_users(
    identity: Identity,
    conn: Connection,
    table: Table,
    on_row: Callable[[], None] = lambda: None,
) -> list[Imported]:
    """Create the users of ``table`` in ``conn``'s transaction; raises ImportRefused with every
    problem (the caller's transaction must then roll back: some rows may have been written)."""
    problems: list[RowProblem] = []
    column = table.headers
    in_file: dict[str, int] = {}
    for number, values in table.rows:
        login = values.get("login", "")
        if login in in_file:
            problems.append(RowProblem(number, column["login"], f"{login!r} is in row {in_file[login]} too"))
        elif login:
            in_file[login] = number
    requested = {r for _, values in table.rows for r in _roles(values.get("roles", ""))}
    unknown_roles = set(identity.unknown_roles(requested))
    departments: dict[str, int] = {}
    created: list[Imported] = []
    for number, values in table.rows:
        found = _row_problems(identity, conn, number, values, column, unknown_roles, in_file)
        if not (found or problems):  # after a problem, rows are only checked: nothing will be kept
            created.append(_create(identity, conn, number, values, departments))
        problems.extend(found)
        on_row()
    if problems:
        raise ImportRefused(sorted(problems, key=lambda p: p.row))
    return created


def _roles(text: str) -> list[str]:
    return [r for r in _ROLE_SEPARATORS.split(text) if r]


def _row_problems(
    identity: Identity,
    conn: Connection,
    number: int,
    values: dict[str, str],
    column: dict[str, str],
    unknown_roles: set[str],
    in_file: dict[str, int],
) -> list[RowProblem]:
    problems = []
    login = values.get("login", "")
    if not login or len(login) > 64:
        problems.append(RowProblem(number, column["login"], "a login is 1 to 64 characters"))
    elif in_file.get(login) == number and identity.user_by_login(conn, login) is not None:
        problems.append(RowProblem(number, column["login"], f"login {login!r} is taken"))
    unknown = [r for r in _roles(values.get("roles", "")) if r in unknown_roles]
    if unknown:
        problems.append(RowProblem(number, column["roles"], f"unknown role(s): {', '.join(unknown)}"))
    manager = values.get("manager", "")
    if manager and manager == login:
        problems.append(RowProblem(number, column["manager"], "a user cannot be their own manager"))
    elif manager and manager not in in_file and identity.user_by_login(conn, manager) is None:
        problems.append(RowProblem(number, column["manager"], f"no user {manager!r} here or in the file"))
    elif manager and in_file.get(manager, 0) > number:
        problems.append(
            RowProblem(number, column["manager"], f"{manager!r} comes later, in row {in_file[manager]}")
        )
    password = values.get("password", "")
    if password:
        try:
            identity.check_password(password, login)
        except WeakPassword as exc:
            problems.append(RowProblem(number, column["password"], exc.message["en"]))
    return problems


def _create(
    identity: Identity, conn: Connection, number: int, values: dict[str, str], departments: dict[str, int]
) -> Imported:
    login = values["login"]
    department = values.get("department", "")
    if department and department not in departments:
        departments[department] = identity.department_named(conn, department)
    manager = values.get("manager", "")
    manager_row = identity.user_by_login(conn, manager) if manager else None
    given = values.get("password", "")
    password = given or random_password()
    user_id = identity.create_user(
        conn,
        login,
        values.get("name") or login,
        password=password,
        email=values.get("email") or None,
        phone=values.get("phone") or None,
        department_id=departments.get(department),
        manager_id=manager_row["id"] if manager_row else None,
        roles=_roles(values.get("roles", "")),
    )
    return Imported(number, login, user_id, None if given else password)
