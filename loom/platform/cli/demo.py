"""``loom demo``: fill a migrated site with a demo company and print its logins."""

from __future__ import annotations

import sys

import click

from loom.metadata.problems import default_lang

from .base import LANG
from .base import SITE_OPTION
from .base import aligned_table
from .base import cli
from .base import fail
from .base import open_services

DEFAULT_SEED = 2026  # `loom serve --demo` uses it too, so both give the same company
_MESSAGES = {
    "already": {
        "en": "the site already has the demo data; use a fresh site",
        "zh": "站点已有演示数据，请使用新站点",
    },
    "logins": {"en": "the site already has the demo data; its logins:", "zh": "站点已有演示数据，演示账号："},
}
_HEADERS = {
    "en": ("login", "password", "name", "department", "title", "roles"),
    "zh": ("登录名", "密码", "姓名", "部门", "职务", "角色"),
}


@cli.command()
@SITE_OPTION
@click.option(
    "--seed", default=DEFAULT_SEED, show_default=True, type=int, help="The same seed, the same data."
)
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
def demo(site_dir: str, seed: int, lang: str | None) -> None:
    """Create a demo company on the site: departments, about 25 people with roles, a few hundred
    records of every entity, and approvals in every status; then print the demo logins.

    The site must be migrated (`loom migrate --apply`). A site that already has the demo
    company is refused (exit 1), so the data is never duplicated.
    """
    lang = lang or default_lang()
    if not seed_demo(open_services(site_dir, lang), seed, lang):
        fail(_MESSAGES["already"][lang])


def ensure_demo(services, lang: str) -> None:
    """For ``loom serve --demo``: seed the demo company unless the site has it; print its logins."""
    from loom.platform.demo import demo_logins

    if not seed_demo(services, DEFAULT_SEED, lang):
        click.echo(_MESSAGES["logins"][lang])
        click.echo(_login_table(demo_logins(services), lang))


def seed_demo(services, seed: int, lang: str) -> bool:
    """Populate the site with a progress bar and print the logins; False if it already has them."""
    # Imported here so that `loom validate` starts without database drivers.
    from sqlalchemy.exc import SQLAlchemyError

    from loom.errors import LoomError
    from loom.platform.demo import demo_steps
    from loom.platform.demo import has_demo_data
    from loom.platform.demo import populate

    if has_demo_data(services):
        return False
    label = {"en": "demo data", "zh": "演示数据"}[lang]
    try:
        with click.progressbar(length=demo_steps(services), label=label, file=sys.stderr) as bar:
            result = populate(services, seed=seed, on_step=lambda: bar.update(1))
    except (LoomError, SQLAlchemyError) as exc:
        # Nothing was kept (one transaction); say why, e.g. a login of the chart already taken.
        fail(str(exc))
    people, total, entities = len(result.logins), sum(result.records.values()), len(result.records)
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(result.statuses.items()))
    summary = {
        "en": f"demo data: {people} people, {total} records of {entities} entities; approvals: {statuses}",
        "zh": f"演示数据：{people} 人，{entities} 个实体共 {total} 条记录；审批：{statuses}",
    }
    click.echo(click.style("✓ ", fg="green") + summary[lang])
    click.echo(_login_table(result.logins, lang))
    return True


def _login_table(logins, lang: str) -> str:
    rows = [
        (x.login, x.password, x.name, x.department, x.title, ", ".join(r for r in x.roles if r != "employee"))
        for x in logins
    ]
    return aligned_table(_HEADERS[lang], rows)
