"""The ``loom`` command line.

Commands are thin: they call plain functions and print. User mistakes exit 1 (problems)
or 2 (usage) with a message on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys

import click

from loom import __version__
from loom.metadata import validate_paths
from loom.metadata.loader import BUILTIN_APPS
from loom.metadata.problems import default_lang

LANG = click.Choice(["zh", "en"])
FORMAT = click.Choice(["text", "json"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="loom")
def cli() -> None:
    """Loom: business records, forms and approvals declared as metadata."""


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


def main() -> None:
    """Entry point of the ``loom`` console script."""
    cli(prog_name="loom")
