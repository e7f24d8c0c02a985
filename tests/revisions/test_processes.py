"""Every process of a site follows a publish with no restart: after a publish through the API of
one gunicorn worker, both workers serve the new field from their next request, and a running job
runner runs the schedule published with it and applies the approval timeout published with it to
approvals started after it (an approval started before keeps the timeout it started with)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy import update

from loom.platform.jobs.runner import Scheduler
from loom.platform.revisions import publish
from loom.platform.runtime import Runtime
from loom.platform.services import Services

from .conftest import WECHAT
from .conftest import LiveSite
from .processes import GUNICORN
from .processes import Client
from .processes import answers
from .processes import free_port
from .processes import start_gunicorn
from .processes import start_runner
from .processes import stop
from .processes import tracebacks
from .processes import wait_until

FILL_CITY = """\
kind: automation
name: fill_city
label: {zh: 补全城市, en: Fill in the city}
on: {schedule: {cron: "* * * * *", entity: shop.customer, where: "city == null"}}
run_as: system
do:
  - set: {city: '"未知"'}
"""
JOBS_APP, JOBS_FILL = "apps/shop_jobs/app.yaml", "apps/shop_jobs/fill.yaml"
JOBS = {
    JOBS_APP: "kind: app\nname: shop_jobs\nlabel: {zh: 任务, en: Jobs}\nversion: 1.0.0\ndepends: [shop]\n",
    JOBS_FILL: FILL_CITY,
}


def approval(after: str) -> str:
    """A one-step approval of customers whose unanswered task the job runner approves after ``after``."""
    return (
        "kind: flow\nname: customer_approval\nlabel: {zh: 客户审批, en: Customer approval}\n"
        "entity: shop.customer\nnodes:\n"
        f"  - {{name: boss, approve: {{users: [clerk]}}, timeout: {{after: {after}}}}}\n"
    )


APPROVAL = "apps/shop_jobs/approval.yaml"
MORNING = dt.datetime(2026, 12, 3, 1, 30, tzinfo=dt.UTC)


def test_a_running_job_runner_takes_up_a_published_schedule(live: LiveSite) -> None:
    services = live.app.extensions["loom"]
    scheduler = Scheduler(Services.build(services.runtime))
    assert "shop.fill_city" not in scheduler.jobs
    publish.publish(live.site, services.runtime.engine, JOBS, parent=0, author_id=None, message="jobs")
    assert scheduler.tick(MORNING, {"shop_jobs.fill_city"}) == ["shop_jobs.fill_city"]
    assert scheduler.services.runtime.revision == 1


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")
def test_two_gunicorn_workers_and_a_job_runner_follow_a_publish(live: LiveSite, tmp_path: Path) -> None:
    folder, port, logs = live.site.folder, free_port(), tmp_path / "logs"
    web = start_gunicorn(folder, port, logs)
    runner = start_runner(folder, logs)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        wait_until(lambda: answers(f"{base}/openapi.json"))
        root, clerk = Client(base, "root"), Client(base, "clerk")
        first = {
            "changes": {JOBS_APP: JOBS[JOBS_APP], APPROVAL: approval("3d")},
            "parent": 0,
            "message": "审批",
        }
        assert root.post("/metadata/publish", first)[0] == 201
        assert clerk.post("/shop/customer", {"title": "甲"})[0] == 201
        status, before = clerk.post("/shop/customer", {"title": "审批前", "city": "上海"})
        assert status == 201, before
        assert root.post(f"/shop/customer/{before['id']}/flow/submit", {})[0] == 200
        engine = live.app.extensions["loom"].runtime.engine
        changes = {"overlays/acme.yaml": WECHAT, JOBS_FILL: FILL_CITY, APPROVAL: approval("1h")}
        body = {"changes": changes, "parent": 1, "message": "微信号、补全城市与审批超时"}
        status, landed = root.post("/metadata/publish", body)  # through one of the workers
        assert status == 201, landed
        held = clerk.hold("/shop/customer")  # keeps one worker busy
        for n in range(1, 6):  # so these go to the other one
            status, saved = clerk.post("/shop/customer", {"title": f"客户{n}", "wechat": f"wx{n}"})
            assert status == 201, saved
        assert clerk.finish(held, {"title": "客户0", "wechat": "wx0"}) == 201

        def served() -> list[list[str]]:
            lines = (logs / "access.log").read_text().splitlines()
            return [line.split() for line in lines if line.endswith("/shop/customer")]

        wait_until(lambda: len(served()) == 8)  # a worker logs a request after answering it
        after = served()[2:]
        assert {revision for _, revision, _ in after} == {"2"}, (
            after
        )  # each on revision 2 from its next request
        assert len({pid for pid, _, _ in after}) == 2, after  # both workers
        table = Runtime.for_site(live.site, engine).schema.of("shop.customer").table

        def filled() -> bool:
            with engine.connect() as conn:
                return conn.execute(select(table.c.city).where(table.c.title == "甲")).scalar_one() == "未知"

        wait_until(filled)  # the runner, started on revision 0, ran the schedule of revision 2
        status, later = clerk.post("/shop/customer", {"title": "审批后", "city": "上海"})
        assert status == 201, later
        assert root.post(f"/shop/customer/{later['id']}/flow/submit", {})[0] == 200
        tasks = live.app.extensions["loom"].flows.engine.tasks
        with engine.begin() as conn:  # both approvals have waited two hours, longer than 1h, not 3d
            for task, created in conn.execute(select(tasks.c.id, tasks.c.created_at)).all():
                conn.execute(
                    update(tasks).where(tasks.c.id == task).values(created_at=created - dt.timedelta(hours=2))
                )

        def flow_of(record: dict) -> dict:
            return clerk.get(f"/shop/customer/{record['id']}/flow")[1]

        wait_until(lambda: flow_of(later)["status"] == "approved", seconds=150)  # the next minute's pass
        assert [t["comment"] for t in flow_of(later)["tasks"]] == ["timeout"]
        assert flow_of(before)["status"] == "running"  # the same pass left the 3d approval waiting
    finally:
        stop(web, runner)
    assert not tracebacks(logs)
