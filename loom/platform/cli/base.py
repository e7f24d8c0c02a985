"""The ``loom`` command group and what its commands share.

Commands are thin: they call plain functions and print. User mistakes exit 1 (problems)
or 2 (usage) with a message on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from collections.abc import Sequence
from typing import NoReturn

import click

from loom import __version__
from loom.metadata.problems import default_lang

LANG = click.Choice(["zh", "en"])
FORMAT = click.Choice(["text", "json"])
SITE_OPTION = click.option(
    "--site",
    "site_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The site folder; a default site.yaml is created if it has none.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="loom")
def cli() -> None:
    """Loom: business records, forms and approvals declared as metadata."""


def fail(message: str) -> NoReturn:
    click.echo(click.style("✗ ", fg="red") + message, err=True)
    sys.exit(1)


def aligned_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows under a ruled header, aligned as a terminal shows them (wide characters count twice)."""
    table = [list(headers), *(list(row) for row in rows)]
    widths = [max(_width(row[i]) for row in table) for i in range(len(headers))]
    lines = [
        "  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def fail_record(exc: Exception, lang: str | None = None) -> NoReturn:
    """A refusal of the records service as one line: every field's problem, or the reason."""
    from loom.platform.records.errors import ValidationFailed

    lang = lang or default_lang()
    if isinstance(exc, ValidationFailed):
        fail("; ".join(f"{e.field}: {e.message(lang)}" for e in exc.errors))
    fail(exc.message(lang))  # type: ignore[attr-defined]


def open_services(site_dir: str, lang: str | None = None, *, create: bool = False, migrated: bool = True):
    """The site's services; a missing site, invalid metadata, an unreachable or unmigrated
    database exits 1 with the reason instead of a traceback."""
    # Imported here so that `loom validate` starts without database drivers.
    from sqlalchemy.exc import SQLAlchemyError

    from loom.errors import LoomError
    from loom.errors import MetadataError
    from loom.platform.runtime import Runtime
    from loom.platform.services import Services
    from loom.platform.site import open_site

    try:
        site = open_site(site_dir, create=create)
        click.echo(f"database: {site.settings.database_description()}", err=True)
        services = Services.build(Runtime.for_site(site))
        if migrated:
            _require_migrated(services.runtime.engine, site_dir)
        return services
    except MetadataError as exc:
        _fail_metadata(exc, lang)
    except (LoomError, SQLAlchemyError) as exc:
        fail(str(exc))


def open_identity(site_dir: str):
    """The site's Identity without its Catalog, for the user and token commands.

    They need the engine and the platform tables; the site's metadata (apps, overlays and the
    current revision, validated as every command loads it) is loaded only if a role that is
    not builtin has to be checked, and then once. Failures exit 1 as in :func:`open_services`.
    """
    from sqlalchemy import MetaData
    from sqlalchemy.exc import SQLAlchemyError

    from loom.errors import LoomError
    from loom.platform import platform_tables
    from loom.platform.database import make_engine
    from loom.platform.identity import Identity
    from loom.platform.identity import IdentitySite
    from loom.platform.site import open_site

    try:
        site = open_site(site_dir, create=False)
        click.echo(f"database: {site.settings.database_description()}", err=True)
        engine = make_engine(site.settings.database_url)
        _require_migrated(engine, site_dir)
    except (LoomError, SQLAlchemyError) as exc:
        fail(str(exc))
    metadata = MetaData()
    platform_tables.define(metadata)
    roles: list[str] = []

    def declared_roles() -> list[str]:
        if not roles:
            roles.extend(_declared_roles(site, engine))
        return roles

    # The site's local time, as Services gives identity, so audit times read the same.
    clock = _site_clock(site.settings.time_zone)
    return Identity(IdentitySite(engine, metadata.tables, declared_roles, site), clock)


def _declared_roles(site, engine) -> list[str]:
    """The roles the site's metadata declares at its current revision (what Runtime.for_site loads)."""
    from loom.errors import MetadataError
    from loom.platform.revisions import store

    revision = store.current(engine)
    result = site.load_metadata(revision.layer if revision.id else None)
    if result.catalog is None:
        _fail_metadata(MetadataError(list(result.problems)), None)
    return [d.name for d in result.catalog.of_kind("role")]


def _site_clock(zone_name: str):
    import datetime as dt
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    return lambda: dt.datetime.now(zone)


def _require_migrated(engine, site_dir: str) -> None:
    from sqlalchemy import inspect

    if not inspect(engine).has_table("loom_users"):
        fail(f"the database of the site in {site_dir} is not set up: run 'loom migrate --apply' first")


def _fail_metadata(exc, lang: str | None) -> NoReturn:
    lang = lang or default_lang()
    for problem in exc.problems:
        click.echo(f"{problem.location}: {problem.pointer or '/'}: {problem.message(lang)}", err=True)
    sys.exit(1)


def install_seed_data(records, lang: str, *, summary: bool = True):
    """Install the packages' seed records (with a progress bar on stderr) after migrating;
    a seed record the records service refuses exits 1 and keeps none of them."""
    from loom.platform.seeds import SeedError
    from loom.platform.seeds import install_seeds
    from loom.platform.seeds import seed_count

    label = {"en": "seed data", "zh": "种子数据"}[lang]
    try:
        with click.progressbar(length=seed_count(records.catalog), label=label, file=sys.stderr) as bar:
            report = install_seeds(records, on_record=lambda: bar.update(1))
    except SeedError as exc:
        fail(str(exc))
    if summary:
        click.echo(click.style("✓ ", fg="green") + report.summary(lang))
    return report
