"""Loom's own tables (prefix ``loom_``): identity, files, number series, the audit log and seed rows.

They live in the same MetaData as the generated record tables, so one migration plan
covers both and record tables can hold foreign keys to users, departments and files.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Column
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import MetaData
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false

from .types import ID_TYPE
from .types import JSON_TYPE
from .types import UTCDateTime


def define(metadata: MetaData) -> None:
    """Add the platform tables to ``metadata``."""
    _table(
        "loom_departments",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("name", String(120), nullable=False),
        Column("parent_id", ID_TYPE, ForeignKey("loom_departments.id", ondelete="RESTRICT"), index=True),
        Column(
            "head_id",
            ID_TYPE,
            ForeignKey("loom_users.id", ondelete="SET NULL", use_alter=True, name="fk_loom_departments_head"),
        ),
        Column("position", Integer, nullable=False, server_default="0"),
    )
    _table(
        "loom_users",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("login", String(64), nullable=False, unique=True),
        Column("name", String(120), nullable=False),
        Column("email", String(254)),
        Column("phone", String(32)),
        Column("active", Boolean, nullable=False, server_default="1"),
        Column("locale", String(16), nullable=False, server_default="zh_CN"),
        Column("password_hash", String(255)),
        Column("department_id", ID_TYPE, ForeignKey("loom_departments.id", ondelete="SET NULL"), index=True),
        Column("manager_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("created_at", UTCDateTime(), nullable=False),
    )
    _table(
        "loom_memberships",
        metadata,
        Column("user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), primary_key=True),
        Column("role", String(63), primary_key=True),
    )
    _table(
        "loom_tokens",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("name", String(120), nullable=False),
        Column("prefix", String(16), nullable=False),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("expires_at", UTCDateTime()),
        Column("revoked_at", UTCDateTime()),
        Column("last_used_at", UTCDateTime()),
    )
    _table(
        "loom_sessions",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("key_hash", String(64), nullable=False, unique=True),
        Column(
            "user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("seen_at", UTCDateTime(), nullable=False),
    )
    attempts = _table(
        "loom_login_attempts",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("key", String(190), nullable=False),
        Column("at", UTCDateTime(), nullable=False),
    )
    Index("ix_loom_login_attempts__key_at", attempts.c.key, attempts.c.at)
    _table(
        "loom_files",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("name", String(255), nullable=False),
        Column("content_type", String(127), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("sha256", String(64), nullable=False, index=True),
        Column("uploaded_by", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("uploaded_at", UTCDateTime(), nullable=False),
    )
    _table(
        "loom_number_series",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("series", String(190), nullable=False),
        Column("period", String(16), nullable=False),
        Column("value", BigInteger, nullable=False),
        UniqueConstraint("series", "period", name="uq_loom_number_series"),
    )
    audit = _table(
        "loom_audit",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("at", UTCDateTime(), nullable=False),
        Column("user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("entity", String(127), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("action", String(16), nullable=False),
        Column("changes", JSON_TYPE, nullable=False),
        Column("note", Text),
    )
    Index("ix_loom_audit__entity_record_id", audit.c.entity, audit.c.record_id)
    seeds = _table(
        "loom_seed_rows",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("dataset", String(190), nullable=False),
        Column("key", String(190), nullable=False),
        Column("entity", String(127), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("digest", String(64), nullable=False),  # of the package's values, as last installed
        Column("version", Integer),  # the record's version after that install; NULL: the site's own
        UniqueConstraint("dataset", "key", name="uq_loom_seed_rows"),
    )
    Index("ix_loom_seed_rows__entity_key", seeds.c.entity, seeds.c.key)
    define_flow_tables(metadata)
    define_share_table(metadata)
    define_jobs(metadata)
    define_revisions(metadata)
    define_drafts(metadata)
    define_personal_views(metadata)


def define_personal_views(metadata: MetaData) -> None:
    """A user's own saved views of a list (我的视图): its filters, search, sort and columns."""
    _table(
        "loom_personal_views",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("entity", String(127), nullable=False),
        Column("label", String(40), nullable=False),
        Column("params", JSON_TYPE, nullable=False),  # list address parameters: filters, q, sort, view
        Column("columns", JSON_TYPE, nullable=False),  # field names; empty: the list's own
        Column("created_at", UTCDateTime(), nullable=False),
        UniqueConstraint("user_id", "entity", "label", name="uq_loom_personal_views"),
    )


