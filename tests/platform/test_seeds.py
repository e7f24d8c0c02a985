"""Seed data: installed once, updated when the package changes, the site's edits kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func
from sqlalchemy import select

from loom.metadata import validate_paths
from loom.platform.actor import Actor
from loom.platform.cli import cli
from loom.platform.database import make_engine
from loom.platform.identity import Identity
from loom.platform.records.query import ListQuery
from loom.platform.records.service import RecordService
from loom.platform.runtime import Runtime
from loom.platform.seeds import SeedError
from loom.platform.seeds import install_seeds

ENTITIES = {
    "entities/stage_group.yaml": """\
        kind: entity
        name: stage_group
        label: {zh: 阶段组, en: Stage group}
        title_field: name
        fields:
          - {name: code, type: string, required: true, unique: true, max_length: 20}
          - {name: name, type: string, required: true, max_length: 40}
          - name: stage_count
            type: rollup
            rollup: {of: stage, via: stage_group, aggregate: count}
        permissions:
          - {role: employee, create: true, read: all, write: all, delete: all}
        """,
    "entities/stage.yaml": """\
        kind: entity
        name: stage
        label: {zh: 阶段, en: Stage}
        title_field: name
        fields:
          - {name: code, type: string, required: true, max_length: 20}
          - {name: name, type: string, required: true, max_length: 40}
          - {name: probability, type: integer, min: 0, max: 100}
          - {name: stage_group, type: link, entity: stage_group, required: true}
        permissions:
          - {role: employee, create: true, read: all, write: all, delete: all}
        """,
}
GROUPS = """\
    kind: data
    name: stage_groups
    entity: stage_group
    key: code
    records:
      - {code: standard, name: "%s"}
    """
STAGES = """\
    kind: data
    name: stages
    entity: stage
    key: code
    records:
      - {code: first_contact, name: 初步接洽, probability: 10, stage_group: standard}
      - {code: proposal, name: 方案报价, probability: %s, stage_group: standard}
      - {code: negotiation, name: 商务谈判, probability: 70, stage_group: standard}
    """


@pytest.fixture
def engine(database_url: str):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def package(write_package, tmp_path: Path, engine) -> Callable[..., Runtime]:
    """A runtime on one database over the package, with 方案报价 at ``probability``."""

    def build(
        probability: int = 50, version: str = "v1", stages: str = STAGES, group: str = "标准销售流程"
    ) -> Runtime:
        files = {**ENTITIES, "data/groups.yaml": GROUPS % group, "data/stages.yaml": stages % probability}
        result = validate_paths([write_package(files, name="sales", root=tmp_path / version)])
        assert result.catalog is not None, result.problems
        runtime = Runtime.for_catalog(result.catalog, engine)
        runtime.schema.metadata.create_all(engine)
        return runtime

    return build


ADMIN = Actor(None, "root", frozenset({"admin"}))


def editor(runtime: Runtime) -> Actor:
    """A person of the site (edits by people are what seeds must not overwrite)."""
    with runtime.engine.begin() as conn:
        user_id = Identity(runtime).create_user(conn, "editor", "编辑")
    return Actor(user_id, "editor", frozenset({"employee"}))


def stages(runtime: Runtime) -> dict[str, dict]:
    page = RecordService(runtime).list("sales.stage", ListQuery(page_size=100), ADMIN)
    return {row["code"]: row for row in page.records}


def test_seeds_are_installed_once_with_links_by_key(package) -> None:
    runtime = package()
    first = install_seeds(RecordService(runtime))
    assert (first.inserted, first.updated, first.unchanged, first.kept) == (4, 0, 0, 0)
    installed = stages(runtime)
    assert installed["proposal"]["name"] == "方案报价" and installed["proposal"]["probability"] == 50
    group = RecordService(runtime).list("sales.stage_group", ListQuery(), ADMIN).records[0]
    assert {row["stage_group"] for row in installed.values()} == {group["id"]}
    again = install_seeds(RecordService(runtime))
    assert (again.inserted, again.unchanged) == (0, 4)
    assert len(stages(runtime)) == 3


def test_a_package_change_updates_its_seed_rows(package) -> None:
    install_seeds(RecordService(package()))
    runtime = package(probability=60, version="v2")
    report = install_seeds(RecordService(runtime))
    assert (report.updated, report.unchanged, report.inserted) == (1, 3, 0)
    assert stages(runtime)["proposal"]["probability"] == 60
    # The audit names the system as the writer.
    audit = runtime.schema.metadata.tables["loom_audit"]
    with runtime.engine.connect() as conn:
        writers = set(conn.execute(select(audit.c.user_id).where(audit.c.entity == "sales.stage")).scalars())
    assert writers == {None}


def test_rows_edited_or_deleted_on_the_site_are_kept(package) -> None:
    runtime = package()
    install_seeds(RecordService(runtime))
    records = RecordService(runtime)
    proposal = stages(runtime)["proposal"]
    records.update("sales.stage", proposal["id"], {"probability": 45}, editor(runtime))
    records.delete("sales.stage", stages(runtime)["negotiation"]["id"], ADMIN)
    changed = STAGES.replace("probability: 70", "probability: 75")
    runtime = package(probability=55, version="v2", stages=changed)
    report = install_seeds(RecordService(runtime))
    assert (report.kept, report.updated, report.unchanged, report.inserted) == (2, 0, 2, 0)
    now = stages(runtime)
    assert now["proposal"]["probability"] == 45 and "negotiation" not in now


def test_values_the_system_derives_are_not_edits(package) -> None:
    runtime = package()
    install_seeds(RecordService(runtime))
    records = RecordService(runtime)
    group = records.list("sales.stage_group", ListQuery(), ADMIN).records[0]
    # A stage added on the site recounts the seeded group (its version moves, by the system).
    records.create(
        "sales.stage", {"code": "won", "name": "赢单", "stage_group": group["id"]}, editor(runtime)
    )
    recounted = records.get("sales.stage_group", group["id"], ADMIN)
    assert recounted["stage_count"] == 4 and recounted["version"] > group["version"]
    runtime = package(version="v2", group="标准销售流程（2026 版）")
    report = install_seeds(RecordService(runtime))
    assert (report.updated, report.kept) == (1, 0)
    assert (
        RecordService(runtime).get("sales.stage_group", group["id"], ADMIN)["name"]
        == "标准销售流程（2026 版）"
    )


def test_a_record_the_site_made_first_is_adopted_not_duplicated(package) -> None:
    runtime = package()
    records = RecordService(runtime)
    group = records.create("sales.stage_group", {"code": "standard", "name": "我们的流程"}, editor(runtime))
    report = install_seeds(records)
    assert (report.kept, report.inserted) == (1, 3)
    groups = records.list("sales.stage_group", ListQuery(), ADMIN).records
    assert [(g["id"], g["name"]) for g in groups] == [(group["id"], "我们的流程")]


def test_a_refused_seed_record_installs_nothing(package, engine) -> None:
    runtime = package(probability=150)
    with pytest.raises(SeedError, match=r"sales.stages \[proposal\]: probability"):
        install_seeds(RecordService(runtime))
    seeded = runtime.schema.metadata.tables["loom_seed_rows"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(seeded)).scalar_one() == 0
    assert stages(runtime) == {}


def test_loom_migrate_apply_installs_the_builtin_seed_data(tmp_path: Path, database_url: str) -> None:
    runner = CliRunner()
    env = {"LOOM_DATABASE_URL": database_url}
    first = runner.invoke(cli, ["migrate", "--apply", "--site", str(tmp_path)], env=env)
    assert first.exit_code == 0, first.output
    inserted = re.search(r"seed data: (\d+) inserted, 0 updated, 0 unchanged", first.output)
    assert inserted and int(inserted[1]) >= 4  # OA's leave types, at least
    second = runner.invoke(cli, ["migrate", "--apply", "--site", str(tmp_path), "--lang", "zh"], env=env)
    assert second.exit_code == 0 and f"新增 0，更新 0，未变 {inserted[1]}" in second.output
