"""The steps of a migration plan, as data: one small class per kind of change.

The planner produces them, ``render`` prints them and ``apply`` executes them through one
applier per class. Each class knows whether it is destructive and which flag allows it;
each instance carries the rows it touches, counted in the live database when planned.
Ops that ``apply`` executes hold the SQLAlchemy objects they need (a Table to create,
a Column to add), built from the target schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import ClassVar

from sqlalchemy import Column
from sqlalchemy import ForeignKeyConstraint
from sqlalchemy import Index
from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlalchemy.types import TypeEngine

from loom.metadata.catalog import Label

SAFE, DESTRUCTIVE, RETIRED = "safe", "destructive", "retired"
PURGE_RETIRED, ALLOW_DESTRUCTIVE = "purge_retired", "allow_destructive"


@dataclass(frozen=True, kw_only=True)
class Op:
    """One step. ``column`` also names the index or constraint of index/constraint steps."""

    label: ClassVar[Label]
    destructive: ClassVar[bool] = False
    retired: ClassVar[bool] = False
    needs: ClassVar[str | None] = None  # the plan flag that allows this kind of step

    table: str
    column: str | None = None
    rows: int = 0
    detail: str = ""
    archive: str | None = None  # where a destructive step copies the data it affects first

    @property
    def kind(self) -> str:
        return type(self).__name__

    @property
    def target(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table

    @property
    def status(self) -> str:
        return RETIRED if self.retired else DESTRUCTIVE if self.destructive else SAFE

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "table": self.table,
            "column": self.column,
            "rows": self.rows,
            "status": self.status,
            "destructive": self.destructive,
            "detail": self.detail,
            "archive": self.archive,
        }


@dataclass(frozen=True, kw_only=True)
class CreateTable(Op):
    label = Label("新建表", "create table")
    definition: Table = field(compare=False, repr=False)
    # Foreign keys created with the table; the others (cycles) follow as AddForeignKey steps.
    inline_foreign_keys: frozenset[ForeignKeyConstraint] = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class AddColumn(Op):
    label = Label("新增列", "add column")
    definition: Column[Any] = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class RenameColumn(Op):
    label = Label("重命名列", "rename column")
    old_name: str


@dataclass(frozen=True, kw_only=True)
class AddIndex(Op):
    label = Label("新增索引", "add index")
    index: Index = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class DropIndex(Op):
    label = Label("删除索引", "drop index")


@dataclass(frozen=True, kw_only=True)
class AddUniqueConstraint(Op):
    label = Label("新增唯一约束", "add unique constraint")
    constraint: UniqueConstraint = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class DropUniqueConstraint(Op):
    label = Label("删除唯一约束", "drop unique constraint")


@dataclass(frozen=True, kw_only=True)
class AddForeignKey(Op):
    label = Label("新增外键", "add foreign key")
    constraint: ForeignKeyConstraint = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class DropForeignKey(Op):
    label = Label("删除外键", "drop foreign key")
    constraint: ForeignKeyConstraint = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class ColumnTypeOp(Op):
    """A column keeps its name and data and gets ``new_type``."""

    old_type: TypeEngine[Any] = field(compare=False, repr=False)
    new_type: TypeEngine[Any] = field(compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class WidenColumn(ColumnTypeOp):
    label = Label("放宽列", "widen column")


@dataclass(frozen=True, kw_only=True)
class NarrowColumn(ColumnTypeOp):
    label = Label("收窄列", "narrow column")
    destructive = True
    needs = ALLOW_DESTRUCTIVE


@dataclass(frozen=True, kw_only=True)
class ChangeColumnType(ColumnTypeOp):
    label = Label("更改列类型", "change column type")
    destructive = True
    needs = ALLOW_DESTRUCTIVE


@dataclass(frozen=True, kw_only=True)
class RetireColumn(Op):
    """Gone from the metadata, kept in the database with its data until purged."""

    label = Label("退役列", "retire column")
    retired = True


@dataclass(frozen=True, kw_only=True)
class RetireTable(Op):
    label = Label("退役表", "retire table")
    retired = True


@dataclass(frozen=True, kw_only=True)
class PurgeColumn(Op):
    label = Label("清除列", "purge column")
    destructive = True
    needs = PURGE_RETIRED


@dataclass(frozen=True, kw_only=True)
class PurgeTable(Op):
    label = Label("清除表", "purge table")
    destructive = True
    needs = PURGE_RETIRED


@dataclass(frozen=True)
class Refusal:
    """A step the plan may not run: ``flag`` allows it, or (None) the data must be fixed first."""

    step: Op
    reason: Label
    flag: str | None = None


@dataclass(frozen=True)
class Plan:
    """What it takes to bring the database to the target schema, and what may not run."""

    steps: tuple[Op, ...]
    refused: tuple[Refusal, ...] = ()
    dialect: str = ""
    purge_retired: bool = False
    allow_destructive: bool = False

    @property
    def pending(self) -> tuple[Op, ...]:
        """The steps that change the database (retired ones only report)."""
        return tuple(step for step in self.steps if not step.retired)

    @property
    def retired(self) -> tuple[Op, ...]:
        return tuple(step for step in self.steps if step.retired)

    @property
    def up_to_date(self) -> bool:
        return not self.pending

    def as_dict(self) -> dict[str, Any]:
        return {
            "dialect": self.dialect,
            "up_to_date": self.up_to_date,
            "steps": [step.as_dict() for step in self.steps],
            "refused": [
                {"step": r.step.as_dict(), "reason": {"zh": r.reason.zh, "en": r.reason.en}, "flag": r.flag}
                for r in self.refused
            ],
        }
