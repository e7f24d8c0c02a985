"""Time presets (今天, 本月, 最近 30 天…) and date buckets, computed in the site's time zone.

Pure date arithmetic, no database: a period is a half-open range of local dates
``[start, end)``, and a bucket is identified by the local date it starts on. The report
query compares stored values with these bounds (a datetime with local midnight in the
site's zone), so 23:59 on 31 March in Shanghai counts for March whatever UTC says.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from loom.metadata.catalog import Label

from .errors import BadReportParameter

MAX_DAYS = 3660
_LAST_DAYS = re.compile(r"^last_(\d{1,4})_days$")
PRESETS = {
    "today": Label("今天", "Today"),
    "yesterday": Label("昨天", "Yesterday"),
    "this_week": Label("本周", "This week"),
    "last_week": Label("上周", "Last week"),
    "this_month": Label("本月", "This month"),
    "last_month": Label("上月", "Last month"),
    "this_quarter": Label("本季度", "This quarter"),
    "last_quarter": Label("上季度", "Last quarter"),
    "this_year": Label("本年", "This year"),
    "last_year": Label("去年", "Last year"),
}
OFFERED = (*PRESETS, "last_7_days", "last_30_days", "last_90_days", "custom")
GRANULARITIES = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates ``start`` (included) to ``end`` (excluded); ``key`` as asked, e.g. ``this_month``."""

    key: str
    start: dt.date
    end: dt.date
    label: Label

    def previous(self) -> Period:
        """The period just before, of the same calendar length (last month for this month)."""
        unit = _UNIT_OF.get(self.key.removeprefix("this_").removeprefix("last_"))
        if unit in ("month", "quarter", "year"):
            start = shift(self.start, unit, -1)
            return Period(f"before_{self.key}", start, self.start, _previous_label(self.label))
        length = self.end - self.start
        return Period(f"before_{self.key}", self.start - length, self.start, _previous_label(self.label))

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The period as aware datetimes: local midnight at both ends."""
        return local_midnight(self.start, zone), local_midnight(self.end, zone)


_UNIT_OF = {"day": "day", "today": "day", "yesterday": "day", "week": "week", "month": "month",
            "quarter": "quarter", "year": "year"}  # fmt: skip


def _previous_label(label: Label) -> Label:
    return Label(f"{label.zh}之前同期", f"Period before {label.en.lower()}")


def period(key: str, today: dt.date, start: str | None = None, end: str | None = None) -> Period:
    """The period a preset names, relative to ``today`` (the site's local date)."""
    if key == "today":
        return Period(key, today, today + dt.timedelta(days=1), PRESETS[key])
    if key == "yesterday":
        return Period(key, today - dt.timedelta(days=1), today, PRESETS[key])
    match = _LAST_DAYS.match(key)
    if match:
        days = int(match.group(1))
        if not 1 <= days <= MAX_DAYS:
            raise BadReportParameter("period", key)
        label = Label(f"最近 {days} 天", f"Last {days} days")
        return Period(key, today - dt.timedelta(days=days - 1), today + dt.timedelta(days=1), label)
    if key == "custom":
        return _custom(start, end)
    which, _, unit = key.partition("_")
    if key not in PRESETS or unit not in GRANULARITIES:
        raise BadReportParameter("period", key)
    begin = bucket_start(today, unit)
    if which == "last":
        begin = shift(begin, unit, -1)
    return Period(key, begin, shift(begin, unit, 1), PRESETS[key])


def _custom(start: str | None, end: str | None) -> Period:
    try:
        first = dt.date.fromisoformat(start or "")
    except ValueError:
        raise BadReportParameter("from", start or "") from None
    try:
        last = dt.date.fromisoformat(end or "")
    except ValueError:
        raise BadReportParameter("to", end or "") from None
    if last < first or (last - first).days > MAX_DAYS * 10:
        raise BadReportParameter("to", end or "")
    label = Label(f"{first.isoformat()} 至 {last.isoformat()}", f"{first.isoformat()} to {last.isoformat()}")
    return Period("custom", first, last + dt.timedelta(days=1), label)


def bucket_start(day: dt.date, unit: str) -> dt.date:
    """The first local date of the bucket holding ``day``; weeks start on Monday (ISO)."""
    if unit == "day":
        return day
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def shift(start: dt.date, unit: str, count: int) -> dt.date:
    """``start`` (a bucket's first day) moved by ``count`` buckets."""
    if unit == "day":
        return start + dt.timedelta(days=count)
    if unit == "week":
        return start + dt.timedelta(weeks=count)
    months = {"month": 1, "quarter": 3, "year": 12}[unit] * count
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def bucket_label(start: dt.date, unit: str, lang: str) -> str:
    """How a bucket reads in a table or on an axis: 2026-03, 2026 Q1, 2026-W10 (03-02)."""
    if unit == "day":
        return start.isoformat()
    if unit == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d} ({start:%m-%d})" if lang.startswith("en") else f"{year}年第{week}周"
    if unit == "month":
        return f"{start:%Y-%m}" if lang.startswith("en") else f"{start.year}年{start.month}月"
    if unit == "quarter":
        quarter = (start.month - 1) // 3 + 1
        return f"{start.year} Q{quarter}" if lang.startswith("en") else f"{start.year}年第{quarter}季度"
    return str(start.year) if lang.startswith("en") else f"{start.year}年"


def local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def local_bucket(value: dt.date | dt.datetime, unit: str, zone: ZoneInfo) -> dt.date:
    """The bucket of a stored value: a datetime counts on its local date in ``zone``."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        value = aware.astimezone(zone).date()
    return bucket_start(value, unit)
