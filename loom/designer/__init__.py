"""The no-code designer at ``/designer``: business admins build forms in the browser.

A design is turned into metadata documents (``apps/<app>/…yaml``) and published through the
same pipeline as the API and the command line (loom/platform/revisions/publish.py), so the
new form is live in the portal at the next request. Admins only. See docs/designer.md.
"""

from __future__ import annotations

from flask import Flask

from . import flow_views  # noqa: F401  (its routes are on the designer's blueprint)
from . import history  # noqa: F401  (its routes are on the designer's blueprint)
from .views import bp


def init_app(app: Flask) -> None:
    """Register the designer's pages (after the portal: they use its templates and helpers)."""
    app.register_blueprint(bp)
