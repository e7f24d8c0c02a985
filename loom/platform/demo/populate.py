"""Fill a site with a demo company: its people, then records of every entity, then approvals.

All in one transaction, so a failure keeps nothing; deterministic for a given seed (dates
follow the day it runs); refused on a site that already has the demo company, so it can
never duplicate it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select

from loom.errors import LoomError

from ..database import reading
from ..seeds import install_seeds
from ..services import Services
from .approvals import Approvals
from .company import DEPARTMENTS
from .company import PASSWORD
from .company import PEOPLE
from .company import build_company
from .records import RecordMaker
from .records import counts
from .scheduled import inputs
from .scheduled import run_makers
from .scheduled import scheduled_makers
from .timeline import Timeline
from .values import Faker


class DemoRefused(LoomError):
    """The site already holds the demo company."""


@dataclass(frozen=True, slots=True)
class Login:
    login: str
    password: str
    name: str
    department: str
    title: str
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoResult:
    logins: tuple[Login, ...]
    records: dict[str, int]  # per entity, records created
    statuses: dict[str, int]  # flow statuses reached, over every entity with a flow


def has_demo_data(services: Services) -> bool:
    """Whether the demo company is on the site, by its general manager's login."""
    users = services.identity.users
    with reading(services.runtime.engine) as conn:
        return conn.execute(select(users.c.id).where(users.c.login == PEOPLE[0].login)).first() is not None


def demo_steps(services: Services) -> int:
    """The number of progress steps ``populate`` reports: one per person, record and approval."""
    planned = _planned(services)
    catalog = services.runtime.catalog
    return (
        len(PEOPLE) + sum(planned.values()) + sum(n for e, n in planned.items() if catalog.entity(e).has_flow)
    )


def populate(services: Services, *, seed: int, on_step: Callable[[], None] = lambda: None) -> DemoResult:
    """Create the demo company and its records; raises DemoRefused if the site has them already."""
    if has_demo_data(services):
        raise DemoRefused(f"the site already has the demo company (user {PEOPLE[0].login}); use a fresh site")
    install_seeds(services.records)  # leave types and other option lists the records link to
    rng = random.Random(seed)
    # The demo's services run on a year of history, up to the site's now.
    # Its own random source: when things happen does not change what the company does.
    timeline = Timeline(services.records.clock, random.Random(f"{seed}/timeline"))
    services = Services.build(services.runtime, services.files.folder, timeline)
    fake = Faker(rng, timeline.end.date())
    created: dict[str, int] = {}
    statuses: Counter[str] = Counter()
    # One transaction: a failure leaves the site as it was, never half a company.
    with services.runtime.engine.begin() as conn:
        company = build_company(conn, services.identity, {p.login: fake.mobile() for p in PEOPLE})
        for _ in PEOPLE:
            on_step()
        maker = RecordMaker(services, conn, company, fake, timeline)
        approvals = Approvals(services, conn, company, rng, timeline)
        makers = scheduled_makers(services.automations)
        for name, count in _planned(services).items():
            entity = services.runtime.catalog.entity(name)
            if name in makers:  # a year's balances: granted by the rule, not invented
                timeline.stop()
                run_makers(services.automations, conn, makers[name])
                maker.remember(entity, timeline())
                created[name] = conn.execute(
                    select(func.count()).select_from(services.runtime.schema.of(name).table)
                ).scalar_one()
                maker.forget(name)
                continue
            made = maker.make(entity, count, on_step)
            created[name] = len(made)
            if entity.has_flow:
                statuses += approvals.drive(made, on_step)
                maker.forget(name)
                for _ in range(count - len(made)):
                    on_step()  # approvals of records that could not be made
    return DemoResult(demo_logins(services), created, dict(statuses))


def _planned(services: Services) -> dict[str, int]:
    catalog = services.runtime.catalog
    seeded = {d.entity for d in catalog.of_kind("data") if d.entity}
    makers = scheduled_makers(services.automations)
    grown = {entity: inputs(services.automations, names) for entity, names in makers.items()}
    return counts(catalog, seeded, len(PEOPLE), grown)


def demo_logins(services: Services) -> tuple[Login, ...]:
    """The demo company's logins, as ``populate`` creates them (roles the packages declare)."""
    known = services.identity.known_roles()
    departments = {d.key: d.name for d in DEPARTMENTS}
    return tuple(
        Login(
            p.login,
            PASSWORD,
            p.name,
            departments[p.department],
            p.title,
            tuple(r for r in p.roles if r in known),
        )
        for p in PEOPLE
    )
