"""Apply a plan: every step in one transaction, so a failure leaves the database as it was.

Each op class has one applier in ``APPLIERS``; they use Alembic ``Operations`` on the same
connection. Changes SQLite cannot make with ALTER (types, constraints, dropping columns) go
through Alembic's batch mode, which rebuilds the table: create a copy, move the rows, drop
the original, rename the copy; indexes, unique constraints and foreign keys are reflected
and recreated.

SQLite and foreign keys: ``make_engine`` turns them on per connection. Dropping the
original table during a rebuild then runs an implicit ``DELETE``, whose ``ON DELETE
CASCADE`` empties every child table. ``PRAGMA defer_foreign_keys`` and ``legacy_alter_table``
do not stop cascades (only deferred *checks*), so we do what SQLite documents for schema
changes: switch foreign keys off before the transaction (the pragma is ignored inside one),
run ``PRAGMA foreign_key_check`` on the touched tables before committing, and switch them
back on afterwards, whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar
from typing import cast

from sqlalchemy import Column
from sqlalchemy import ColumnClause
from sqlalchemy import Connection
from sqlalchemy import DefaultClause
from sqlalchemy import Engine
from sqlalchemy import ForeignKey
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Numeric
from sqlalchemy import column
from sqlalchemy import func
from sqlalchemy import table
from sqlalchemy import update
from sqlalchemy.schema import CreateIndex
from sqlalchemy.schema import CreateTable

from ..tables import index_name
from . import ops
from .archive import copy_to_archive
from .conversions import unconvertible
from .errors import MigrationError
from .errors import MigrationFailed
from .errors import MigrationRefused
from .typediff import changed_values
from .typediff import resolve

if TYPE_CHECKING:  # Alembic is imported when a plan is applied, not when a web worker starts
    from alembic.operations import BatchOperations
    from alembic.operations import Operations

# Names for SQLite's unnamed foreign keys, so a rebuild can tell which one to drop.
FK_CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}

OpT = TypeVar("OpT", bound=ops.Op)


@dataclass(frozen=True)
class _Context:
    conn: Connection
    operations: Operations

    def alter(self, name: str, **options: Any) -> AbstractContextManager[BatchOperations]:
        """Alter table ``name``: plain ALTER where the database can, a table rebuild on SQLite."""
        return self.operations.batch_alter_table(name, **options)


Applier = Callable[[_Context, Any], None]
APPLIERS: dict[type[ops.Op], Applier] = {}


def apply(
    plan: ops.Plan,
    engine: Engine,
    *,
    on_step: Callable[[ops.Op], None] | None = None,
    finish: Callable[[Connection], None] | None = None,
) -> None:
    """Run the plan's steps in one transaction; ``on_step`` is called after each one.

    ``finish`` writes in the same transaction after the last step (a published revision
    lands with its schema or not at all). Raises MigrationRefused (nothing done) when the
    plan has refused steps, and MigrationFailed (everything rolled back) when a step fails.
    """
    if plan.refused:
        raise MigrationRefused(plan)
    if plan.dialect and plan.dialect != engine.dialect.name:
        raise MigrationError(f"this plan was made for {plan.dialect}, not {engine.dialect.name}")
    steps = plan.pending
    if not steps and finish is None:
        return
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    with engine.connect() as conn, _sqlite_foreign_keys_off(conn), conn.begin():
        context = _Context(conn, Operations(MigrationContext.configure(conn)))
        for number, step in enumerate(steps, 1):
            try:
                APPLIERS[type(step)](context, step)
            except Exception as exc:  # any failure: say which step, roll everything back
                raise MigrationFailed(step, number, len(steps), exc) from exc
            if on_step is not None:
                on_step(step)
        _check_foreign_keys(conn, {step.table for step in steps})
        if finish is not None:
            finish(conn)


@contextmanager
def _sqlite_foreign_keys_off(conn: Connection) -> Iterator[None]:
    """On SQLite, foreign keys off around the transaction (see the module docstring)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    enabled = raw.execute("PRAGMA foreign_keys").fetchone()[0]
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}")


