"""When the demo company did things: a year of history, on office days and hours, in order.

The demo's services read this clock instead of the site's, so the records service stamps
``created_at``/``updated_at``, the flow service its events and automations their ``now`` and
``today`` with the moment the timeline says. Each record starts at a moment of its own (a
share of them in the current month, so "this month" has figures); its submission and each
approval follow it, minutes to days apart, never past the site's "now".
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

YEAR = dt.timedelta(days=365)
THIS_MONTH = 0.2  # share of records made in the current month
GAPS = (5, 20, 45, 90, 240, 1440, 2880)  # minutes between a record's steps
TICK = dt.timedelta(milliseconds=1)  # between two readings, so events keep their order


class Timeline:
    """A clock that reads as the site's until :meth:`start` sets it to a moment of the past."""

    def __init__(self, site_clock: Callable[[], dt.datetime], rng: random.Random) -> None:
        self._site = site_clock
        self._rng = rng
        self.end = site_clock()
        self._at: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        if self._at is None:
            return self._site()
        self._at += TICK
        return self._at

    def start(self) -> dt.datetime:
        """Move to a new record's moment: an office hour of a working day within the past year."""
        rng, end = self._rng, self.end
        first = end.date().replace(day=1) if rng.random() < THIS_MONTH else (end - YEAR).date()
        days = (end.date() - first).days + 1
        day = first
        for _ in range(20):  # a working day, if the range has one
            day = first + dt.timedelta(days=rng.randrange(days))
            if day.weekday() < 5:
                break
        moment = dt.datetime.combine(
            day, dt.time(rng.randrange(9, 18), rng.randrange(60), rng.randrange(60)), end.tzinfo
        )
        while moment >= end or moment.weekday() >= 5:  # later than now: the same hour a working day before
            moment -= dt.timedelta(days=1)
        self._at = moment
        return moment

    def not_before(self, moment: dt.datetime | None) -> None:
        """Make the record a while after ``moment`` (the newest record it links to) if it is earlier."""
        assert self._at is not None, "start a record first"
        if moment is not None and self._at < moment:
            self._at = moment
            self.later()

    def resume(self, moment: dt.datetime) -> None:
        """Go back to a record made earlier, to take its next steps."""
        self._at = moment

    def later(self) -> dt.datetime:
        """Move on to the record's next step: a while later, in office hours, before now; when
        no office hour is left before now, a few minutes later (halfway to now at the most)."""
        assert self._at is not None, "start a record first"
        step = _office(self._at + dt.timedelta(minutes=self._rng.choice(GAPS) + self._rng.randrange(10)))
        if step >= self.end:
            soon = dt.timedelta(minutes=self._rng.randrange(1, 10))
            step = self._at + min(soon, max((self.end - self._at) / 2, TICK))
        self._at = step
        return self._at

    def stop(self) -> None:
        """Read the site's clock again (for what runs "tonight", such as the yearly leave grant)."""
        self._at = None


def _office(moment: dt.datetime) -> dt.datetime:
    """``moment``, or the start of the next office hours (9:00 to 18:00, Monday to Friday)."""
    if moment.hour >= 18:
        moment = (moment + dt.timedelta(days=1)).replace(hour=9)
    elif moment.hour < 9:
        moment = moment.replace(hour=9)
    while moment.weekday() >= 5:
        moment = (moment + dt.timedelta(days=1)).replace(hour=9)
    return moment
