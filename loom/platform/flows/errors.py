"""What flow operations raise beyond the records service's errors."""

from __future__ import annotations

from ..records.errors import Conflict
from ..records.errors import PermissionDenied


class FlowError(Conflict):
    """A flow operation that does not fit the instance's state (409)."""

    code = "flow_state"


class NoFlow(Conflict):
    code = "no_flow"


class NotYourTask(PermissionDenied):
    code = "not_your_task"
