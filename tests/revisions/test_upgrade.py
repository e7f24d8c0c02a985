"""The upgrade without downtime of docs/deploy.md §8, done on a live site: a field added by hand to
the site's own metadata is migrated while the old gunicorn workers serve, the workers are
reloaded with ``kill -HUP`` and the job runner is restarted, and a clerk who reads and writes
records all along never sees a failed request. PostgreSQL only: it is what such a site runs on,
and where a schema change takes locks that running workers must wait for, not fail on."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from .conftest import LiveSite
from .processes import GUNICORN
from .processes import Client
from .processes import alive
from .processes import answers
from .processes import free_port
from .processes import loom
from .processes import start_gunicorn
from .processes import start_runner
from .processes import stop
from .processes import tracebacks
from .processes import wait_until
from .processes import workers_of

POSTGRES_URL = os.environ.get("LOOM_TEST_DATABASE_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL not tested: set LOOM_TEST_DATABASE_URL"),
    pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed"),
]
CITY = "  - {name: city, label: {zh: 城市, en: City}, type: string, max_length: 40}\n"
GRADE = "  - {name: grade, label: {zh: 等级, en: Grade}, type: string, max_length: 8}\n"
GRADE_NEW = """\
kind: automation
name: grade_new
label: {zh: 新客户定级, en: Grade new customers}
on: {schedule: {cron: "* * * * *", entity: shop.customer, where: "grade == null"}}
run_as: system
do:
  - set: {grade: '"C"'}
"""
RELOAD_SECONDS = 300  # only how long a broken reload may hang the test; a slow one passes


@pytest.fixture
def database_url(postgres_schema: Callable[[str], AbstractContextManager[str]]) -> Iterator[str]:
    """The ``live`` site's database: a fresh PostgreSQL schema."""
    with postgres_schema("up") as url:
        yield url


class Traffic(threading.Thread):
    """A clerk listing and creating customers, one request after another, until halted; every
    answer that is not 2xx and every broken connection is kept in ``failures``."""

    def __init__(self, clerk: Client) -> None:
        super().__init__(daemon=True)
        self.clerk = clerk
        self.answered = 0
        self.failures: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.halt.is_set():
            n += 1
            for path, body in (("/shop/customer", None), ("/shop/customer", {"title": f"客户{n}"})):
                try:
                    status, answer = self.clerk.get(path) if body is None else self.clerk.post(path, body)
                except OSError as exc:
                    self.failures.append(f"{'POST' if body else 'GET'} {path}: {exc!r}")
                    continue
                if 200 <= status < 300:
                    self.answered += 1
                else:
                    self.failures.append(f"{'POST' if body else 'GET'} {path}: {status} {answer}")
            self.halt.wait(0.05)  # a steady stream, leaving the machine's cores to the workers

    def answers_more(self, count: int = 10) -> Callable[[], bool]:
        """A check that ``count`` more requests have been answered since it was made."""
        start = self.answered
        return lambda: self.answered >= start + count


def customer_fields(client: Client) -> list[str]:
    status, meta = client.get("/meta")
    assert status == 200, meta
    (customer,) = [e for e in meta["entities"] if e["name"] == "shop.customer"]
    return [f["name"] for f in customer["fields"]]


def add_grade_by_hand(folder: Path) -> None:
    """Edit the site's own app files, as an operator would: a field and a schedule that fills it."""
    entity = folder / "apps" / "shop" / "entities" / "customer.yaml"
    text = entity.read_text(encoding="utf-8")
    assert CITY in text
    entity.write_text(text.replace(CITY, CITY + GRADE), encoding="utf-8")
    (folder / "apps" / "shop" / "grade_new.yaml").write_text(GRADE_NEW, encoding="utf-8")


def plan_steps(output: str) -> list[str]:
    """The step lines of a printed plan: those between the header's rule and the summary."""
    lines = output.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    return [line for line in lines[rule + 1 :] if line and "step(s):" not in line]


def test_a_safe_change_goes_live_by_migrate_hup_and_runner_restart_with_no_failed_request(
    live: LiveSite, tmp_path: Path
) -> None:
    folder, port, logs = live.site.folder, free_port(), tmp_path / "logs"
    base = f"http://127.0.0.1:{port}/api/v1"
    web = start_gunicorn(folder, port, logs)
    runner = start_runner(folder, logs)
    traffic: Traffic | None = None
    try:
        wait_until(lambda: answers(f"{base}/openapi.json") and len(workers_of(web.pid)) == 2)
        old = workers_of(web.pid)
        clerk = Client(base, "clerk")
        status, first = clerk.post("/shop/customer", {"title": "老客户"})
        assert status == 201, first
        traffic = Traffic(Client(base, "clerk", timeout=RELOAD_SECONDS))
        traffic.start()
        wait_until(traffic.answers_more())

        # §8: change the metadata, review the plan (only SAFE lines), apply it under the old workers
        add_grade_by_hand(folder)
        plan = loom(folder, "migrate")
        assert plan.returncode == 0, plan.stderr
        steps = plan_steps(plan.stdout)
        assert steps and all("SAFE" in line.split() for line in steps), plan.stdout
        assert any("grade" in line for line in steps), plan.stdout
        applied = loom(folder, "migrate", "--apply")
        assert applied.returncode == 0, applied.stderr
        assert f"applied {len(steps)} step(s)" in applied.stdout, applied.stdout
        wait_until(traffic.answers_more())  # the old workers answer on the migrated schema
        assert workers_of(web.pid) == old
        assert "grade" not in customer_fields(clerk)  # with the metadata they started with

        # reload gunicorn: new workers on the new metadata, the old ones stop gracefully
        os.kill(web.pid, signal.SIGHUP)
        wait_until(
            lambda: not any(alive(pid) for pid in old) and len(workers_of(web.pid)) == 2, RELOAD_SECONDS
        )
        new = workers_of(web.pid)
        assert not new & old
        for _ in range(6):
            assert "grade" in customer_fields(clerk)
        status, saved = clerk.post("/shop/customer", {"title": "新客户", "grade": "A"})
        assert status == 201, saved
        assert clerk.get(f"/shop/customer/{saved['id']}")[1]["grade"] == "A"

        # restart the job runner: it runs the schedule that came with the field
        stop(runner)
        runner = start_runner(folder, logs, "runner-restarted")
        wait_until(lambda: clerk.get(f"/shop/customer/{first['id']}")[1].get("grade") == "C", RELOAD_SECONDS)
        report = loom(folder, "worker", "--status", "--format", "json")
        assert report.returncode == 0, report.stderr
        graders = [r["worker"] for r in json.loads(report.stdout)["recent"] if r["job"] == "shop.grade_new"]
        assert graders and all(w.endswith(f":{runner.pid}") for w in graders), graders
        wait_until(traffic.answers_more())  # and the clerk goes on working
    finally:
        if traffic is not None:
            traffic.halt.set()
            traffic.join(timeout=RELOAD_SECONDS)
        stop(web, runner)
    assert traffic.failures == []
    served = (logs / "access.log").read_text().splitlines()
    meta = [line.split()[0].strip("<>") for line in served if "/meta" in line]
    assert meta[0] in {str(pid) for pid in old}  # the probe before the reload
    assert set(meta[1:]) <= {str(pid) for pid in new}, (meta, old, new)  # every probe after it
    assert not tracebacks(logs)
