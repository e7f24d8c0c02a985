"""The ``loom`` command line; each command lives in a module of its own."""

from __future__ import annotations

from . import apps as apps
from . import automation as automation
from . import backup as backup
from . import customizations as customizations
from . import delegation as delegation
from . import demo as demo
from . import flow as flow
from . import identity as identity
from . import metadata as metadata
from . import migrate as migrate
from . import serve as serve
from . import validate as validate
from . import worker as worker
from .base import cli as cli


def main() -> None:
    """Entry point of the ``loom`` console script."""
    cli(prog_name="loom")
