"""``loom validate``: check metadata packages and overlays without touching a database."""

from __future__ import annotations

import json
import sys

import click

from loom.metadata.problems import default_lang

from .base import FORMAT
from .base import LANG
from .base import cli


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--overlays", "overlays", multiple=True, type=click.Path(path_type=str),
              help="A folder or file of site overlays; may be repeated.")  # fmt: skip
@click.option("--lang", type=LANG, default=None, help="Message language (default: LOOM_LANG, else en).")
@click.option("--format", "output", type=FORMAT, default="text", show_default=True)
def validate(paths: tuple[str, ...], overlays: tuple[str, ...], lang: str | None, output: str) -> None:
    """Check app packages (folders or zips) and overlays; without PATH, the builtin apps.

    Exits 0 when everything is valid and 1 with every problem found otherwise.
    """
    from loom.metadata import validate_paths
    from loom.metadata.loader import BUILTIN_APPS

    lang = lang or default_lang()
    result = validate_paths(paths or [BUILTIN_APPS], overlays)
    if output == "json":
        report = {
            "ok": result.ok,
            "revision": result.catalog.revision if result.catalog else None,
            "problems": [p.as_dict(lang) for p in result.problems],
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_text(result, lang)
    sys.exit(0 if result.ok else 1)


def _print_text(result, lang: str) -> None:
    for problem in result.problems:
        where = click.style(f"{problem.location}:", bold=True)
        pointer = click.style(problem.pointer or "/", fg="cyan")
        click.echo(f"{where} {pointer}: {problem.message(lang)}", err=True)
    if result.ok:
        catalog = result.catalog
        summary = {
            "en": f"valid: {len(catalog.apps)} app(s), {len(catalog.entities)} entities, "
            f"{len(catalog.definitions)} other documents (revision {catalog.revision})",
            "zh": f"校验通过：{len(catalog.apps)} 个应用，{len(catalog.entities)} 个实体，"
            f"{len(catalog.definitions)} 个其他文档（版本 {catalog.revision}）",
        }
        click.echo(click.style("✓ ", fg="green") + summary[lang])
    else:
        count = len(result.problems)
        summary = {"en": f"{count} problem(s) found", "zh": f"发现 {count} 个问题"}
        click.echo(click.style("✗ ", fg="red") + summary[lang], err=True)
