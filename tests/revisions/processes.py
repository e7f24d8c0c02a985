"""A site served the production way, for tests that watch real processes: gunicorn workers and a
``loom worker`` job runner started on a site folder, a signed-in HTTP client, and polling."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

GUNICORN = Path(sys.prefix, "bin", "gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], object], seconds: float = 60.0) -> None:
    """Poll ``check`` until it is true; the limit only keeps a broken run from hanging."""
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


def site_env(folder: Path) -> dict[str, str]:
    """The environment of the site's processes: its folder, and no Redis (jobs run in-process)."""
    return {**{k: v for k, v in os.environ.items() if k != "LOOM_REDIS_URL"}, "LOOM_SITE": str(folder)}


def start_gunicorn(folder: Path, port: int, logs: Path, workers: int = 2) -> subprocess.Popen:
    """gunicorn on the site, as docs/deploy.md §4 starts it (with Loom's settings: the master
    builds the app and forks the workers from it). Its access log (``logs/access.log``)
    has one line per answered request: worker pid, revision header, path; its error log goes to
    ``logs/gunicorn.err`` rather than a pipe nobody reads while it runs."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "gunicorn.err").open("w") as errors:  # the child keeps its own copy
        return subprocess.Popen(
            [
                str(GUNICORN), "-c", "python:loom.platform.gunicorn_conf",
                "-w", str(workers), "-b", f"127.0.0.1:{port}",
                "--access-logfile", str(logs / "access.log"),
                "--access-logformat", "%(p)s %({x-loom-revision}o)s %(U)s",
                "loom.platform.wsgi:app",
            ],
            env=site_env(folder), stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip


def start_runner(folder: Path, logs: Path, name: str = "runner") -> subprocess.Popen:
    """``loom worker`` on the site, ticking twice a second; its log goes to ``logs/<name>.err``."""
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.err").open("w") as errors:
        return subprocess.Popen(
            [sys.executable, "-m", "loom.platform", "worker", "--interval", "0.5", "--site", str(folder)],
            env=site_env(folder), stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip


def loom(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``loom`` command line on the site, as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "loom.platform", *args, "--site", str(folder)],
        env=site_env(folder), capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def stop(*processes: subprocess.Popen) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        process.wait(timeout=60)


def tracebacks(logs: Path) -> list[str]:
    """The process logs under ``logs`` that show a traceback."""
    return [p.read_text() for p in logs.glob("*.err") if re.search(r"Traceback", p.read_text())]


def workers_of(master: int) -> set[int]:
    """The pids of the live child processes of ``master`` (gunicorn's workers), from /proc."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:  # the process ended while we looked
            continue
        if fields.get("PPid", "").strip() == str(master) and not fields.get("State", "").startswith("Z"):
            found.add(int(fields["Pid"]))
    return found


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


class Client:
    """A signed-in browser-like client: its cookie, its CSRF token, a new connection per request."""

    def __init__(self, base: str, login: str, timeout: float = 30) -> None:
        self.base = base
        self.timeout = timeout
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.token = ""
        self.token = self.post("/auth/login", {"login": login, "password": f"{login}-pw-2026"})[1][
            "csrf_token"
        ]

    def get(self, path: str) -> tuple[int, Any]:
        return self.send(urllib.request.Request(self.base + path, headers={"Connection": "close"}))

    def post(self, path: str, body: dict) -> tuple[int, Any]:
        request = urllib.request.Request(
            self.base + path, json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.token, "Connection": "close"},
        )  # fmt: skip
        return self.send(request)

    def send(self, request: urllib.request.Request) -> tuple[int, Any]:
        """The status and the JSON body of the answer (its text when it is not JSON); a broken
        connection raises ``OSError``."""
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text.decode(errors="replace")

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
