"""Every process of a site follows a publish with no restart: after a publish through the API of
one gunicorn worker, both workers serve the new field from their next request, and a running job
runner runs the schedule published with it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import select

from loom.platform.jobs.runner import Scheduler
from loom.platform.revisions import publish
from loom.platform.runtime import Runtime
from loom.platform.services import Services

from .conftest import WECHAT
from .conftest import LiveSite

FILL_CITY = """\
kind: automation
name: fill_city
label: {zh: 补全城市, en: Fill in the city}
on: {schedule: {cron: "* * * * *", entity: shop.customer, where: "city == null"}}
run_as: system
do:
  - set: {city: '"未知"'}
"""
JOBS = {
    "apps/shop_jobs/app.yaml": "kind: app\nname: shop_jobs\nlabel: {zh: 任务, en: Jobs}\n"
    "version: 1.0.0\ndepends: [shop]\n",
    "apps/shop_jobs/fill.yaml": FILL_CITY,
}
MORNING = dt.datetime(2026, 12, 3, 1, 30, tzinfo=dt.UTC)


def test_a_running_job_runner_takes_up_a_published_schedule(live: LiveSite) -> None:
    services = live.app.extensions["loom"]
    scheduler = Scheduler(Services.build(services.runtime))
    assert "shop.fill_city" not in scheduler.jobs
    publish.publish(live.site, services.runtime.engine, JOBS, parent=0, author_id=None, message="jobs")
    assert scheduler.tick(MORNING, {"shop_jobs.fill_city"}) == ["shop_jobs.fill_city"]
    assert scheduler.services.runtime.revision == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting")
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except OSError:
        return False


class Client:
    """A signed-in browser-like client: its cookie, its CSRF token, a new connection per request."""

    def __init__(self, base: str, login: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = ""
        self.token = self.post("/auth/login", {"login": login, "password": f"{login}-pw-2026"})[1][
            "csrf_token"
        ]

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path, json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.token, "Connection": "close"},
        )  # fmt: skip
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def hold(self, path: str) -> socket.socket:
        """Send only the request line of a POST: a sync worker accepts it and then waits, busy,
        for the rest, so that every other request must go to the other worker."""
        host, port = self.base.split("//")[1].split("/")[0].split(":")
        held = socket.create_connection((host, int(port)), timeout=30)
        held.sendall(f"POST {self.base.split(host + ':' + port)[1]}{path} HTTP/1.1\r\n".encode())
        return held

    def finish(self, held: socket.socket, body: dict) -> int:
        """Send the rest of a held request and read its status."""
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        data = json.dumps(body).encode()
        head = (
            f"Host: 127.0.0.1\r\nCookie: {cookies}\r\nX-CSRF-Token: {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        )
        held.sendall(head.encode() + data)
        with held, held.makefile("rb") as answer:
            return int(answer.readline().split()[1])


@pytest.mark.skipif(not Path(sys.prefix, "bin", "gunicorn").exists(), reason="gunicorn is not installed")
def test_two_gunicorn_workers_and_a_job_runner_follow_a_publish(live: LiveSite, tmp_path: Path) -> None:
    folder, port = live.site.folder, free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "LOOM_REDIS_URL"}, "LOOM_SITE": str(folder)}
    log = tmp_path / "access.log"
    web = subprocess.Popen(
        [
            str(Path(sys.prefix, "bin", "gunicorn")), "-w", "2", "-b", f"127.0.0.1:{port}",
            "--access-logfile", str(log), "--access-logformat", "%(p)s %({x-loom-revision}o)s %(U)s",
            "loom.platform.wsgi:app",
        ],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    runner = subprocess.Popen(
        [sys.executable, "-m", "loom.platform", "worker", "--interval", "0.5", "--site", str(folder)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_until(lambda: answers(f"{base}/openapi.json"))
        clerk = Client(base, "clerk")
        assert clerk.post("/shop/customer", {"title": "甲"})[0] == 201
        engine = live.app.extensions["loom"].runtime.engine
        changes = {"overlays/acme.yaml": WECHAT, **JOBS}
        body = {"changes": changes, "parent": 0, "message": "微信号与补全城市"}
        status, landed = Client(base, "root").post("/metadata/publish", body)  # through one of the workers
        assert status == 201, landed
        held = clerk.hold("/shop/customer")  # keeps one worker busy
        for n in range(1, 6):  # so these go to the other one
            status, saved = clerk.post("/shop/customer", {"title": f"客户{n}", "wechat": f"wx{n}"})
            assert status == 201, saved
        assert clerk.finish(held, {"title": "客户0", "wechat": "wx0"}) == 201

        def served() -> list[list[str]]:
            return [line.split() for line in log.read_text().splitlines() if "/shop/customer" in line]

        wait_until(lambda: len(served()) == 7)  # a worker logs a request after answering it
        after = served()[1:]
        assert {revision for _, revision, _ in after} == {"1"}, (
            after
        )  # each on revision 1 from its next request
        assert len({pid for pid, _, _ in after}) == 2, after  # both workers
        table = Runtime.for_site(live.site, engine).schema.of("shop.customer").table

        def filled() -> bool:
            with engine.connect() as conn:
                return conn.execute(select(table.c.city).where(table.c.title == "甲")).scalar_one() == "未知"

        wait_until(filled)  # the runner, started on revision 0, ran the schedule of revision 1
    finally:
        for process in (web, runner):
            process.terminate()
        errors = [process.communicate(timeout=30)[1] for process in (web, runner)]
    assert not [e for e in errors if re.search(r"Traceback", e)], errors