def _check_foreign_keys(conn: Connection, names: set[str]) -> None:
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL checked every constraint as it went
    existing = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name in sorted(names & existing):
        broken = conn.exec_driver_sql(f'PRAGMA foreign_key_check("{name}")').fetchall()
        if broken:
            raise MigrationError(
                f"the migration would leave {len(broken)} row(s) of {name} pointing at missing "
                f"{broken[0][2]} records; the database was left unchanged"
            )


def applies(kind: type[OpT]) -> Callable[[Callable[[_Context, OpT], None]], Callable[[_Context, OpT], None]]:
    def register(applier: Callable[[_Context, OpT], None]) -> Callable[[_Context, OpT], None]:
        APPLIERS[kind] = applier
        return applier

    return register


@applies(ops.CreateTable)
def _create_table(context: _Context, step: ops.CreateTable) -> None:
    new = step.definition
    context.conn.execute(CreateTable(new, include_foreign_key_constraints=list(step.inline_foreign_keys)))
    for index in new.indexes:
        context.conn.execute(CreateIndex(index))


@applies(ops.AddColumn)
def _add_column(context: _Context, step: ops.AddColumn) -> None:
    new = _detached(step.definition)
    if new.foreign_keys and context.conn.dialect.name == "sqlite":
        # SQLite could take an inline REFERENCES, but SQLAlchemy reflects no ON DELETE from
        # it, so the next rebuild of the table would lose it: rebuild now with a table-level key.
        with context.alter(step.table, recreate="always") as batch:
            batch.add_column(new)
        return
    context.operations.add_column(step.table, new, inline_references=True)


def _detached(target: Column[Any]) -> Column[Any]:
    """A copy of a target column outside its table, with its (named) foreign key.

    ``Column._copy()`` (which Alembic uses) leaves out foreign keys already bound to a
    table's constraint, so the new column would silently lack its REFERENCES.
    """
    keys = [
        ForeignKey(
            fk.target_fullname, ondelete=fk.ondelete, onupdate=fk.onupdate, name=_fk_name(fk.constraint)
        )
        for fk in target.foreign_keys
        if fk.constraint is not None
    ]
    default = target.server_default.arg if isinstance(target.server_default, DefaultClause) else None
    return Column(
        target.name, target.type, *keys, nullable=target.nullable, server_default=cast(Any, default)
    )


@applies(ops.RenameColumn)
def _rename_column(context: _Context, step: ops.RenameColumn) -> None:
    context.operations.alter_column(step.table, step.old_name, new_column_name=step.column)


@applies(ops.WidenColumn)
def _widen_column(context: _Context, step: ops.WidenColumn) -> None:
    _alter_type(context, step)


@applies(ops.NarrowColumn)
def _narrow_column(context: _Context, step: ops.NarrowColumn) -> None:
    _refuse_unconvertible(context, step, cut_strings=True)
    _archive_changed_values(context, step)
    target = resolve(step.new_type, context.conn.dialect)
    value: ColumnClause[Any] = column(step.column or "")
    length = getattr(target, "length", None)
    if length is not None:  # cut strings ourselves: SQLite would keep them whole, PostgreSQL refuse
        cut = update(table(step.table, value)).where(func.length(value) > length)
        context.conn.execute(cut.values({value: func.substr(value, 1, length)}))
    if isinstance(target, Numeric) and context.conn.dialect.name == "sqlite":
        # round to the new scale ourselves: PostgreSQL's cast does, SQLite keeps every digit
        rounded = update(table(step.table, value)).where(value.is_not(None))
        context.conn.execute(rounded.values({value: func.round(value, target.scale or 0)}))
    _alter_type(context, step)


@applies(ops.ChangeColumnType)
def _change_column_type(context: _Context, step: ops.ChangeColumnType) -> None:
    _refuse_unconvertible(context, step)
    _archive_changed_values(context, step)
    dialect = context.conn.dialect
    quoted = dialect.identifier_preparer.quote(step.column or "")
    _alter_type(context, step, postgresql_using=f"{quoted}::{step.new_type.compile(dialect)}")


