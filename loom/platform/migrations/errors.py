"""Errors of the migration planner: a plan that may not run, or a step that failed.

Both are LoomErrors, so the CLI prints them without a traceback and the designer can show
them as they are. Messages say what to do next (which flag, which data to fix).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loom.errors import LoomError

if TYPE_CHECKING:
    from .ops import Op
    from .ops import Plan


class MigrationError(LoomError):
    """A migration could not be planned or applied."""


class MigrationRefused(MigrationError):
    """The plan holds steps its flags do not allow; nothing was changed."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        lines = [f"migration refused, nothing was changed: {len(plan.refused)} step(s) not allowed"]
        for refusal in plan.refused:
            needs = ""
            if refusal.flag:
                needs = f"; needs --{refusal.flag.replace('_', '-')} ({refusal.flag}=True)"
            lines.append(f"  {refusal.step.kind} {refusal.step.target}: {refusal.reason.get('en')}{needs}")
        super().__init__("\n".join(lines))


class MigrationFailed(MigrationError):
    """A step failed while applying; the transaction was rolled back, the database is unchanged."""

    def __init__(self, step: Op, number: int, total: int, cause: BaseException) -> None:
        self.step = step
        self.cause = cause
        detail = str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
        super().__init__(
            f"step {number}/{total} ({step.kind} {step.target}) failed: {detail}; "
            "the database was left unchanged"
        )
