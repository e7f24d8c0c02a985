"""The jobs a site runs on a schedule, and when each is due."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

if TYPE_CHECKING:
    from ..services import Services

TIMEOUTS = "flow.timeouts"
OUTBOX = "notifications.outbox"


@dataclass(frozen=True)
class Job:
    """A named piece of scheduled work: its cron line, time zone, and what it does at a time."""

    name: str
    cron: str
    zone: str
    run: Callable[[dt.datetime], dict[str, Any]]

    def period(self, now: dt.datetime) -> dt.datetime:
        """The latest tick at or before ``now``: the period a run at ``now`` answers."""
        local = now.astimezone(ZoneInfo(self.zone))
        tick = croniter(self.cron, local + dt.timedelta(seconds=1)).get_prev(dt.datetime)
        return tick.astimezone(dt.UTC)


def jobs_of(services: Services) -> list[Job]:
    """Every scheduled automation of the Catalog; flow timeouts and the mail outbox every minute."""
    from ..flows.senders import configured_senders
    from ..flows.senders import deliver_pending
    from ..flows.timeouts import run_timeouts

    site_zone = services.records.schemas.tz  # the site's, as the records service keeps it
    zone = site_zone.key
    automations = services.automations
    senders = configured_senders(services.runtime)
    found = [
        Job(TIMEOUTS, "* * * * *", zone, lambda now: run_timeouts(services.flows, now)),
        Job(OUTBOX, "* * * * *", zone, lambda now: {"sent": deliver_pending(services.runtime, senders)}),
    ]
    for automation in automations.registry.of_kind("schedule"):
        options = automation.options

        def run(now: dt.datetime, name: str = automation.name) -> dict[str, Any]:
            result = automations.run_schedule(name, now=now.astimezone(site_zone))
            return {**result.counts(), "errors": result.errors[:20]}

        found.append(Job(automation.name, options["cron"], options.get("timezone") or zone, run))
    return found
