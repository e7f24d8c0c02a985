"""Writing the rows of a list as CSV or XLSX.

Cells are what the list shows (option labels, titles of linked records), numbers stay
numbers in XLSX, and text that a spreadsheet would run as a formula is quoted, so an
exported value such as ``=HYPERLINK(...)`` typed by a user stays text.
"""

from __future__ import annotations

import csv
import decimal
import io
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def as_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, which Excel needs to read Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_text_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> bytes:
    from openpyxl import Workbook  # a tenth of a worker's imports: loaded by the first export

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    sheet.append(list(header))
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        return _text_cell(value)
    return float(value) if isinstance(value, decimal.Decimal) else value


def _sheet_title(title: str) -> str:
    """Sheet names are at most 31 characters, without ``[]:*?/\\``."""
    return "".join(c for c in title if c not in "[]:*?/\\")[:31] or "Sheet"
