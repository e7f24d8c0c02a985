"""The publish pipeline shared by the API, the CLI and the designer.

draft (the current layer with the changes applied) → validate (the validator that ``loom
validate`` runs, every problem located) → plan (the planner that ``loom migrate`` runs:
retire rather than drop, destructive steps refused unless confirmed) → apply the plan and
record the revision in one transaction → install the seed data of the new revision.

Publishing is optimistic: the caller names the revision its changes were made on (the
parent); if another publish landed since, this one is refused as a conflict and nothing
changes. The unique parent of each revision makes that hold between processes and hosts.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from loom.errors import LoomError
from loom.metadata import Problem
from loom.metadata.loader import layer_path_ok

from .. import migrations
from ..runtime import Runtime
from ..site import Site
from . import store
from .store import Revision

MAX_CHANGES = 500
_LOCK_KEY = zlib.crc32(b"loom_metadata_publish")


class PublishError(LoomError):
    """A publish that did not happen; nothing was changed."""


class Conflict(PublishError):
    def __init__(self, parent: int, head: int) -> None:
        super().__init__(
            f"revision {head} was published after revision {parent}, which these changes were made on; "
            "reload, re-apply the changes and publish again"
        )
        self.parent, self.head = parent, head


class BadChanges(PublishError):
    """Changes that name no document a layer may hold (a path outside apps/ and overlays/)."""


class Invalid(PublishError):
    def __init__(self, problems: tuple[Problem, ...]) -> None:
        super().__init__(f"the metadata has {len(problems)} problem(s); nothing was published")
        self.problems = problems


class NeedsConfirmation(PublishError):
    def __init__(self, plan: migrations.Plan) -> None:
        super().__init__(str(migrations.MigrationRefused(plan)))
        self.plan = plan


@dataclass(frozen=True)
class Draft:
    """Changes laid on a revision, checked and planned but not applied."""

    base: Revision
    documents: Mapping[str, str]
    problems: tuple[Problem, ...]
    plan: migrations.Plan | None
    runtime: Runtime | None

    @property
    def ok(self) -> bool:
        return not self.problems and self.plan is not None and not self.plan.refused


def draft(
    site: Site,
    engine: Engine,
    changes: Mapping[str, str | None],
    *,
    base: Revision | None = None,
    allow_destructive: bool = False,
) -> Draft:
    """Validate and plan ``changes`` (path → text, None removes) on ``base`` (the current revision)."""
    base = base or store.current(engine)
    documents = apply_changes(base.documents, changes)
    result = site.load_metadata(store.next_layer(base, documents))
    if result.catalog is None:
        return Draft(base, documents, result.problems, None, None)
    runtime = Runtime.for_catalog(result.catalog, engine, site, base.id + 1)
    plan = migrations.plan(runtime, allow_destructive=allow_destructive)
    return Draft(base, documents, (), plan, runtime)


def apply_changes(documents: Mapping[str, str], changes: Mapping[str, str | None]) -> dict[str, str]:
    """The layer after ``changes``; raises BadChanges for a path no layer may hold."""
    if len(changes) > MAX_CHANGES:
        raise BadChanges(f"at most {MAX_CHANGES} documents change in one publish")
    wrong = sorted(path for path in changes if not layer_path_ok(path))
    if wrong:
        raise BadChanges(
            f"not a document path: {', '.join(wrong[:5])}; use apps/<app>/….yaml for a new app's "
            "documents and overlays/….yaml for changes to installed apps"
        )
    result = dict(documents)
    for path, content in changes.items():
        if content is None:
            result.pop(path, None)
        else:
            result[path] = content
    return result


def publish(
    site: Site,
    engine: Engine,
    changes: Mapping[str, str | None],
    *,
    parent: int,
    author_id: int | None,
    message: str,
    allow_destructive: bool = False,
    rollback_of: int | None = None,
    finish: Callable[[Connection, Revision], None] | None = None,
) -> Revision:
    """Publish ``changes`` made on revision ``parent``; raises a PublishError and changes nothing
    when they conflict, are invalid, or need a destructive step not allowed. ``finish`` writes
    in the revision's transaction (a published draft is deleted there), and may refuse it."""
    with _exclusive(engine):
        base = store.current(engine)
        if base.id != parent:
            raise Conflict(parent, base.id)
        checked = draft(site, engine, changes, base=base, allow_destructive=allow_destructive)
        if checked.problems:
            raise Invalid(checked.problems)
        assert checked.plan is not None and checked.runtime is not None
        if checked.plan.refused:
            raise NeedsConfirmation(checked.plan)
        landed: list[Revision] = []

        def record(conn: Connection) -> None:
            landed.append(
                store.record(
                    conn,
                    base,
                    checked.documents,
                    author_id=author_id,
                    message=message,
                    now=dt.datetime.now(dt.UTC),
                    rollback_of=rollback_of,
                )
            )
            if finish is not None:
                finish(conn, landed[0])

        try:
            migrations.apply(checked.plan, engine, finish=record)
        except IntegrityError:  # another process recorded a revision on the same parent
            raise Conflict(parent, store.head(engine)) from None
        except migrations.MigrationFailed:
            if store.head(engine) != parent:  # its schema change raced ours
                raise Conflict(parent, store.head(engine)) from None
            raise
    _install_seeds(checked.runtime)
    return landed[0]


def rollback(
    site: Site,
    engine: Engine,
    target: int,
    *,
    parent: int,
    author_id: int | None,
    allow_destructive: bool = False,
) -> Revision:
    """A new revision whose documents are those of ``target``: history stays a line, and
    fields added since ``target`` are retired with their data, not dropped."""
    with engine.connect() as conn:
        earlier = store.get(conn, target)
    if earlier is None:
        raise BadChanges(f"there is no revision {target}")
    current = store.current(engine)
    changes: dict[str, str | None] = {
        path: None for path in current.documents if path not in earlier.documents
    }
    changes.update(earlier.documents)
    return publish(
        site,
        engine,
        changes,
        parent=parent,
        author_id=author_id,
        message=f"rollback to revision {target}",
        allow_destructive=allow_destructive,
        rollback_of=target,
    )


def _install_seeds(runtime: Runtime) -> None:
    from ..records.service import RecordService
    from ..seeds import install_seeds

    install_seeds(RecordService(runtime))


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """One publish at a time per PostgreSQL database (SQLite serialises writers itself, and
    the unique parent refuses the loser of any race)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
            conn.commit()
