"""The WSGI entry point for production servers: ``gunicorn 'loom.platform.wsgi:app'``.

The site is the folder named by ``LOOM_SITE`` (default: the working folder); migrate it
with ``loom migrate --apply`` before starting the workers. The web processes run no
scheduled work: ``loom worker`` does (docs/deploy.md §4). Each web process checks every few
minutes that some runner still claims runs and logs a warning when none does, and every second
whether a newer metadata revision was published (docs/lifecycle.md §4).
"""

from __future__ import annotations

import logging
import os

from .app import create_app
from .jobs.runner import watch_runners
from .revisions.follow import watch
from .site import open_site

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app(open_site(os.environ.get("LOOM_SITE", "."), create=False))
watch_runners(app.extensions["loom"])
watch(app)  # a published revision is built before the next request needs it
