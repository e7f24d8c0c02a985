"""Durations as flow documents write them (``30m``, ``24h``, ``3d``: the schema's ``duration``):
a reminder's ``remind_after``, a timeout's ``after``, how long a revocation stays possible."""

from __future__ import annotations

import datetime as dt
import re

_DURATION = re.compile(r"^(\d+)([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_SPOKEN = {"m": ("{n}分钟", "{n} minutes"), "h": ("{n}小时", "{n} hours"), "d": ("{n}天", "{n} days")}


def duration(text: str) -> dt.timedelta:
    number, unit = _DURATION.match(text).groups()  # type: ignore[union-attr]  # validated by the schema
    return dt.timedelta(**{_UNITS[unit]: int(number)})


def spoken(text: str) -> dict[str, str]:
    """``30d`` as people read it, in both languages: ``{"zh": "30天", "en": "30 days"}``."""
    number, unit = _DURATION.match(text).groups()  # type: ignore[union-attr]  # validated by the schema
    zh, en = _SPOKEN[unit]
    return {"zh": zh.format(n=number), "en": en.format(n=number)}