def _refuse_unconvertible(context: _Context, step: ops.ColumnTypeOp, cut_strings: bool = False) -> None:
    """Values written since the plan was made are checked like those the plan saw."""
    found = unconvertible(context.conn, step.table, step.column or "", step.new_type, cut_strings=cut_strings)
    if found is not None:
        name = f"{step.table}.{step.column}"
        raise MigrationError(found.reason(name, step.new_type.compile(context.conn.dialect)).en)


def _archive_changed_values(context: _Context, step: ops.ColumnTypeOp) -> None:
    where = changed_values(step.old_type, step.new_type, context.conn.dialect)
    copy_to_archive(context.conn, step.archive or "", step.table, step.column, where)


def _alter_type(context: _Context, step: ops.ColumnTypeOp, **options: Any) -> None:
    with context.alter(step.table) as batch:
        batch.alter_column(step.column or "", type_=step.new_type, existing_type=step.old_type, **options)


@applies(ops.AddIndex)
def _add_index(context: _Context, step: ops.AddIndex) -> None:
    # The target's own index, so a sort index keeps its columns' order (loom.platform.ordering).
    context.conn.execute(CreateIndex(step.index))


@applies(ops.DropIndex)
def _drop_index(context: _Context, step: ops.DropIndex) -> None:
    context.operations.drop_index(step.column or "", table_name=step.table)


@applies(ops.AddUniqueConstraint)
def _add_unique(context: _Context, step: ops.AddUniqueConstraint) -> None:
    with context.alter(step.table) as batch:
        batch.create_unique_constraint(step.column or "", [c.name for c in step.constraint.columns])


@applies(ops.DropUniqueConstraint)
def _drop_unique(context: _Context, step: ops.DropUniqueConstraint) -> None:
    with context.alter(step.table) as batch:
        batch.drop_constraint(step.column or "", type_="unique")


@applies(ops.AddForeignKey)
def _add_foreign_key(context: _Context, step: ops.AddForeignKey) -> None:
    fk = step.constraint
    with context.alter(step.table) as batch:
        batch.create_foreign_key(
            _fk_name(fk),
            fk.referred_table.name,
            [c.name for c in fk.columns],
            [e.column.name for e in fk.elements],
            ondelete=fk.ondelete,
            onupdate=fk.onupdate,
        )


def _own_name(fk: ForeignKeyConstraint) -> str | None:
    """The name the key was given, if any (SQLAlchemy marks an unnamed one with a sentinel)."""
    return fk.name if isinstance(fk.name, str) and fk.name else None


def _fk_name(fk: ForeignKeyConstraint) -> str:
    """The key's own name, or one made up: a rebuild (SQLite) cannot add an unnamed key."""
    columns = [c.name for c in fk.columns]
    return _own_name(fk) or index_name(fk.table.name, [*columns, fk.referred_table.name], "fk")


@applies(ops.DropForeignKey)
def _drop_foreign_key(context: _Context, step: ops.DropForeignKey) -> None:
    fk = step.constraint
    name = _own_name(fk) or f"fk_{step.table}_{next(iter(fk.columns)).name}_{fk.referred_table.name}"
    with context.alter(step.table, naming_convention=FK_CONVENTION) as batch:
        batch.drop_constraint(name, type_="foreignkey")


@applies(ops.PurgeColumn)
def _purge_column(context: _Context, step: ops.PurgeColumn) -> None:
    copy_to_archive(context.conn, step.archive or "", step.table, step.column, lambda c: c.is_not(None))
    with context.alter(step.table) as batch:
        batch.drop_column(step.column or "")


@applies(ops.PurgeTable)
def _purge_table(context: _Context, step: ops.PurgeTable) -> None:
    copy_to_archive(context.conn, step.archive or "", step.table)
    context.operations.drop_table(step.table)