def define_flow_tables(metadata: MetaData) -> None:
    """Approval flow state: instances, their tasks and timeline, notifications, delegations."""
    _table(
        "loom_flow_instances",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("flow", String(127), nullable=False),
        Column("entity", String(127), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("initiator_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("status", String(16), nullable=False),
        Column("definition", JSON_TYPE, nullable=False),  # the flow as it was when started
        Column("state", JSON_TYPE, nullable=False),
        Column("started_at", UTCDateTime(), nullable=False),
        Column("finished_at", UTCDateTime()),
        Column("version", Integer, nullable=False, server_default="1"),
        Index("ix_loom_flow_instances__entity_record", "entity", "record_id"),
    )
    _table(
        "loom_flow_tasks",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "instance_id", ID_TYPE, ForeignKey("loom_flow_instances.id", ondelete="CASCADE"), nullable=False
        ),
        Column("node", String(63), nullable=False),
        Column("kind", String(8), nullable=False),  # approve | cc
        Column("stage", Integer, nullable=False, server_default="0"),
        Column("stage_mode", String(8), nullable=False, server_default="all"),
        Column("assignee_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL"), index=True),
        Column("on_behalf_of", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("status", String(12), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("acted_at", UTCDateTime()),
        Column("comment", Text),
        # Set when the node runs again (after a return): the earlier pass no longer counts.
        Column("superseded", Boolean, nullable=False, server_default=false()),
        Column("version", Integer, nullable=False, server_default="1"),
        # An inbox's page, newest first: read backwards from its end, never sorted (with the id,
        # as its order breaks ties by id).
        Index("ix_loom_flow_tasks__inbox", "assignee_id", "status", "created_at", "id"),
        Index("ix_loom_flow_tasks__instance", "instance_id"),
    )
    _table(
        "loom_flow_events",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "instance_id", ID_TYPE, ForeignKey("loom_flow_instances.id", ondelete="CASCADE"), nullable=False
        ),
        Column("at", UTCDateTime(), nullable=False),
        Column("actor_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("kind", String(16), nullable=False),
        Column("node", String(63)),
        Column("detail", JSON_TYPE, nullable=False),
        Index("ix_loom_flow_events__instance", "instance_id"),
    )
    # Files carried by an approval's comments and signatures: whoever may read the record may
    # download them (api/files.py), without searching every event's detail.
    Table(
        "loom_flow_files",
        metadata,
        Column(
            "instance_id",
            ID_TYPE,
            ForeignKey("loom_flow_instances.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("file_id", ID_TYPE, ForeignKey("loom_files.id", ondelete="CASCADE"), primary_key=True),
        Index("ix_loom_flow_files__file", "file_id"),
    )
    _table(
        "loom_notifications",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False),
        Column("at", UTCDateTime(), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("entity", String(127)),
        Column("record_id", BigInteger),
        Column("instance_id", ID_TYPE, ForeignKey("loom_flow_instances.id", ondelete="CASCADE")),
        Column("message", JSON_TYPE, nullable=False),
        Column("read_at", UTCDateTime()),
        Column("mailed_at", UTCDateTime()),  # claimed by a sender (e-mail, IM); NULL: not yet
        Index("ix_loom_notifications__user_read", "user_id", "read_at"),
    )
    _table(
        "loom_delegations",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column(
            "user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False, index=True
        ),
        Column("delegate_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False),
        Column("starts_on", Date, nullable=False),
        Column("ends_on", Date, nullable=False),
        Column("flows", JSON_TYPE),  # qualified flow names; NULL: every flow
        Column("reason", Text),
        Column("created_by", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("created_at", UTCDateTime()),
        Column("ended_at", UTCDateTime()),  # ended early by its user or an admin; NULL: runs to ends_on
        Column("ended_by", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
    )


def define_share_table(metadata: MetaData) -> None:
    """Records shared with single users (a CRM's team members), read or write, maybe until a time."""
    shares = _table(
        "loom_shares",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("entity", String(127), nullable=False),
        Column("record_id", BigInteger, nullable=False),
        Column("user_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="CASCADE"), nullable=False),
        Column("level", String(8), nullable=False),  # read | write
        Column("expires_at", UTCDateTime()),  # NULL: until unshared
        Column("granted_by", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("granted_at", UTCDateTime(), nullable=False),
        # Serves the access check (entity, record, user) and the list of a record's shares.
        UniqueConstraint("entity", "record_id", "user_id", name="uq_loom_shares"),
    )
    Index("ix_loom_shares__user_entity", shares.c.user_id, shares.c.entity)


def define_jobs(metadata: MetaData) -> None:
    """Runs of scheduled work: one row per job and period, so a period runs once across processes."""
    _table(
        "loom_job_runs",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("job", String(160), nullable=False),
        Column("period", String(40), nullable=False),  # the schedule tick it answers, UTC ISO
        Column("worker", String(120), nullable=False),
        Column("started_at", UTCDateTime(), nullable=False),
        Column("finished_at", UTCDateTime()),
        Column("status", String(16), nullable=False),  # running, done, failed
        Column("counts", JSON_TYPE),
        Column("error", Text),
        UniqueConstraint("job", "period", name="uq_loom_job_runs__job_period"),
        Index("ix_loom_job_runs__started", "started_at"),
    )


def define_revisions(metadata: MetaData) -> None:
    """Metadata revisions: the site's changes made through the API, each a full snapshot.

    History is a line: a revision's parent is unique, so two publishes on the same parent
    cannot both land (the second is a conflict, never a silent merge).
    """
    _table(
        "loom_metadata_revisions",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("parent_id", ID_TYPE, nullable=False, unique=True),  # 0: the files alone
        Column("author_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("message", Text, nullable=False),
        Column("documents", JSON_TYPE, nullable=False),  # path -> YAML text, the whole layer
        Column("changes", JSON_TYPE, nullable=False),  # [{path, action}] against the parent
        Column("digest", String(64), nullable=False),
        Column("rollback_of", ID_TYPE),
    )


def define_drafts(metadata: MetaData) -> None:
    """Metadata drafts: changes kept on the server until they are published, each made on the
    revision that was current when it was started (its parent); ``version`` refuses a stale save."""
    _table(
        "loom_metadata_drafts",
        metadata,
        Column("id", ID_TYPE, primary_key=True, autoincrement=True),
        Column("name", String(200), nullable=False),
        Column("author_id", ID_TYPE, ForeignKey("loom_users.id", ondelete="SET NULL")),
        Column("parent_id", ID_TYPE, nullable=False),
        Column("changes", JSON_TYPE, nullable=False),  # path -> YAML text or null, as publish takes them
        Column("created_at", UTCDateTime(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
        Column("version", Integer, nullable=False),
    )


def _table(name: str, metadata: MetaData, *items: Any) -> Table:
    # AUTOINCREMENT on SQLite: ids of deleted rows are never reused.
    return Table(name, metadata, *items, sqlite_autoincrement=True)
