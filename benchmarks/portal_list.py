"""How long the portal's list pages take with 10,000 records (target: under 200 ms each).

    python benchmarks/portal_list.py [--database URL] [--records 10000] [--runs 7] [--format json]

A site with the OA and CRM apps is migrated and filled with the demo company (as `loom demo`
does), then given ``--records`` more customers, created through the records service by the
six salespeople in turn (owners, numbering, automations and audit as in real use), and on
PostgreSQL the tables are analyzed, as autovacuum does within a minute of such a load. The sales
director (who reads every customer) and a salesperson (who reads their own) then open the
customer list the way a browser does: the page as it first opens (its view tabs each count
their records), sorted by a column, a search, a saved view, a page deep in the list, and a
phone's 加载更多 by cursor. The figure is the server time of one page, in process (Flask's
test client: no network, no browser drawing), median of ``--runs`` rounds after one warm-up.
The goal is absolute (a page under 200 ms, as a person waits for it), so there is no
hand-written baseline; `benchmarks/records.py` and `benchmarks/api.py` compare the list
underneath with hand-written SQL and a hand-written endpoint.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time

import click
from scratch import against_target
from scratch import demo_app
from scratch import signed_in
from sqlalchemy import text

from loom.platform.cli.demo import DEFAULT_SEED
from loom.platform.services import Services

TARGET_MS = 200.0
SALESPEOPLE = ("chenjing", "yanglei", "zhaomin", "wuting", "xupeng", "sunli")
READERS = ("zhangwei", "chenjing")  # the sales director (every customer), a salesperson (own)
PAGES = {
    "first page": "/crm/customer",
    "sorted by a column": "/crm/customer?sort=-contract_total",
    "search": "/crm/customer?q=%E5%AE%A2%E6%88%B7017",  # 客户017: ten names of each thousand
    "saved view": "/crm/customer?view=key_accounts",
    "page 20": "/crm/customer?page=20",
}
CURSOR = re.compile(r'hx-get="([^"]*cursor=[^"]*)"')


def add_customers(services: Services, count: int) -> None:
    """``count`` customers by the salespeople in turn, in one transaction, through the records
    service: what a page lists is what real use leaves behind."""
    catalog = services.runtime.catalog
    entity = catalog.entity("crm.customer")
    choices = {
        name: [option.key for option in entity.field(name).options]
        for name in ("customer_type", "source", "industry", "level")
    }
    rng = random.Random(DEFAULT_SEED)
    with services.runtime.engine.begin() as conn:
        actors = []
        for login in SALESPEOPLE:
            user = services.identity.user_by_login(conn, login)
            assert user is not None, login
            actors.append(services.identity.actor_of(conn, user))
        with click.progressbar(range(count), label="  adding customers", file=sys.stderr) as bar:
            for i in bar:
                values = {name: rng.choice(keys) for name, keys in choices.items()}
                services.records.create(
                    "crm.customer", {"name": f"客户{i:05d}", **values}, actors[i % len(actors)], conn=conn
                )
    if services.runtime.engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of the load: without statistics PostgreSQL plans
        # a salesperson's scope over 10,000 new rows as if the table were empty (3 s a page).
        with services.runtime.engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def open_page(client, url: str) -> tuple[float, str]:
    """Milliseconds for one page, and its text."""
    started = time.perf_counter()
    answer = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered {answer.status_code}")
    return elapsed, answer.get_data(as_text=True)


def more_url(client) -> str:
    """The 加载更多 address of the first page (the next rows by cursor), as a phone asks for it."""
    _, text = open_page(client, PAGES["first page"])
    found = CURSOR.search(text)
    if found is None:
        raise SystemExit("the first page offers no 加载更多")
    return found.group(1).replace("&amp;", "&")


def time_pages(client, runs: int) -> dict[str, list[float]]:
    urls = dict(PAGES)
    more = more_url(client)
    times: dict[str, list[float]] = {name: [] for name in [*urls, "load more (phone)"]}
    for url in [*urls.values(), more]:  # warm-up: first queries, template compilation
        client.get(url, headers={"HX-Request": "true"} if url == more else {})
    for _ in range(runs):
        for name, url in urls.items():
            times[name].append(open_page(client, url)[0])
        started = time.perf_counter()
        answer = client.get(more, headers={"HX-Request": "true"})
        if answer.status_code != 200:
            raise SystemExit(f"{more} answered {answer.status_code}")
        times["load more (phone)"].append((time.perf_counter() - started) * 1000)
    return times


def measure(url: str | None, records: int, runs: int) -> list[dict]:
    with demo_app(url) as app:
        add_customers(app.extensions["loom"], records)
        found = []
        for login in READERS:
            for page, times in time_pages(signed_in(app, login), runs).items():
                found.append({"login": login, "page": page, **against_target(times, TARGET_MS)})
        return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a PostgreSQL URL (default: SQLite in a temporary folder)")
    parser.add_argument("--records", type=int, default=10_000, help="customers added to the demo's")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    found = measure(args.database, args.records, args.runs)
    engine = "postgresql" if args.database else "sqlite"
    if args.format == "json":
        print(json.dumps({"database": engine, "records": args.records, "pages": found}))
    else:
        print(
            f"customer list pages with {args.records:,} more customers on {engine},"
            f" median of {args.runs} (target < {TARGET_MS:.0f} ms):"
        )
        for row in found:
            verdict = "met" if row["met"] else "MISSED"
            low, high = row["spread_ms"]
            print(
                f"  {row['login']:<9} {row['page']:<19} {row['median_ms']:>7.1f} ms"
                f"  [{low:.1f}–{high:.1f}]  {verdict}"
            )
    return 0 if all(row["met"] for row in found) else 1


if __name__ == "__main__":
    sys.exit(main())
