"""Days and times inside a line of text, as people say them: 12月4日 / Dec 4, 3小时前 / 3 hours ago.

Forms and record pages show full dates (2026-12-04) so that values line up and can be typed
back; a summary line or a timeline reads like speech instead, in the site's zone, with the
year only when it is not this year's. Each function takes the reader's language (a page's or
an API request's).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.dates import format_timedelta
from flask_babel import gettext as _

from .i18n import BABEL_LOCALES
from .widgets import local_time

RECENT = dt.timedelta(hours=24)  # closer than this, a moment reads as "3小时前"
JUST_NOW = dt.timedelta(minutes=1)


def short_date(value: dt.date, lang: str, today: dt.date) -> str:
    """``12月4日`` / ``Dec 4``; ``2025年12月4日`` / ``Dec 4, 2025`` in another year."""
    skeleton = "MMMd" if value.year == today.year else "yMMMd"
    return format_skeleton(skeleton, value, locale=BABEL_LOCALES[lang])


def short_moment(value: dt.datetime, tz: ZoneInfo, lang: str, today: dt.date) -> str:
    """``12月3日 14:05`` / ``Dec 3 14:05`` in the site's zone."""
    local = local_time(value, tz)
    return f"{short_date(local.date(), lang, today)} {local:%H:%M}"


def ago(value: dt.datetime, now: dt.datetime, tz: ZoneInfo, lang: str) -> str:
    """``刚刚``, ``3小时前`` within a day of ``now``, else the day and time (``12月3日 14:05``)."""
    local, here = local_time(value, tz), local_time(now, tz)
    if abs(here - local) < JUST_NOW:
        return _("just now")
    if JUST_NOW <= here - local < RECENT:
        return format_timedelta(local - here, add_direction=True, locale=BABEL_LOCALES[lang])
    return short_moment(local, tz, lang, here.date())
