"""``python -m loom.platform`` runs the ``loom`` command line."""

from .cli import main

main()
