"""The WSGI entry point for production servers: ``gunicorn 'loom.platform.wsgi:app'``.

The site is the folder named by ``LOOM_SITE`` (default: the working folder); migrate it
with ``loom migrate --apply`` before starting the workers.
"""

from __future__ import annotations

import os

from .app import create_app
from .site import open_site

app = create_app(open_site(os.environ.get("LOOM_SITE", "."), create=False))
