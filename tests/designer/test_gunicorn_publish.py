"""A publish in the designer, through the pages of one gunicorn worker, is served by both
workers from their next request: the new field is on the customer's form whichever worker
answers (SQLite file and PostgreSQL; the worker of each answer is read from gunicorn's access
log)."""

from __future__ import annotations

import socket
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ..revisions.conftest import LiveSite
from ..revisions.processes import GUNICORN
from ..revisions.processes import Client
from ..revisions.processes import answers
from ..revisions.processes import free_port
from ..revisions.processes import start_gunicorn
from ..revisions.processes import stop
from ..revisions.processes import tracebacks
from ..revisions.processes import wait_until
from ..revisions.processes import workers_of
from .pages import shown_inputs
from .test_change import WECHAT_ROW
from .test_designer import parent_of

pytestmark = pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in this Python")
FORM = "/shop/customer/new"


class Browser:
    """The admin's browser on the site's pages: the session of an API sign-in, form posts with
    the page's CSRF token, a new connection per request, pages in Chinese."""

    def __init__(self, root: str, login: str) -> None:
        self.root = root
        self.signed_in = Client(root + "/api/v1", login)

    def get(self, path: str) -> str:
        return self.send(urllib.request.Request(self.root + path, headers=self.headers()))

    def post(self, path: str, form: dict[str, str]) -> str:
        """Post ``form`` as the page would; a redirect is followed, as a browser does."""
        data = urllib.parse.urlencode(form).encode()
        return self.send(urllib.request.Request(self.root + path, data, headers=self.headers()))

    def headers(self) -> dict[str, str]:
        return {"Accept-Language": "zh-CN", "Connection": "close"}

    def send(self, request: urllib.request.Request) -> str:
        with self.signed_in.opener.open(request, timeout=60) as response:
            assert response.status == 200, response.status
            return response.read().decode()

    def hold(self, path: str) -> socket.socket:
        """Send only the request line of a GET: a sync worker takes it and waits for the rest,
        so the next request must go to the other worker."""
        host, port = self.root.split("//")[1].split(":")
        held = socket.create_connection((host, int(port)), timeout=60)
        held.sendall(f"GET {path} HTTP/1.1\r\n".encode())
        return held

    def finish(self, held: socket.socket) -> str:
        """Send the rest of a held GET; the page it answers."""
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.signed_in.jar)
        head = f"Host: 127.0.0.1\r\nCookie: {cookies}\r\nAccept-Language: zh-CN\r\nConnection: close\r\n\r\n"
        held.sendall(head.encode())
        with held, held.makefile("rb") as answer:
            status, text = answer.readline().split()[1], answer.read().decode()
        assert status == b"200", text
        return text


def served(logs: Path) -> list[tuple[str, str]]:
    """(worker pid, revision) of every answered request for the customer's form, in order."""
    lines = [line.split() for line in (logs / "access.log").read_text().splitlines()]
    return [(pid, revision) for pid, revision, path in lines if path == FORM]


def both_workers_answer(admin: Browser) -> tuple[str, str]:
    """The customer's form from each worker: one holds a request while the other answers."""
    held = admin.hold(FORM)
    other = admin.get(FORM)
    return admin.finish(held), other


def test_both_gunicorn_workers_serve_a_form_published_in_the_designer_at_their_next_request(
    live: LiveSite, tmp_path: Path
) -> None:
    folder, port, logs = live.site.folder, free_port(), tmp_path / "logs"
    web = start_gunicorn(folder, port, logs, workers=2)
    try:
        root = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(f"{root}/api/v1/openapi.json") and len(workers_of(web.pid)) == 2)
        admin = Browser(root, "root")
        assert all("微信号" not in page for page in both_workers_answer(admin))
        wait_until(lambda: len(served(logs)) == 2)  # a worker logs a request after answering it
        assert len({pid for pid, _ in served(logs)}) == 2  # both have served the form as it was

        path = "/designer/forms/shop/customer"
        shown = admin.get(path)
        inputs = {**shown_inputs(shown), **shown_inputs(shown, "csrf_token"), **WECHAT_ROW}
        checked = admin.post(path, {**inputs, "action": "check", "parent": "0"})
        assert "将新增 1 个字段：微信号" in checked
        landed = admin.post(path, {**inputs, "action": "publish", "parent": parent_of(checked)})
        assert "已发布" in landed

        before = len(served(logs))
        assert all("微信号" in page for page in both_workers_answer(admin))
        for _ in range(8):
            assert "微信号" in admin.get(FORM)
        wait_until(lambda: len(served(logs)) == before + 10)
        after = served(logs)[before:]
        assert {revision for _, revision in after} == {"1"}, after
        assert len({pid for pid, _ in after[:2]}) == 2, after  # each worker, from its next request
    finally:
        stop(web)
    assert not tracebacks(logs)
