"""Security headers on every answer, and the Content-Security-Policy of HTML pages.

Pages run no inline script: the portal's scripts are static files, and Flask-Admin's few
inline ones carry a per-request nonce (``csp_nonce``), so an injected ``<script>`` does
not run even if escaping ever failed. Flask-Admin's templates still put a few fixed
``onclick`` handlers on links (``return false;``, ``return modelActions.execute('…');``):
exactly those texts are allowed by hash (``'unsafe-hashes'``), nothing else. Inline *styles* stay allowed:
htmx and Bootstrap set them, and a style cannot run code. No page may be framed
(clickjacking), and links to other sites carry no path or query (Referrer-Policy).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable

from flask import Flask
from flask import Response
from flask import g

CSP = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'{handlers}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def csp_nonce() -> str:
    """This request's script nonce (templates put it on the inline scripts they must have)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def handler_hashes(handlers: Iterable[str]) -> str:
    """The CSP sources that allow exactly these inline event handler texts (or nothing)."""
    digests = sorted({base64.b64encode(hashlib.sha256(h.encode()).digest()).decode() for h in handlers})
    return "".join([" 'unsafe-hashes'" if digests else "", *(f" 'sha256-{d}'" for d in digests)])


def init_app(app: Flask, handlers: Iterable[str] = ()) -> None:
    """Send the headers on every answer; ``handlers`` are the inline event handlers to allow."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    allowed = handler_hashes(handlers)

    @app.after_request
    def secure(response: Response) -> Response:
        for name, value in ALWAYS.items():
            response.headers.setdefault(name, value)
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = CSP.format(nonce=csp_nonce(), handlers=allowed)
        return response
